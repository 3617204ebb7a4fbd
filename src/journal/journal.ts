import { basename } from 'node:path'
import { createLogger } from '../log.ts'
import type { OpIntent, OpJournal, OpOutcome, OpTicket, PendingUpload } from '../vfs/journal-hook.ts'
import { isWithin, normalizePath } from '../vfs/paths.ts'
import { type JournalEntry, KEY, type Outcome, type RecoveryAction, type RecoveryReport, historyRanges, prefixRange, seqOfHistoryKey } from './entries.ts'
import { type BatchOp, type JournalDb, JournalStore } from './store.ts'

const log = createLogger('journal')

/** A pending upload as stored: the staged copy, where it goes, and when it was acknowledged. */
export interface StoredPendingUpload extends PendingUpload {
  time: number
}

export interface ListOptions {
  /** Entries after this sequence number (exclusive). */
  since?: number
  limit?: number
  /** Only entries of this mount point. */
  mount?: string
}

export interface CompactResult {
  /** Entries deleted. */
  removed: number
  /** Entries before `beforeSeq` kept: tracked paths' history and unfinished intents. */
  kept: number
}

/**
 * The write-ahead journal: every mutating operation is an intent written before it is applied
 * and an outcome after, numbered in one sequence. Also holds the pending uploads of whole-object
 * mounts, the tracked subtrees and the last recovery report. One writer: the process that opened
 * the state database (the daemon, or a CLI command when no daemon runs).
 *
 * Other features journal their own operations the same way:
 *   const t = await journal.begin({ op: 'checkpoint', mount: '', paths: ['/local'], args: { label } })
 *   try { ...; await t.end({ result: { id } }) } catch (err) { await t.end({ errno: 'EIO' }); throw err }
 */
export class Journal implements OpJournal {
  readonly store: JournalStore
  /** The report of the recovery run at this start (or the last one stored). */
  lastRecovery: RecoveryReport | undefined
  /**
   * Test-only fault injection: called once an intent is written and before its operation is
   * applied (test/journal/journal-daemon.ts kills the process here, see IPFS_VFS_TEST_CRASH_AFTER_INTENT).
   */
  afterIntent: ((entry: JournalEntry) => void) | undefined
  #seq: number
  #entries: number
  #tracked: Set<string>

  private constructor(store: JournalStore, seq: number, entries: number, tracked: Set<string>, lastRecovery: RecoveryReport | undefined) {
    this.store = store
    this.#seq = seq
    this.#entries = entries
    this.#tracked = tracked
    this.lastRecovery = lastRecovery
  }

  static async open(db: JournalDb): Promise<Journal> {
    const store = new JournalStore(db)
    const [last] = await store.keys(prefixRange('e!'), { reverse: true, limit: 1 })
    const floor = (await store.get<number>(KEY.floor)) ?? 0
    const seq = Math.max(floor, last === undefined ? 0 : Number(last.slice(2)))
    let entries = 0
    for await (const _ of db.keys(prefixRange('e!'))) entries++
    const tracked = new Set((await store.keys(prefixRange('t!'))).map((k) => k.slice(2)))
    return new Journal(store, seq, entries, tracked, await store.get<RecoveryReport>(KEY.recovery))
  }

  /** The sequence number of the last entry begun (checkpoints record it). */
  get lastSeq(): number {
    return this.#seq
  }

  get entries(): number {
    return this.#entries
  }

  /** Writes the intent; resolves to a ticket whose end() writes the outcome. */
  async begin(intent: OpIntent): Promise<OpTicket> {
    const seq = ++this.#seq
    const entry: JournalEntry = { seq, time: Date.now(), mount: intent.mount, op: intent.op, paths: intent.paths, ...(intent.args ? { args: intent.args } : {}), status: 'intent' }
    const ops: BatchOp[] = [
      { type: 'put', key: KEY.entry(seq), value: entry },
      { type: 'put', key: KEY.intent(seq), value: seq },
    ]
    for (const path of intent.paths) ops.push({ type: 'put', key: KEY.history(path, seq), value: seq })
    await this.store.write(ops)
    this.#entries++
    this.afterIntent?.(entry)
    let ended: Promise<void> | undefined
    return { seq, end: (outcome) => (ended ??= this.#end(entry, outcome)) }
  }

  #end(entry: JournalEntry, outcome: OpOutcome = {}): Promise<void> {
    const done: Outcome = {
      status: outcome.errno ? 'error' : 'ok',
      endTime: Date.now(),
      ...(outcome.errno ? { errno: outcome.errno } : {}),
      ...(outcome.result ? { result: outcome.result } : {}),
    }
    return this.store
      .write([{ type: 'put', key: KEY.outcome(entry.seq), value: done }, { type: 'del', key: KEY.intent(entry.seq) }], outcome.sync === true)
      .catch((err: unknown) => log.error(`outcome of #${entry.seq} ${entry.op} not recorded`, err))
  }

  /** Records how recovery settled an unfinished intent. */
  async settle(entry: JournalEntry, recovery: RecoveryAction, errno?: string): Promise<void> {
    const settled: Outcome = { status: 'recovered', recovery, endTime: Date.now(), ...(errno ? { errno } : {}) }
    await this.store.write([{ type: 'put', key: KEY.outcome(entry.seq), value: settled }, { type: 'del', key: KEY.intent(entry.seq) }])
  }

  /** Intents without an outcome, oldest first. */
  async unfinished(): Promise<JournalEntry[]> {
    const seqs = await this.store.values<number>(prefixRange('i!'))
    return this.#entriesOf(seqs)
  }

  /** The entries of these sequence numbers (intent and outcome merged), in the order given; missing ones left out. */
  async #entriesOf(seqs: number[]): Promise<JournalEntry[]> {
    if (seqs.length === 0) return []
    const intents = (await this.store.db.getMany(seqs.map(KEY.entry))) as (JournalEntry | undefined)[]
    const outcomes = (await this.store.db.getMany(seqs.map(KEY.outcome))) as (Outcome | undefined)[]
    const out: JournalEntry[] = []
    intents.forEach((intent, i) => {
      if (intent) out.push({ ...intent, ...outcomes[i] })
    })
    return out
  }

