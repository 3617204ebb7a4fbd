import { createLogger } from '../log.ts'

const log = createLogger('journal')

export type BatchOp = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string }

/** The part of an abstract-level database (a sublevel with JSON values) the journal uses. */
export interface JournalDb {
  batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>
  get(key: string): Promise<unknown>
  getMany(keys: string[]): Promise<unknown[]>
  iterator(options?: { gt?: string; gte?: string; lt?: string; reverse?: boolean; limit?: number }): AsyncIterable<[string, unknown]> & { close(): Promise<void> }
  keys(options?: { gte?: string; lt?: string; reverse?: boolean; limit?: number }): AsyncIterable<string> & { close(): Promise<void> }
}

interface Waiter {
  resolve(): void
  reject(err: unknown): void
}

/**
 * Group commit over LevelDB: writes queued while a batch is being written go out together in the
 * next one, so concurrent operations share one write (and one fsync when any of them asked for
 * it). LevelDB hands every batch to the kernel before it resolves, so a record is safe from a
 * kill -9 of the daemon once its write resolves; `sync` also makes it safe from a power cut.
 */
export class JournalStore {
  readonly db: JournalDb
  #queue: BatchOp[] = []
  #waiters: Waiter[] = []
  #sync = false
  #writing = false
  #idle: PromiseWithResolvers<void> | undefined

  constructor(db: JournalDb) {
    this.db = db
  }

  write(ops: BatchOp[], sync = false): Promise<void> {
    const done = Promise.withResolvers<void>()
    for (const op of ops) this.#queue.push(op)
    this.#waiters.push(done)
    if (sync) this.#sync = true
    this.#kick()
    return done.promise
  }

  /** Resolves once everything queued so far is written. */
  async drain(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return
    this.#idle ??= Promise.withResolvers<void>()
    await this.#idle.promise
  }

  #kick(): void {
    if (this.#writing || this.#queue.length === 0) return
    const ops = this.#queue
    const waiters = this.#waiters
    const sync = this.#sync
    this.#queue = []
    this.#waiters = []
    this.#sync = false
    this.#writing = true
    this.db.batch(ops, { sync }).then(
      () => {
        for (const w of waiters) w.resolve()
      },
      (err: unknown) => {
        log.error(`journal write of ${ops.length} record(s) failed`, err)
        for (const w of waiters) w.reject(err)
      },
    ).finally(() => {
      this.#writing = false
      if (this.#queue.length > 0) this.#kick()
      else {
        this.#idle?.resolve()
        this.#idle = undefined
      }
    })
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.db.get(key) as Promise<T | undefined>
  }

  /** Values of a key range, in key order (or reversed), at most `limit`. */
  async values<T>(range: { gte: string; lt: string }, opts: { reverse?: boolean; limit?: number } = {}): Promise<T[]> {
    const out: T[] = []
    for await (const [, value] of this.db.iterator({ ...range, ...(opts.reverse ? { reverse: true } : {}), ...(opts.limit === undefined ? {} : { limit: opts.limit }) })) out.push(value as T)
    return out
  }

  async keys(range: { gte: string; lt: string }, opts: { reverse?: boolean; limit?: number } = {}): Promise<string[]> {
    const out: string[] = []
    for await (const key of this.db.keys({ ...range, ...(opts.reverse ? { reverse: true } : {}), ...(opts.limit === undefined ? {} : { limit: opts.limit }) })) out.push(key)
    return out
  }
}
