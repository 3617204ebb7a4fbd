import { randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CallOptions, Reader } from './backend.ts'
import { hashRead } from './content-hash.ts'
import { toVfsError } from './errors.ts'
import { SequentialHash } from './write-session.ts'

export interface StagedMeta {
  mode: number
  uid: number
  gid: number
  mtimeNs: bigint
  atimeNs: bigint
}

const COPY_CHUNK = 1 << 20
/** Files larger than this are not read back to hash them when their writes came out of order. */
export const MAX_REHASH = 256 * 2 ** 20

/**
 * A whole-object file staged on local disk: it takes random writes and truncates, and is handed
 * to the backend's `put` when a handle flushes. One staged file per open path, shared by every
 * handle on it, so two writers and a reader of the same path see the same bytes.
 */
export class StagedFile {
  readonly localPath: string
  readonly #fh: FileHandle
  size: number
  meta: StagedMeta
  /** Changes since the last successful upload (content or metadata). */
  dirty: boolean
  /** Bumped by every change, so an upload that overlapped a write leaves the file dirty. */
  version = 0
  /** The object does not exist in the backend yet (created here, never uploaded). */
  isNew: boolean
  /** Content hash (content-hash.ts) of the bytes as they are written (the journal's write sessions and pending uploads). */
  readonly hash = new SequentialHash()
  /** A pending upload of this copy is recorded in the journal (its record goes when the copy does). */
  pendingRecorded = false
  /** The staging folder was fsynced since this file was created (its name survives a crash). */
  dirSynced = false
  #digest: { version: number; hex: string } | undefined

  constructor(localPath: string, fh: FileHandle, size: number, meta: StagedMeta, isNew: boolean) {
    this.localPath = localPath
    this.#fh = fh
    this.size = size
    this.meta = meta
    this.dirty = isNew
    this.isNew = isNew
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    if (position >= this.size) return 0
    const length = Math.min(buffer.length, this.size - position)
    const { bytesRead } = await this.#fh.read(buffer, 0, length, position)
    return bytesRead
  }

  async write(buffer: Uint8Array, position: number): Promise<number> {
    // write(2) of no bytes changes nothing: not the size (a hole we never wrote), not mtime.
    if (buffer.length === 0) return 0
    const { bytesWritten } = await this.#fh.write(buffer, 0, buffer.length, position)
    this.hash.update(bytesWritten === buffer.length ? buffer : buffer.subarray(0, bytesWritten), position)
    this.size = Math.max(this.size, position + bytesWritten)
    this.touch()
    return bytesWritten
  }

  async truncate(size: number): Promise<void> {
    await this.#fh.truncate(size)
    this.hash.truncate(size)
    this.size = size
    this.touch()
  }

  /** Content hash of the staged bytes: from the running hash, else read back (undefined past MAX_REHASH). */
  async contentHash(): Promise<string | undefined> {
    if (this.#digest?.version === this.version) return this.#digest.hex
    const version = this.version
    const running = this.hash.digest(this.size)
    if (running !== undefined) return running
    if (this.size > MAX_REHASH) return undefined
    const hex = await hashRead(async (b, p) => (await this.#fh.read(b, 0, b.length, p)).bytesRead, this.size)
    // A change during the read-back: no hash rather than one of mixed bytes.
    if (hex === undefined || this.version !== version) return undefined
    this.#digest = { version, hex }
    return hex
  }

  /** Makes the staged bytes durable on local disk before they are acknowledged or uploaded. */
  async sync(): Promise<void> {
    await this.#fh.datasync()
  }

  /** A content change: POSIX moves mtime to now, even after an explicit utimens. */
  touch(): void {
    this.meta.mtimeNs = BigInt(Date.now()) * 1_000_000n
    this.markDirty()
  }

  markDirty(): void {
    this.dirty = true
    this.version++
  }

  async discard(): Promise<void> {
    await this.#fh.close().catch(() => {})
    await rm(this.localPath, { force: true })
  }
}

/** The folder of staged files, one per mount path being written, under the state directory. */
export class Staging {
  readonly #dir: string
  #ready: Promise<void> | undefined

  constructor(dir: string) {
    this.#dir = dir
  }

  get dir(): string {
    return this.#dir
  }

  /** fsync of the staging folder: a staged file's name survives a crash once this resolves. */
  async syncDir(): Promise<void> {
    const fh = await open(this.#dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  }

  /** A new staged file: empty, or a copy of the object read through `source`. */
  async create(meta: StagedMeta, source?: Reader, opts?: CallOptions): Promise<StagedFile> {
    this.#ready ??= mkdir(this.#dir, { recursive: true }).then(() => {})
    await this.#ready
    const localPath = join(this.#dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`)
    const fh = await open(localPath, 'wx+', 0o600)
    try {
      const staged = new StagedFile(localPath, fh, 0, meta, source === undefined)
      if (source) staged.size = await copyInto(fh, source, staged.hash, opts)
      return staged
    } catch (err) {
      await fh.close().catch(() => {})
      await rm(localPath, { force: true })
      throw toVfsError(err, 'stage', localPath)
    }
  }
}

async function copyInto(fh: FileHandle, source: Reader, hash: SequentialHash, opts?: CallOptions): Promise<number> {
  const buffer = Buffer.allocUnsafe(COPY_CHUNK)
  let position = 0
  for (;;) {
    const n = await source.read(buffer, position, opts)
    if (n === 0) return position
    await fh.write(buffer, 0, n, position)
    hash.update(buffer.subarray(0, n), position)
    position += n
  }
}
