/** The sync and checkpoint CLI tests' shared bits: a fixture tree and `ipfs-vfs` against a mounted daemon. */
import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NODE, ROOT, type TestMount } from '../support/mount.ts'
import { ok, run, type RunResult } from '../support/tools.ts'

/** Files of every kind, odd modes, exact times (some with nanoseconds), a file over one chunk. */
export async function makeFixture(root: string): Promise<void> {
  await mkdir(join(root, 'src/lib'), { recursive: true })
  await mkdir(join(root, 'empty-dir'))
  await writeFile(join(root, 'README'), 'read me\n')
  await writeFile(join(root, 'src/main.c'), 'int main(void) { return 0; }\n')
  await writeFile(join(root, 'src/lib/data.bin'), Buffer.alloc(3 * 1024 * 1024 + 11, 0x5a))
  await writeFile(join(root, 'src/run.sh'), '#!/bin/sh\necho hi\n')
  await symlink('src/main.c', join(root, 'main-link'))
  await chmod(join(root, 'src/run.sh'), 0o750)
  await chmod(join(root, 'README'), 0o600)
  await chmod(join(root, 'empty-dir'), 0o700)
  await utimes(join(root, 'src/lib/data.bin'), 1_600_000_000, 1_600_000_000.123)
  await utimes(join(root, 'README'), 1_500_000_000, 1_500_000_000)
}

/** Runs `ipfs-vfs ARGS --state-dir <the daemon's>`: the CLI reaches the daemon through its socket. */
export function cli(m: TestMount, args: string[]): Promise<RunResult> {
  return run(NODE, [join(ROOT, 'src/cli/main.ts'), ...args, '--state-dir', m.stateDir], { cwd: ROOT, timeoutMs: 60_000 })
}

export async function cliOk(m: TestMount, args: string[]): Promise<string> {
  return ok(NODE, [join(ROOT, 'src/cli/main.ts'), ...args, '--state-dir', m.stateDir], { cwd: ROOT, timeoutMs: 60_000 })
}

/** Kernel caches off: what the daemon changes behind the kernel (a restore) shows at once. */
export const NO_KERNEL_CACHE = { fuse: { attrTimeout: 0, entryTimeout: 0 } }