  // --- pending uploads -------------------------------------------------------------------------

  async addPendingUpload(upload: PendingUpload, sync: boolean): Promise<void> {
    const record: StoredPendingUpload = { ...upload, time: Date.now() }
    await this.store.write([{ type: 'put', key: KEY.pending(basename(upload.localPath)), value: record }], sync)
  }

  async removePendingUpload(localPath: string): Promise<void> {
    await this.store.write([{ type: 'del', key: KEY.pending(basename(localPath)) }]).catch((err: unknown) => log.error(`pending upload ${localPath} not cleared`, err))
  }

  pendingUploads(): Promise<StoredPendingUpload[]> {
    return this.store.values<StoredPendingUpload>(prefixRange('p!'))
  }

  // --- reading ---------------------------------------------------------------------------------

  async get(seq: number): Promise<JournalEntry | undefined> {
    const [entry] = await this.#entriesOf([seq])
    return entry
  }

  /** Entries in sequence order after `since`, at most `limit` (default 100). */
  async list({ since = 0, limit = 100, mount }: ListOptions = {}): Promise<JournalEntry[]> {
    const seqs: number[] = []
    for await (const [, value] of this.store.db.iterator({ gt: KEY.entry(since), lt: 'e!\uffff' })) {
      const entry = value as JournalEntry
      if (mount !== undefined && entry.mount !== mount) continue
      seqs.push(entry.seq)
      if (seqs.length >= limit) break
    }
    return this.#entriesOf(seqs)
  }

  /** The operations that named `path` or anything below it, oldest first: the last `limit` (default 100). */
  async history(path: string, limit = 100): Promise<JournalEntry[]> {
    const p = normalizePath(path, 'history')
    const seqs = new Set<number>()
    for (const range of historyRanges(p)) for (const key of await this.store.keys(range)) seqs.add(seqOfHistoryKey(key))
    return this.#entriesOf([...seqs].sort((a, b) => a - b).slice(-limit))
  }

  // --- tracking and compaction -----------------------------------------------------------------

  async track(path: string): Promise<void> {
    const p = normalizePath(path, 'track')
    await this.store.write([{ type: 'put', key: KEY.tracked(p), value: { since: Date.now() } }])
    this.#tracked.add(p)
  }

  async untrack(path: string): Promise<boolean> {
    const p = normalizePath(path, 'untrack')
    const had = this.#tracked.delete(p)
    await this.store.write([{ type: 'del', key: KEY.tracked(p) }])
    return had
  }

  tracked(): string[] {
    return [...this.#tracked].sort()
  }

  isTracked(path: string): boolean {
    for (const t of this.#tracked) if (isWithin(path, t)) return true
    return false
  }

  /**
   * Deletes finished entries with a sequence number below `beforeSeq` (the oldest retained
   * checkpoint's), except those naming a tracked path. Unfinished intents are never deleted.
   */
  async compact(beforeSeq: number): Promise<CompactResult> {
    let removed = 0
    let kept = 0
    let ops: BatchOp[] = []
    for await (const [, value] of this.store.db.iterator({ gte: KEY.entry(0), lt: KEY.entry(beforeSeq) })) {
      const entry = value as JournalEntry
      if (entry.paths.some((p) => this.isTracked(p)) || (await this.store.get(KEY.intent(entry.seq))) !== undefined) {
        kept++
        continue
      }
      ops.push({ type: 'del', key: KEY.entry(entry.seq) }, { type: 'del', key: KEY.outcome(entry.seq) })
      for (const p of entry.paths) ops.push({ type: 'del', key: KEY.history(p, entry.seq) })
      removed++
      if (ops.length >= 1000) {
        await this.store.write(ops)
        ops = []
      }
    }
    // The sequence never goes back, even when every entry is gone.
    ops.push({ type: 'put', key: KEY.floor, value: this.#seq })
    await this.store.write(ops)
    this.#entries -= removed
    return { removed, kept }
  }

  async saveRecovery(report: RecoveryReport): Promise<void> {
    this.lastRecovery = report
    await this.store.write([{ type: 'put', key: KEY.recovery, value: report }], true)
  }

  /** Waits for every queued record to be written. */
  drain(): Promise<void> {
    return this.store.drain()
  }
}
