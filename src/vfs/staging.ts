import { randomBytes } from 'node:crypto'
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CallOptions, Reader, Upload } from './backend.ts'
import { hashRead } from './content-hash.ts'
import { toVfsError, VfsError } from './errors.ts'
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
 * A whole-object file staged for its backend: it takes random writes and truncates, and is handed
 * to the backend when a handle flushes. One staged file per open path, shared by every handle on
 * it, so two writers and a reader of the same path see the same bytes.
 *
 * Where the backend can take a new file's bytes as they are written (`Backend.createUpload`), a
 * new or truncated file starts as that upload, with no local copy: as long as every write lands at
 * the end, the bytes go only to the backend. The first read, out-of-order write or truncate moves
 * the file to a local copy (the upload's bytes read back), and it is staged locally from then on.
 */
export class StagedFile {
  readonly localPath: string
  /** The local copy: made at once, or when the file leaves its upload (#leaveUpload). */
  #local: Promise<FileHandle> | undefined
  #upload: Upload | undefined
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

  constructor(localPath: string, content: FileHandle | Upload, size: number, meta: StagedMeta, isNew: boolean) {
    this.localPath = localPath
    if ('append' in content) this.#upload = content
    else this.#local = Promise.resolve(content)
    this.size = size
    this.meta = meta
    this.dirty = isNew
    this.isNew = isNew
  }

  /** The backend's upload holding every byte so far; undefined once the file has a local copy. */
  get upload(): Upload | undefined {
    return this.#local === undefined ? this.#upload : undefined
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    if (position >= this.size) return 0
    const fh = await this.#localFile()
    const length = Math.min(buffer.length, this.size - position)
    const { bytesRead } = await fh.read(buffer, 0, length, position)
    return bytesRead
  }

  async write(buffer: Uint8Array, position: number): Promise<number> {
    // write(2) of no bytes changes nothing: not the size (a hole we never wrote), not mtime.
    if (buffer.length === 0) return 0
    const upload = this.upload
    if (upload && position === this.size) {
      // append() copies the bytes before it returns, so the next write sees the new size at once.
      const ready = upload.append(buffer)
      this.#wrote(buffer, position)
      await ready
      return buffer.length
    }
    const fh = await this.#localFile()
    const { bytesWritten } = await fh.write(buffer, 0, buffer.length, position)
    this.#wrote(bytesWritten === buffer.length ? buffer : buffer.subarray(0, bytesWritten), position)
    return bytesWritten
  }

  #wrote(bytes: Uint8Array, position: number): void {
    this.hash.update(bytes, position)
    this.size = Math.max(this.size, position + bytes.length)
    this.touch()
  }

  async truncate(size: number): Promise<void> {
    if (!(this.upload && size === this.size)) await (await this.#localFile()).truncate(size)
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
    const fh = await this.#localFile()
    const hex = await hashRead(async (b, p) => (await fh.read(b, 0, b.length, p)).bytesRead, this.size)
    // A change during the read-back: no hash rather than one of mixed bytes.
    if (hex === undefined || this.version !== version) return undefined
    this.#digest = { version, hex }
    return hex
  }

  /** Makes the local copy durable on disk before it is acknowledged or uploaded (an upload holds its own bytes). */
  async sync(): Promise<void> {
    if (this.#local) await (await this.#local).datasync()
  }

  /** Moves the bytes to a local copy (a failed upload leaves them owed to the store). */
  async stageLocally(): Promise<void> {
    await this.#localFile()
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
    await this.#upload?.abort().catch(() => {})
    this.#upload = undefined
    const local = await this.#local?.catch(() => undefined)
    await local?.close().catch(() => {})
    await rm(this.localPath, { force: true })
  }

  #localFile(): Promise<FileHandle> {
    this.#local ??= this.#leaveUpload()
    return this.#local
  }

  /** The local copy of an upload's bytes; the upload is dropped once they are copied. */
  async #leaveUpload(): Promise<FileHandle> {
    const upload = this.#upload as Upload
    const fh = await open(this.localPath, 'wx+', 0o600)
    try {
      const buffer = Buffer.allocUnsafe(COPY_CHUNK)
      for (let position = 0; position < upload.size; ) {
        const n = await upload.read(buffer, position)
        if (n === 0) throw new VfsError('EIO', 'stage', this.localPath, { message: `EIO: the upload ended at ${position} of ${upload.size} bytes` })
        await fh.write(buffer, 0, n, position)
        position += n
      }
    } catch (err) {
      await fh.close().catch(() => {})
      await rm(this.localPath, { force: true })
      throw toVfsError(err, 'stage', this.localPath)
    }
    await upload.abort().catch(() => {})
    this.#upload = undefined
    return fh
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

  /** A new file held by the backend's `upload` until it needs a local copy (StagedFile). */
  async createUpload(meta: StagedMeta, upload: Upload): Promise<StagedFile> {
    return new StagedFile(await this.#newPath(), upload, 0, meta, true)
  }

  /** A new staged file: empty, or a copy of the object read through `source`. */
  async create(meta: StagedMeta, source?: Reader, opts?: CallOptions): Promise<StagedFile> {
    const localPath = await this.#newPath()
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

  /** A name for a staged file's local copy, in the folder (made on first need). */
  async #newPath(): Promise<string> {
    this.#ready ??= mkdir(this.#dir, { recursive: true }).then(() => {})
    await this.#ready
    return join(this.#dir, `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`)
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
