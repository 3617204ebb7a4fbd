import { type Hash, createHash } from 'node:crypto'
import { OffThreadHash } from './hash-worker.ts'
import type { OpTicket } from './journal-hook.ts'

/** Past this many separate ranges a session records one covering range (and says so). */
const MAX_RANGES = 64
/**
 * Bytes hashed as they are written. Beyond this the running hash gives up and the file is read
 * back at release (which close(2) does not wait for): sha256 inline would add about a sixth to
 * every FUSE write of a large file (128 KiB hashed in ~85 µs against ~480 µs per write).
 */
export const INLINE_HASH_BYTES = 1 << 20

/** A first write at least this large hashes on the worker thread (hash-worker.ts). */
const OFF_THREAD_MIN = 32 * 1024

/**
 * sha256 of a file's bytes computed as they are written, valid as long as they arrive in order
 * from offset 0 (cp, tar, editors' temp files, most writers). Large writes are hashed on a
 * worker thread, small ones here (up to INLINE_HASH_BYTES). Anything else (a seek back, a
 * truncate to the middle, many small writes) gives up and the caller reads the file back.
 */
export class SequentialHash {
  #inline: Hash | undefined = createHash('sha256')
  #remote: OffThreadHash | undefined
  #valid = true
  #end = 0

  update(buffer: Uint8Array, position: number): void {
    if (!this.#valid) return
    if (position !== this.#end) return this.#giveUp()
    if (this.#end === 0 && !this.#remote && buffer.length >= OFF_THREAD_MIN) {
      this.#inline = undefined
      this.#remote = new OffThreadHash()
    }
    if (this.#remote) this.#remote.update(buffer)
    else if (this.#end + buffer.length > INLINE_HASH_BYTES) return this.#giveUp()
    else this.#inline?.update(buffer)
    this.#end += buffer.length
  }

  truncate(size: number): void {
    if (size === 0) {
      this.#remote?.discard()
      this.#remote = undefined
      this.#inline = createHash('sha256')
      this.#valid = true
      this.#end = 0
    } else if (size !== this.#end) this.#giveUp()
  }

  /** The hex digest when the bytes hashed are exactly a file of `size` bytes, else undefined. */
  async digest(size: number): Promise<string | undefined> {
    if (!this.#valid || this.#end !== size) return undefined
    if (this.#remote) return (await this.#remote.digest()) || undefined
    return this.#inline?.copy().digest('hex')
  }

  /** Frees the worker's state (the hash is not used any more). */
  discard(): void {
    this.#remote?.discard()
  }

  #giveUp(): void {
    this.discard()
    this.#valid = false
    this.#inline = undefined
    this.#remote = undefined
  }
}

/**
 * One open-for-writing-to-release session of a handle: a single journal entry with the ranges
 * written and, at close, the size and content hash (not one entry per FUSE write).
 */
export class WriteSession {
  readonly ticket: OpTicket
  /** Written byte ranges [start, end), merged while writes are contiguous. */
  readonly ranges: [number, number][] = []
  /** Sizes set by ftruncate, in order. */
  readonly truncates: number[] = []
  /** For files written through (randomWrite); staged files hash themselves (none here). */
  readonly hash: SequentialHash | undefined
  #coalesced = false

  constructor(ticket: OpTicket, hashes: boolean) {
    this.ticket = ticket
    this.hash = hashes ? new SequentialHash() : undefined
  }

  wrote(buffer: Uint8Array, position: number, length: number): void {
    this.hash?.update(length === buffer.length ? buffer : buffer.subarray(0, length), position)
    const end = position + length
    const last = this.ranges.at(-1)
    if (last && position >= last[0] && position <= last[1]) {
      last[1] = Math.max(last[1], end)
      return
    }
    this.ranges.push([position, end])
    if (this.ranges.length > MAX_RANGES) {
      const lo = Math.min(...this.ranges.map((r) => r[0]))
      const hi = Math.max(...this.ranges.map((r) => r[1]))
      this.ranges.splice(0, this.ranges.length, [lo, hi])
      this.#coalesced = true
    }
  }

  truncated(size: number): void {
    this.hash?.truncate(size)
    if (this.truncates.length < MAX_RANGES) this.truncates.push(size)
  }

  result(size: number | undefined, sha256: string | undefined): Record<string, unknown> {
    return {
      ranges: this.ranges,
      ...(this.#coalesced ? { coalesced: true } : {}),
      ...(this.truncates.length ? { truncates: this.truncates } : {}),
      ...(size === undefined ? {} : { size }),
      ...(sha256 === undefined ? {} : { sha256 }),
    }
  }
}
