/**
 * Ranged reads of one object with adaptive read-ahead (after mountpoint-s3's prefetcher): a read
 * that continues where the last one ended doubles the window ahead of it, from 256 KiB up to
 * `readAheadMax`, fetched as parts of `readPartSize` in parallel ranged GETs; a read anywhere
 * else drops the window and fetches just the bytes asked for. A small read never downloads the
 * whole object (unless the object is that small).
 */
import type { CallOptions, Reader } from '../../vfs/backend.ts'

export type FetchRange = (start: number, end: number, opts?: CallOptions) => Promise<Buffer>

export interface ReaderOptions {
  readAheadMax: number
  readPartSize: number
}

interface Segment {
  start: number
  end: number
  data: Promise<Buffer>
}

const FIRST_WINDOW = 256 << 10

export class ObjectReader implements Reader {
  readonly #size: number
  readonly #fetch: FetchRange
  readonly #o: ReaderOptions
  /** Contiguous prefetched segments, in order. */
  #segments: Segment[] = []
  /** Where the last read ended: a read starting here is sequential. */
  #lastEnd = 0
  #window = FIRST_WINDOW
  /** Aborts the read-ahead still in flight when the reader closes or seeks away. */
  #ahead = new AbortController()
  /** Requests made, for tests and the bench. */
  requests = 0

  constructor(size: number, fetch: FetchRange, o: ReaderOptions) {
    this.#size = size
    this.#fetch = fetch
    this.#o = o
  }

  async read(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number> {
    if (position >= this.#size || buffer.length === 0) return 0
    const end = Math.min(this.#size, position + buffer.length)
    const first = this.#segments[0]
    const last = this.#segments.at(-1)
    // The kernel reads ahead itself, several reads in flight and not always in order: a read
    // that lands inside or just past the window is still part of the stream.
    const inWindow = first !== undefined && last !== undefined && position >= first.start && position <= last.end
    if (!inWindow && position !== this.#lastEnd) {
      // A seek: fetch exactly what was asked; the window stays for reads that still use it.
      this.#lastEnd = end
      this.requests++
      const data = await this.#fetch(position, end, opts)
      const n = Math.min(data.length, end - position)
      buffer.set(data.subarray(0, n))
      return n
    }
    if (position === this.#lastEnd) this.#window = Math.min(this.#o.readAheadMax, this.#window * 2)
    this.#lastEnd = Math.max(this.#lastEnd, end)
    if (!inWindow) this.#segments = []
    // Parts well behind the reader are done with (a little slack for reads still in flight).
    while (this.#segments.length > 1 && (this.#segments[0] as Segment).end <= position - this.#o.readPartSize) this.#segments.shift()
    this.#fill(position, end)
    // Chosen before any await: a concurrent read may move the window meanwhile.
    const needed = this.#segments.filter((s) => s.end > position && s.start < end)
    let done = 0
    for (const s of needed) {
      let data: Buffer
      try {
        data = await abortable(s.data, opts)
      } catch (err) {
        // A failed part is not kept (nor what follows it, so the window stays contiguous): the next read asks again.
        const i = this.#segments.indexOf(s)
        if (i >= 0) this.#segments = this.#segments.slice(0, i)
        throw err
      }
      const from = position + done - s.start
      if (from < 0) throw Object.assign(new Error('read-ahead window has a gap'), { code: 'EIO' })
      const n = Math.min(data.length - from, end - (position + done))
      if (n <= 0) break
      buffer.set(data.subarray(from, from + n), done)
      done += n
      if (position + done >= end) break
    }
    return done
  }

  async close(): Promise<void> {
    this.#ahead.abort()
    this.#segments = []
  }

  /** Makes sure segments cover [position, max(end, position + window)), contiguous from the first. */
  #fill(position: number, end: number): void {
    const target = Math.min(this.#size, Math.max(end, position + this.#window))
    let next = this.#segments.at(-1)?.end ?? position
    const part = Math.max(FIRST_WINDOW, Math.min(this.#o.readPartSize, this.#window))
    const signal = this.#ahead.signal
    while (next < target) {
      const start = next
      const stop = Math.min(this.#size, start + part)
      this.requests++
      const data = this.#fetch(start, stop, { signal })
      // A read-ahead nobody waits for must not crash the process when it fails.
      data.catch(() => {})
      this.#segments.push({ start, end: stop, data })
      next = stop
    }
  }
}

/** Waits for a shared fetch, but gives up when this caller's own signal aborts. */
function abortable<T>(p: Promise<T>, opts?: CallOptions): Promise<T> {
  const signal = opts?.signal
  if (!signal) return p
  if (signal.aborted) return Promise.reject(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
