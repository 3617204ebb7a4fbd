/**
 * Mount hygiene for tests: the daemon runs in a child process (a kernel call into a hung daemon
 * in the test's own process would deadlock it), every mount gets a fresh mount point and state
 * directory, and stop() always leaves nothing mounted, even when the daemon misbehaved.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { detach, isMounted } from '../../src/fuse/stale-mount.ts'

export const ROOT = new URL('../..', import.meta.url).pathname
export const NODE = process.execPath

const live = new Set<() => void>()
process.once('exit', () => {
  for (const cleanup of live) cleanup()
})

export interface TestMount {
  /** Where the VFS is mounted. */
  mountpoint: string
  stateDir: string
  /** The directory behind /local. */
  localRoot: string
  /** The directory behind /obj (test daemon only): a whole-object store. */
  objectRoot: string
  /** The scratch folder holding all of the above; removed by stop(). */
  dir: string
  child: ChildProcess
  /** Everything the daemon wrote to stderr so far. */
  logs(): string
  /** SIGTERM, wait for a clean exit; SIGKILL and detach if it does not come. */
  stop(): Promise<number | null>
}

export interface MountOptions {
  /** 'cli': the real `ipfs-vfs mount` with a YAML config; 'test': test/support/test-daemon.ts with /local and /obj. */
  entry?: 'cli' | 'test'
  /** With entry 'test': another daemon script taking the same arguments (e.g. test/journal/journal-daemon.ts). */
  daemon?: string
  /** Extra config merged into the YAML (cli entry). */
  config?: Record<string, unknown>
  /** More mounts beside /local (cli entry), e.g. `{ '/ipfs': { type: 'ipfs' } }`. */
  mounts?: Record<string, Record<string, unknown>>
  /** Keep the scratch directory after stop (for restart tests). */
  dir?: string
  env?: Record<string, string>
  /** More arguments for `ipfs-vfs mount` (cli entry), e.g. ['--mcp-http', '127.0.0.1:8765']. */
  args?: string[]
}

/** Waits for a line starting with `prefix` on the child's stdout (a daemon's readiness line). */
export function waitForLine(child: ChildProcess, prefix: string, timeoutMs: number, logs: () => string = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`daemon not ready after ${timeoutMs} ms:\n${logs()}`)), timeoutMs)
    child.stdout?.on('data', (d: Buffer) => {
      buf += d
      if (buf.split('\n').some((l) => l.startsWith(prefix))) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited (${code}) before it was ready:\n${logs()}`))
    })
  })
}

export async function startMount(opts: MountOptions = {}): Promise<TestMount> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'ipfs-vfs-test-')))
  const mountpoint = join(dir, 'mnt')
  const stateDir = join(dir, 'state')
  const localRoot = join(dir, 'local')
  const objectRoot = join(dir, 'obj')
  // A stale mount point (ENOTCONN) is left for the daemon to clear: that is under test.
  const keepStale = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTCONN') throw err
  }
  await Promise.all([mkdir(mountpoint, { recursive: true }).catch(keepStale), mkdir(localRoot, { recursive: true }), mkdir(objectRoot, { recursive: true })])
  let args: string[]
  if (opts.entry === 'test') {
    args = [join(ROOT, opts.daemon ?? 'test/support/test-daemon.ts'), mountpoint, stateDir, localRoot, objectRoot]
  } else {
    const configFile = join(dir, 'config.yaml')
    await writeFile(configFile, stringify({ mounts: { '/local': { type: 'local', root: localRoot }, ...opts.mounts }, ...opts.config }))
    args = [join(ROOT, 'src/cli/main.ts'), 'mount', mountpoint, '--config', configFile, '--state-dir', stateDir, ...(opts.args ?? [])]
  }
  const child = spawn(NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d))
  const logs = () => stderr
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000)))])
    clearTimeout(timer)
    if (code === 'timeout') child.kill('SIGKILL')
    live.delete(cleanup)
    if (await isMounted(mountpoint)) await detach(mountpoint).catch(() => {})
    if (!opts.dir) await rm(dir, { recursive: true, force: true }).catch(() => {})
    return code === 'timeout' ? null : code
  }
  // If the test process dies before stop(), take the daemon and its mount down with it.
  const cleanup = () => {
    child.kill('SIGKILL')
    try {
      execFileSync('fusermount', ['-uz', mountpoint], { stdio: 'ignore' })
    } catch {}
  }
  live.add(cleanup)
  try {
    await waitForLine(child, 'mounted ', 20_000, logs)
  } catch (err) {
    await stop()
    throw err
  }
  return { mountpoint, stateDir, localRoot, objectRoot, dir, child, logs, stop }
}

/** Runs `fn` with a fresh mount and always unmounts afterwards, also when `fn` throws. */
export async function withMount<T>(opts: MountOptions, fn: (m: TestMount) => Promise<T>): Promise<T> {
  const m = await startMount(opts)
  try {
    return await fn(m)
  } finally {
    await m.stop()
  }
}
