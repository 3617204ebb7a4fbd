import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { isMounted } from '../../src/fuse/stale-mount.ts'
import { startMount } from '../support/mount.ts'
import { cli } from '../support/cli.ts'

const config = suite('config validation')
let dir = ''
config.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-cli-'))
})
config.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const BAD: [string, string, RegExp][] = [
  ['unknown top-level key', 'mounts: {}\nbogus: 1\n', /bogus: unknown key/],
  ['unknown mount key', 'mounts:\n  /local: { type: local, root: /tmp, colour: red }\n', /mounts\.\/local\.colour: unknown key/],
  ['unknown backend type', 'mounts:\n  /x: { type: floppy }\n', /mounts\.\/x\.type: expected one of local/],
  ['wrong value type', 'mounts:\n  /local: { type: local, root: 42 }\n', /mounts\.\/local\.root: expected string, received number/],
  ['relative mount point', 'mounts:\n  local: { type: local, root: /tmp }\n', /mounts\.local/],
  ['bad fuse option', 'fuse: { attrTimeout: -1 }\n', /fuse\.attrTimeout: /],
  ['not YAML', 'mounts: [\n', /not valid YAML/],
]
for (const [name, text, expected] of BAD) {
  config(`${name}: one line naming the file and the key, exit 2`, async () => {
    const file = join(dir, 'config.yaml')
    await writeFile(file, text)
    const r = await cli('mount', join(dir, 'nowhere'), '--config', file, '--state-dir', join(dir, 'state'))
    assert.is(r.code, 2)
    const lines = r.stderr.trim().split('\n')
    assert.is(lines.length, 1, r.stderr)
    assert.ok(lines[0]?.startsWith(`ipfs-vfs: ${file}: `), r.stderr)
    assert.match(lines[0] ?? '', expected)
  })
}
config('a missing config file is named', async () => {
  const r = await cli('mount', dir, '--config', join(dir, 'absent.yaml'))
  assert.is(r.code, 2)
  assert.match(r.stderr, /absent\.yaml: cannot read: ENOENT/)
})
config.run()

const help = suite('help')
for (const cmd of ['mount', 'unmount']) {
  help(`${cmd} --help prints its usage and exits 0`, async () => {
    const r = await cli(cmd, '--help')
    assert.is(r.code, 0)
    assert.match(r.stdout, new RegExp(`^Usage: ipfs-vfs ${cmd} `))
  })
}
help('no command prints the command list; an unknown one exits 2', async () => {
  const top = await cli('--help')
  assert.match(top.stdout, /Commands:\n {2}mount .*\n {2}unmount /)
  const bad = await cli('frobnicate')
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /unknown command 'frobnicate'/)
})
help.run()

const life = suite('daemon lifecycle')
life('SIGTERM unmounts cleanly and exits 0', async () => {
  const m = await startMount()
  await writeFile(join(m.mountpoint, 'local', 'f'), 'x')
  assert.ok(await isMounted(m.mountpoint))
  const code = await m.stop()
  assert.is(code, 0)
  assert.not.ok(await isMounted(m.mountpoint))
})
life('ipfs-vfs unmount: the daemon sees the unmount and exits 0 by itself', async () => {
  const m = await startMount()
  try {
    const exited = new Promise<number | null>((r) => m.child.once('exit', (code) => r(code)))
    const r = await cli('unmount', m.mountpoint)
    assert.is(r.code, 0, r.stderr)
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])
    assert.is(code, 0)
    assert.not.ok(await isMounted(m.mountpoint))
  } finally {
    await m.stop()
  }
})
life('a stale mount left by a killed daemon is cleared on the next start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-stale-'))
  try {
    const first = await startMount({ dir })
    await writeFile(join(first.mountpoint, 'local', 'kept'), 'survives')
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))
    const err = await stat(first.mountpoint).then(() => undefined, (e: NodeJS.ErrnoException) => e.code)
    assert.is(err, 'ENOTCONN')
    const second = await startMount({ dir })
    try {
      assert.is(await readFile(join(second.mountpoint, 'local', 'kept'), 'utf8'), 'survives')
      assert.not.match(second.logs(), /error/i)
    } finally {
      await second.stop()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
life('a second daemon on the same state directory is refused in one line, the first keeps serving', async () => {
  const m = await startMount()
  try {
    const other = join(m.dir, 'mnt2')
    await mkdir(other)
    const r = await cli('mount', other, '--state-dir', m.stateDir)
    assert.is(r.code, 1)
    assert.match(r.stderr.trim(), /^ipfs-vfs: the state directory .* is in use by another ipfs-vfs process .*\(EBUSY\)$/)
    assert.not.ok(await isMounted(other))
    await writeFile(join(m.mountpoint, 'local', 'still'), 'ok')
    assert.is(await readFile(join(m.mountpoint, 'local', 'still'), 'utf8'), 'ok')
  } finally {
    await m.stop()
  }
})
life('unmount of something not mounted is a one-line error', async () => {
  const r = await cli('unmount', tmpdir())
  assert.is(r.code, 2)
  assert.match(r.stderr.trim(), /^ipfs-vfs: .* is not mounted$/)
})
life.run()
