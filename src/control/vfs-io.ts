import { constants } from 'node:fs'
import { S_IFMT, S_IFLNK, entryType, isDir } from '../vfs/backend.ts'
import { VfsError } from '../vfs/errors.ts'
import { dirname, isWithin, joinPath, normalizePath } from '../vfs/paths.ts'
import type { OpOptions, Vfs, VfsStat } from '../vfs/vfs.ts'

/**
 * Whole operations built from the Vfs's POSIX calls, for the control methods (CLI, MCP): read
 * and write through a handle, mkdir -p, recursive copy and removal, move with a copy fallback.
 * Every loop checks the signal between calls, so a cancelled MCP or CLI call stops at the next
 * chunk or entry, and reports progress as it goes.
 */

export interface IoOptions extends OpOptions {
  progress?: (update: { files: number; bytes: number }) => void
}

const CHUNK = 1 << 20

export function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { code: 'ECANCELED' })
}

/**
 * A path a caller may name: absolute, no NUL, no '..' component. The Vfs would resolve '..'
 * lexically; we refuse it instead, so '/local/../ipfs/x' cannot pass for a path under /local.
 */
export function checkPath(path: string, op: string): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new VfsError('EINVAL', op, String(path), { message: `EINVAL: ${op} ${String(path)}: not an absolute VFS path (such as /local/notes.txt)` })
  if (path.includes('\0')) throw new VfsError('EINVAL', op, path.replaceAll('\0', '\\0'), { message: `EINVAL: ${op}: the path contains a NUL byte` })
  if (path.split('/').includes('..')) throw new VfsError('EINVAL', op, path, { message: `EINVAL: ${op} ${path}: '..' is not allowed in a path` })
  return normalizePath(path, op)
}

/**
 * The path an op that follows symlinks will reach: a symlink's target, read through the Vfs and
 * resolved inside its mount. A target that is absolute or climbs above the mount's root is EACCES:
 * the VFS namespace has no meaning for a host path, and a mount must not lead into another.
 */
export async function followWithin(vfs: Vfs, path: string, op: string, opts?: OpOptions): Promise<string> {
  let current = path
  for (let hops = 0; hops < 40; hops++) {
    const st = await vfs.stat(current, opts).catch(() => undefined)
    if (!st || (st.mode & S_IFMT) !== S_IFLNK) return current
    const r = vfs.resolve(current, op)
    if (r.kind !== 'mount') return current
    const target = await vfs.readlink(current, opts)
    if (target.startsWith('/')) throw new VfsError('EACCES', op, path, { message: `EACCES: ${op} ${path}: symlink to ${target} leads out of ${r.mount.point}` })
    let next = dirname(current)
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue
      if (part === '..') {
        if (next === r.mount.point) throw new VfsError('EACCES', op, path, { message: `EACCES: ${op} ${path}: symlink to ${target} leads out of ${r.mount.point}` })
        next = dirname(next)
      } else next = joinPath(next, part)
    }
    current = next
  }
  throw new VfsError('ELOOP', op, path)
}

export async function exists(vfs: Vfs, path: string, opts?: OpOptions): Promise<VfsStat | undefined> {
  try {
    return await vfs.stat(path, opts)
  } catch (err) {
    if ((err as VfsError).code === 'ENOENT') return undefined
    throw err
  }
}

/** Opens, runs `fn`, flushes (a whole-object upload happens here, so its error is ours) and releases. */
export async function withHandle<T>(vfs: Vfs, path: string, flags: number, fn: (fh: number) => Promise<T>, opts?: OpOptions): Promise<T> {
  const fh = flags & constants.O_CREAT ? await vfs.create(path, 0o644, flags, opts) : await vfs.open(path, flags, opts)
  try {
    const result = await fn(fh)
    await vfs.flush(fh, opts)
    return result
  } finally {
    await vfs.release(fh).catch(() => {})
  }
}

export async function readRange(vfs: Vfs, path: string, offset: number, length: number, opts?: OpOptions): Promise<{ data: Buffer; size: number }> {
  return withHandle(vfs, path, constants.O_RDONLY, async (fh) => {
    const { size } = await vfs.fstat(fh, opts)
    const want = Math.max(0, Math.min(length, size - offset))
    const buf = Buffer.alloc(want)
    let got = 0
    while (got < want) {
      cancelled(opts?.signal)
      const n = await vfs.read(fh, buf.subarray(got, Math.min(want, got + CHUNK)), offset + got, opts)
      if (n === 0) break
      got += n
    }
    return { data: buf.subarray(0, got), size }
  }, opts)
}

export async function writeAll(vfs: Vfs, fh: number, data: Uint8Array, offset: number, opts?: OpOptions): Promise<void> {
  let done = 0
  while (done < data.length) {
    cancelled(opts?.signal)
    done += await vfs.write(fh, data.subarray(done, Math.min(data.length, done + CHUNK)), offset + done, opts)
  }
}

/** mkdir -p: creates the missing folders of `path` (and `path`); returns those it created. */
export async function mkdirp(vfs: Vfs, path: string, opts?: OpOptions): Promise<string[]> {
  const missing: string[] = []
  for (let p = path; p !== '/'; p = dirname(p)) {
    const st = await exists(vfs, p, opts)
    if (st) {
      if (!isDir(st.mode)) throw new VfsError('ENOTDIR', 'mkdir', p)
      break
    }
    missing.unshift(p)
  }
  for (const p of missing) {
    cancelled(opts?.signal)
    await vfs.mkdir(p, 0o755, opts).catch((err: VfsError) => {
      if (err.code !== 'EEXIST') throw err
    })
  }
  return missing
}

