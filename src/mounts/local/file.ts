import type { BigIntStats, StatsFs } from 'node:fs'
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import type { CallOptions, OpenFlags, RandomAccessFile, Stat, StatFs } from '../../vfs/backend.ts'
import { toVfsError } from '../../vfs/errors.ts'
import { errnoError, errorCode, type LocalRoot } from './confine.ts'

const { O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_EXCL, O_TRUNC, O_NOFOLLOW } = constants

/** lstat/fstat result to the contract's Stat: numbers, except the exact nanosecond times. */
export function toStat(s: BigIntStats): Stat {
  return {
    mode: Number(s.mode),
    size: Number(s.size),
    uid: Number(s.uid),
    gid: Number(s.gid),
    nlink: Number(s.nlink),
    ino: Number(s.ino),
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
    blocks: Number(s.blocks),
  }
}

/**
 * libuv's statfs gives neither f_frsize, f_favail nor f_namelen. On Linux f_frsize equals f_bsize
 * for every local filesystem, favail equals ffree for an unprivileged caller's purposes, and
 * NAME_MAX is 255 on ext4, xfs, btrfs and tmpfs.
 */
export function toStatFs(s: StatsFs): StatFs {
  return {
    bsize: s.bsize,
    frsize: s.bsize,
    blocks: s.blocks,
    bfree: s.bfree,
    bavail: s.bavail,
    files: s.files,
    ffree: s.ffree,
    favail: s.ffree,
    namemax: 255,
  }
}

/** The contract's flags as open(2) bits. O_APPEND is kept so the kernel puts every write at the end. */
export function openBits(f: OpenFlags): number {
  let bits = f.read && f.write ? O_RDWR : f.write ? O_WRONLY : O_RDONLY
  if (f.append) bits |= O_APPEND
  if (f.create) bits |= O_CREAT
  if (f.exclusive) bits |= O_EXCL
  if (f.truncate) bits |= O_TRUNC
  return bits
}

/**
 * open(2) below the root. O_NOFOLLOW makes a symlink in the final component fail with ELOOP
 * instead of being followed blindly; only then (CLI/MCP callers: the kernel resolves links
 * itself) is the link resolved and re-checked against the root. A dangling link opened with
 * O_CREAT answers ENOENT rather than creating its target.
 */
export async function openHost(root: LocalRoot, path: string, bits: number, mode = 0o666): Promise<FileHandle> {
  const host = await root.noFollow(path)
  try {
    return await open(host, bits | O_NOFOLLOW, mode & 0o7777)
  } catch (err) {
    if (errorCode(err) !== 'ELOOP') throw err
  }
  return await open(await root.follow(path), bits | O_NOFOLLOW, mode & 0o7777)
}

/** Opens for reading and refuses directories (open(2) accepts them; reading them is EISDIR anyway). */
export async function openFileForRead(root: LocalRoot, path: string): Promise<FileHandle> {
  const fh = await openHost(root, path, O_RDONLY)
  try {
    const st = await fh.stat()
    if (st.isDirectory()) throw errnoError('EISDIR', 'open')
    return fh
  } catch (err) {
    await fh.close()
    throw err
  }
}

/** Node's fs calls cannot be cancelled once started: an aborted call is refused before it starts. */
export function checkSignal(opts: CallOptions | undefined): void {
  if (opts?.signal?.aborted === true) {
    throw Object.assign(new Error('aborted', { cause: opts.signal.reason }), { code: 'ABORT_ERR' })
  }
}

/**
 * An open file of the local backend; also serves as its Reader. Reads and writes loop until done:
 * FUSE takes a short read for end of file and a short write for an error.
 */
export class LocalFile implements RandomAccessFile {
  readonly path: string
  #fh: FileHandle
  #closed = false

  constructor(fh: FileHandle, path: string) {
    this.#fh = fh
    this.path = path
  }

  async read(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number> {
    try {
      checkSignal(opts)
      let done = 0
      while (done < buffer.byteLength) {
        const { bytesRead } = await this.#fh.read(buffer, done, buffer.byteLength - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
      return done
    } catch (err) {
      throw toVfsError(err, 'read', this.path)
    }
  }

  /** With O_APPEND, Linux's pwrite(2) ignores the position and appends: what the kernel expects. */
  async write(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number> {
    try {
      checkSignal(opts)
      let done = 0
      while (done < buffer.byteLength) {
        const { bytesWritten } = await this.#fh.write(buffer, done, buffer.byteLength - done, position + done)
        if (bytesWritten === 0) throw errnoError('EIO', 'write', 'wrote 0 bytes')
        done += bytesWritten
      }
      return done
    } catch (err) {
      throw toVfsError(err, 'write', this.path)
    }
  }

  async truncate(size: number, opts?: CallOptions): Promise<void> {
    try {
      checkSignal(opts)
      await this.#fh.truncate(size)
    } catch (err) {
      throw toVfsError(err, 'truncate', this.path)
    }
  }

  async sync(datasync: boolean, opts?: CallOptions): Promise<void> {
    try {
      checkSignal(opts)
      await (datasync ? this.#fh.datasync() : this.#fh.sync())
    } catch (err) {
      throw toVfsError(err, 'fsync', this.path)
    }
  }

  async stat(opts?: CallOptions): Promise<Stat> {
    try {
      checkSignal(opts)
      return toStat(await this.#fh.stat({ bigint: true }))
    } catch (err) {
      throw toVfsError(err, 'fstat', this.path)
    }
  }

  /** Idempotent: a second close (release after a failed flush) is not an error. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#fh.close()
    } catch (err) {
      throw toVfsError(err, 'close', this.path)
    }
  }
}
