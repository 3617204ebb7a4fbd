/**
 * Helpers for the ordinary-tools tests (test/tools): run a real program with an argument array
 * and a working directory (no shell strings built from paths), mount a fresh VFS beside a native
 * scratch directory, and describe trees as one string so a whole listing compares at once.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { type MountOptions, type TestMount, withMount } from './mount.ts'

/**
 * The mounts every scenario runs on: a passthrough, a whole-object store, and /ipfs (whole-object
 * too, on embedded Helia).
 */
export type Target = 'local' | 'obj' | 'ipfs'
export const TARGETS: readonly Target[] = ['local', 'obj', 'ipfs']

/**
 * What differs between the targets. Where a store has no hard links `link` answers EPERM (git
 * then copies); /obj has no symlinks (EPERM) while /ipfs keeps them as UnixFS symlink nodes.
 * Neither object store keeps owners (only a chown to the current owner succeeds), and /ipfs keeps
 * no atime and takes no xattr (ENOTSUP; its one attribute, user.ipfs.cid, is read-only): none of
 * which the tools here trip over, as they run as the daemon's user on trees without xattrs.
 */
export const CAN: Readonly<Record<Target, { readonly symlinks: boolean; readonly hardLinks: boolean }>> = {
  local: { symlinks: true, hardLinks: true },
  obj: { symlinks: false, hardLinks: false },
  ipfs: { symlinks: true, hardLinks: false },
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd?: string
  env?: Record<string, string>
  input?: string | Buffer
  /** Kill the tool after this long (a hung mount must fail the test, not the runner). */
  timeoutMs?: number
}

/** A fixed, quiet environment: C locale, UTC, and HOME pointing at a scratch folder when given. */
export function toolEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { PATH = '/usr/bin:/bin' } = process.env
  return { PATH, LC_ALL: 'C', TZ: 'UTC', ...extra }
}

/** Runs `cmd args` and collects its output; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? toolEnv(), stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (d: Buffer) => out.push(d))
    child.stderr?.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000)
    child.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      const stderr = Buffer.concat(err).toString() + (signal ? `\n(killed by ${signal})` : '')
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr })
    })
    // A tool may exit without reading all its input: that is its answer, not our error.
    child.stdin?.on('error', () => {})
    child.stdin?.end(opts.input)
  })
}

/** Runs a tool that must succeed; returns its stdout. */
export async function ok(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts)
  assert.is(r.code, 0, `${cmd} ${args.join(' ')} (in ${opts.cwd ?? '.'}) exited ${r.code}:\n${r.stderr}${r.stdout}`)
  return r.stdout
}

/** Runs a tool that must succeed without a word on stderr (a failed chown is only a warning). */
export async function clean(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts)
  assert.is(`${r.code} ${r.stderr}`, '0 ', `${cmd} ${args.join(' ')} (in ${opts.cwd ?? '.'})`)
  return r.stdout
}

export interface ToolCtx {
  m: TestMount
  /** A native scratch directory for the same work, removed afterwards. */
  native: string
  /** The folder of a mount inside the VFS: `<mountpoint>/local`, `/obj` or `/ipfs`. */
  at(target: Target): string
  /**
   * Where to read what the store really holds, past any staged copy: the host directory behind
   * /local and /obj; for /ipfs, the tree's current root CID read back through `/ipfs/.cid/<cid>`
   * (straight from the blockstore; read-only, so its entries show no write bits). Ask again after
   * each change: the root CID moves with every one.
   */
  store(target: Target): Promise<string>
}