export interface TreeCount {
  files: number
  dirs: number
  bytes: number
}

/** rm -r: children first; a folder without `recursive` is EISDIR, as rm(1) says. */
export async function removeTree(vfs: Vfs, path: string, recursive: boolean, opts: IoOptions = {}, count: TreeCount = { files: 0, dirs: 0, bytes: 0 }): Promise<TreeCount> {
  cancelled(opts.signal)
  const st = await vfs.stat(path, opts)
  if (!isDir(st.mode)) {
    await vfs.unlink(path, opts)
    count.files++
    count.bytes += st.size
    opts.progress?.({ files: count.files + count.dirs, bytes: count.bytes })
    return count
  }
  if (!recursive) throw new VfsError('EISDIR', 'rm', path, { message: `EISDIR: rm ${path}: a folder (pass recursive to remove it and its contents)` })
  for (const entry of await vfs.readdir(path, opts)) await removeTree(vfs, joinPath(path, entry.name), true, opts, count)
  await vfs.rmdir(path, opts)
  count.dirs++
  opts.progress?.({ files: count.files + count.dirs, bytes: count.bytes })
  return count
}

/** cp -r across mounts through the Vfs (bytes, symlinks as symlinks; mode and times are not carried). */
export async function copyTree(vfs: Vfs, from: string, to: string, o: { recursive: boolean; overwrite: boolean }, opts: IoOptions = {}, count: TreeCount = { files: 0, dirs: 0, bytes: 0 }): Promise<TreeCount> {
  cancelled(opts.signal)
  if (isWithin(to, from)) throw new VfsError('EINVAL', 'copy', to, { message: `EINVAL: copy ${from} into itself (${to})` })
  const st = await vfs.stat(from, opts)
  const kind = entryType(st.mode)
  if (kind === 'dir') {
    if (!o.recursive) throw new VfsError('EISDIR', 'copy', from, { message: `EISDIR: copy ${from}: a folder (pass recursive to copy it)` })
    const there = await exists(vfs, to, opts)
    if (there && !isDir(there.mode)) throw new VfsError(o.overwrite ? 'ENOTDIR' : 'EEXIST', 'copy', to)
    if (!there) await vfs.mkdir(to, 0o755, opts)
    count.dirs++
    for (const entry of await vfs.readdir(from, opts)) await copyTree(vfs, joinPath(from, entry.name), joinPath(to, entry.name), o, opts, count)
    return count
  }
  if (kind === 'symlink') {
    const target = await vfs.readlink(from, opts)
    if (await exists(vfs, to, opts)) {
      if (!o.overwrite) throw new VfsError('EEXIST', 'copy', to)
      await vfs.unlink(to, opts)
    }
    await vfs.symlink(target, to, opts)
    count.files++
    return count
  }
  if (kind !== 'file') throw new VfsError('ENOTSUP', 'copy', from, { message: `ENOTSUP: copy ${from}: not a file, folder or symlink` })
  count.bytes += await copyFile(vfs, from, to, o.overwrite, opts)
  count.files++
  opts.progress?.({ files: count.files, bytes: count.bytes })
  return count
}

async function copyFile(vfs: Vfs, from: string, to: string, overwrite: boolean, opts: IoOptions): Promise<number> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (overwrite ? constants.O_TRUNC : constants.O_EXCL)
  return withHandle(vfs, from, constants.O_RDONLY, (src) =>
    withHandle(vfs, to, flags, async (dst) => {
      const buf = Buffer.alloc(CHUNK)
      let pos = 0
      for (;;) {
        cancelled(opts.signal)
        const n = await vfs.read(src, buf, pos, opts)
        if (n === 0) return pos
        await writeAll(vfs, dst, buf.subarray(0, n), pos, opts)
        pos += n
      }
    }, opts),
  opts)
}

/** rename(2) within a mount; across mounts (EXDEV) a recursive copy then removal, not atomic. */
export async function move(vfs: Vfs, from: string, to: string, overwrite: boolean, opts: IoOptions = {}): Promise<{ atomic: boolean; files: number; bytes: number }> {
  const src = await vfs.stat(from, opts)
  const there = await exists(vfs, to, opts)
  if (there && !overwrite) throw new VfsError('EEXIST', 'move', to, { message: `EEXIST: move ${from} -> ${to}: the target exists (pass overwrite to replace it)` })
  try {
    await vfs.rename(from, to, opts)
    const r = vfs.resolve(to, 'move')
    return { atomic: r.kind === 'mount' && r.mount.backend.capabilities.rename === 'atomic', files: 1, bytes: isDir(src.mode) ? 0 : src.size }
  } catch (err) {
    if ((err as VfsError).code !== 'EXDEV') throw err
  }
  if (there) await removeTree(vfs, to, true, opts)
  const count = await copyTree(vfs, from, to, { recursive: true, overwrite: true }, opts)
  await removeTree(vfs, from, true, opts)
  return { atomic: false, files: count.files, bytes: count.bytes }
}
