/**
 * Streaming file I/O through the Vfs, so sync works the same on every mount: a file is read and
 * written piece by piece through open/read/write/release, never held whole in memory.
 */
import { constants } from 'node:fs'
import { isDir } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import { joinPath } from '../../vfs/paths.ts'
import type { TimeSpec, Vfs } from '../../vfs/vfs.ts'

/** Bytes per read: the importer's chunk size, so one read feeds one leaf. */
export const READ_SIZE = 1 << 20

/**
 * The bytes of a VFS file as a stream of pieces (fresh buffers: the chunker keeps them). `sizeHint`
 * (the stat's size) sizes the first buffer: a MiB for every small file is garbage to collect.
 */
export async function* readVfsFile(vfs: Vfs, path: string, signal?: AbortSignal, onBytes?: (n: number) => void, sizeHint = READ_SIZE): AsyncGenerator<Uint8Array> {
  const fh = await vfs.open(path, constants.O_RDONLY, { signal })
  try {
    let position = 0
    let size = Math.min(READ_SIZE, Math.max(4096, sizeHint + 1))
    for (;;) {
      signal?.throwIfAborted()
      const buffer = Buffer.allocUnsafe(size)
      const n = await vfs.read(fh, buffer, position, { signal })
      if (n === 0) return
      position += n
      onBytes?.(n)
      yield buffer.subarray(0, n)
      // A short read is usually the end: ask for a little, not another MiB, to find out.
      size = n < size ? 4096 : READ_SIZE
    }
  } finally {
    await vfs.release(fh).catch(() => undefined)
  }
}

export interface WriteMeta {
  mode: number
  /** Nanoseconds since the epoch; undefined leaves the time of the write. */
  mtimeNs?: bigint
}

/**
 * Creates or replaces the file at `path` with the pieces of `content`. Mode and mtime are set
 * while the file is still open, so on an object mount they ride along with its one upload.
 */
export async function writeVfsFile(vfs: Vfs, path: string, content: AsyncIterable<Uint8Array>, meta: WriteMeta, signal?: AbortSignal, onBytes?: (n: number) => void): Promise<number> {
  const fh = await vfs.create(path, meta.mode, constants.O_WRONLY | constants.O_TRUNC, { signal })
  let position = 0
  try {
    for await (const piece of content) {
      signal?.throwIfAborted()
      let done = 0
      while (done < piece.byteLength) done += await vfs.write(fh, piece.subarray(done), position + done, { signal })
      position += piece.byteLength
      onBytes?.(piece.byteLength)
    }
    await setMeta(vfs, path, meta.mode, meta.mtimeNs, signal)
    await vfs.flush(fh, { signal })
  } finally {
    await vfs.release(fh)
  }
  return position
}

/**
 * Sets an entry's mode and mtime (a symlink's own mtime: utimens does not follow). A mount that
 * keeps neither (ENOTSUP, EPERM for a symlink's mode) gets the bytes without them, as `cp -p` onto
 * such a filesystem does.
 */
export async function setMeta(vfs: Vfs, path: string, mode: number | undefined, mtimeNs: bigint | undefined, signal?: AbortSignal): Promise<void> {
  if (mode !== undefined) await vfs.chmod(path, mode, { signal }).catch(unsupported)
  if (mtimeNs !== undefined) {
    const t: TimeSpec = mtimeNs
    await vfs.utimens(path, t, t, { signal }).catch(unsupported)
  }
}

function unsupported(err: unknown): void {
  if (err instanceof VfsError && err.code === 'ENOTSUP') return
  throw err
}

/** rm -r: removes `path` and everything below it; resolves to the number of entries removed. */
export async function removeTree(vfs: Vfs, path: string, signal?: AbortSignal): Promise<number> {
  signal?.throwIfAborted()
  const stat = await vfs.stat(path, { signal })
  if (!isDir(stat.mode)) {
    await vfs.unlink(path, { signal })
    return 1
  }
  let removed = 0
  for (const entry of await vfs.readdir(path, { signal })) {
    if (entry.name === '.' || entry.name === '..') continue
    removed += await removeTree(vfs, joinPath(path, entry.name), signal)
  }
  await vfs.rmdir(path, { signal })
  return removed + 1
}

/** mkdir -p: creates the missing folders down to `path` (0755). */
export async function makeParents(vfs: Vfs, path: string, signal?: AbortSignal): Promise<void> {
  const parts = path.split('/').filter(Boolean)
  let at = ''
  for (const part of parts) {
    at = `${at}/${part}`
    const stat = await vfs.stat(at, { signal }).catch((err: unknown) => {
      if (err instanceof VfsError && err.code === 'ENOENT') return undefined
      throw err
    })
    if (stat === undefined) await vfs.mkdir(at, 0o755, { signal })
    else if (!isDir(stat.mode)) throw new VfsError('ENOTDIR', 'sync', at)
  }
}