/** The root CID of the /ipfs tree at `ipfsDir` (its `user.ipfs.cid`). */
export async function rootCid(ipfsDir: string): Promise<string> {
  return (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', ipfsDir])).trim()
}

/**
 * A fresh test mount (/ipfs, /local and /obj) and a native scratch directory for one test. A
 * failure carries the daemon's log, which names the op and errno that broke the tool.
 */
export async function onMount(fn: (ctx: ToolCtx) => Promise<void>, opts: MountOptions = {}): Promise<void> {
  const native = await mkdtemp(join(tmpdir(), 'ipfs-vfs-native-'))
  try {
    await withMount({ entry: 'test', ...opts }, async (m) => {
      const ctx: ToolCtx = {
        m,
        native,
        at: (t) => join(m.mountpoint, t),
        store: async (t) => (t === 'local' ? m.localRoot : t === 'obj' ? m.objectRoot : join(m.mountpoint, 'ipfs/.cid', await rootCid(join(m.mountpoint, 'ipfs')))),
      }
      try {
        await fn(ctx)
      } catch (err) {
        const logs = m.logs().trim()
        if (err instanceof Error && logs) err.message += `\n--- daemon log ---\n${logs.slice(-4000)}`
        throw err
      }
    })
  } finally {
    await rm(native, { recursive: true, force: true })
  }
}

export interface ListingOptions {
  /** Include folders' mtimes (renames and unlinks move them; copies with -a keep them). */
  dirTimes?: boolean
  /** Include mtimes at all (default true). */
  times?: boolean
  /** Show modes without their write bits, as /ipfs/.cid/<cid> shows every entry (default false). */
  readOnly?: boolean
}

/**
 * The tree under `dir` as one sorted string, one line per entry: path, type, mode, size (not for
 * folders, whose size is the filesystem's business), mtime in ns (find's %T@), link target.
 */
export async function listing(dir: string, opts: ListingOptions = {}): Promise<string> {
  const { times = true, dirTimes = true, readOnly = false } = opts
  const out = await ok('find', ['.', '-mindepth', '1', '-printf', '%P\\t%y\\t%m\\t%s\\t%T@\\t%l\\n'], { cwd: dir })
  const lines = out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [path, type, mode, size, mtime, target] = l.split('\t')
      const showTime = times && (dirTimes || type !== 'd')
      const perm = readOnly ? (Number.parseInt(mode ?? '', 8) & ~0o222).toString(8) : mode
      return [path, type, perm, type === 'd' ? '-' : size, showTime ? mtime : '-', target].join(' ')
    })
  return lines.sort().join('\n')
}

/** `diff -r` must find nothing (symlinks compared as links, not followed). */
export async function assertSameTree(a: string, b: string): Promise<void> {
  const r = await run('diff', ['-r', '--no-dereference', a, b])
  assert.is(`${r.code}\n${r.stdout}${r.stderr}`, '0\n', `diff -r ${a} ${b}`)
}

export function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256')
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')))
  })
}

/** `sha256sum` of files relative to `cwd`, as the tool prints it. */
export function sha256sum(cwd: string, files: readonly string[]): Promise<string> {
  return ok('sha256sum', ['--', ...files], { cwd })
}

export interface TreeOptions {
  symlinks: boolean
  hardLinks: boolean
}

/**
 * A small tree with what copies get wrong: nested and empty folders, an empty file, a 0755
 * script, names with spaces and non-ASCII, a 3 MiB random file, fixed old mtimes with
 * nanoseconds, and (where the target has them) symlinks, a dangling one, and a hard-link pair.
 */
export async function makeTree(root: string, opts: TreeOptions): Promise<void> {
  await mkdir(join(root, 'a/b/c'), { recursive: true })
  await mkdir(join(root, 'empty dir'))
  await mkdir(join(root, 'ünï cødé'))
  await writeFile(join(root, 'a/b/c/deep.txt'), 'deep\n')
  await writeFile(join(root, 'empty'), '')
  await writeFile(join(root, 'run.sh'), '#!/bin/sh\necho run\n')
  await chmod(join(root, 'run.sh'), 0o755)
  await writeFile(join(root, 'with space.txt'), 'spaces\n')
  await writeFile(join(root, 'ünï cødé/名前 ✓.txt'), 'unicode\n')
  await writeFile(join(root, 'private'), 'secret\n', { mode: 0o600 })
  await writeFile(join(root, 'random.bin'), randomBytes(3 << 20))
  if (opts.symlinks) {
    await symlink('a/b/c/deep.txt', join(root, 'link'))
    await symlink('a/b', join(root, 'dirlink'))
    await symlink('../nowhere', join(root, 'a/dangling'))
  }
  if (opts.hardLinks) {
    await writeFile(join(root, 'hard1'), 'linked\n')
    await link(join(root, 'hard1'), join(root, 'hard2'))
  }
  // Old times with nanoseconds on every entry, set bottom-up so the folders keep theirs. (Times
  // within the current second would hide a lost utimens: rsync skips a time it sees as equal.)
  const files = ['a/b/c/deep.txt', 'run.sh', 'random.bin', 'empty', 'with space.txt', 'ünï cødé/名前 ✓.txt', 'private']
  const links = opts.symlinks ? ['link', 'dirlink', 'a/dangling'] : []
  await ok('touch', ['-h', '-d', '2001-02-03 04:05:06.123456789', ...files, ...links, ...(opts.hardLinks ? ['hard1'] : [])], { cwd: root })
  await ok('touch', ['-d', '2002-03-04 05:06:07.987654321', 'a/b/c', 'a/b', 'empty dir'], { cwd: root })
  await ok('touch', ['-d', '2003-04-05 06:07:08.000000001', 'a', 'ünï cødé', '.'], { cwd: root })
}
