import { ContentHash } from './content-hash.ts'
import type { OpTicket } from './journal-hook.ts'

/** Past this many separate ranges a session records one covering range (and says so). */
const MAX_RANGES = 64

/**
 * The content hash (content-hash.ts) of a file's bytes computed as they are written, inline,
 * valid as long as they arrive in order from offset 0 (cp, tar, editors' temp files, most
 * writers). Anything else (a seek back, a hole, a truncate to the middle) gives up, and the
 * caller reads the file back at release or records no hash: never a wrong one.
 */
export class SequentialHash {
  #hash: ContentHash | undefined = new ContentHash()
  #end = 0

  update(buffer: Uint8Array, position: number): void {
    if (!this.#hash) return
    if (position !== this.#end) return this.#giveUp()
    this.#hash.update(buffer)
    this.#end += buffer.length
  }

  truncate(size: number): void {
    if (size === 0) {
      if (this.#hash) this.#hash.reset()
      else this.#hash = new ContentHash()
      this.#end = 0
    } else if (size !== this.#end) this.#giveUp()
  }

  /** The hex digest when the bytes hashed are exactly a file of `size` bytes, else undefined. */
  digest(size: number): string | undefined {
    if (!this.#hash || this.#end !== size) return undefined
    return this.#hash.digest()
  }

  #giveUp(): void {
    this.#hash = undefined
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

  result(size: number | undefined, xxh3: string | undefined): Record<string, unknown> {
    return {
      ranges: this.ranges,
      ...(this.#coalesced ? { coalesced: true } : {}),
      ...(this.truncates.length ? { truncates: this.truncates } : {}),
      ...(size === undefined ? {} : { size }),
      ...(xxh3 === undefined ? {} : { xxh3 }),
    }
  }
}
