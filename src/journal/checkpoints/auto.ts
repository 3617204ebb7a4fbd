/**
 * Automatic checkpoints (config `checkpoints: { intervalSeconds, everyOps, keep }`), run by the
 * daemon only: every `intervalSeconds`, and/or once `everyOps` journal entries have been begun
 * since the last one. Each is labelled `auto`; `keep` bounds how many automatic checkpoints are
 * kept (the oldest go first; checkpoints made by hand are never pruned), and the journal is then
 * compacted up to the oldest checkpoint still kept.
 */
import { createLogger } from '../../log.ts'
import { journalOf, type SyncHost } from '../sync/host.ts'
import type { Checkpoints } from './checkpoints.ts'

const log = createLogger('checkpoint')

export interface AutoCheckpointOptions {
  /** Take one this often. */
  intervalSeconds?: number | undefined
  /** Take one once this many journal entries were begun since the last. */
  everyOps?: number | undefined
  /** Automatic checkpoints kept (older ones deleted, and the journal compacted up to the oldest kept). */
  keep?: number | undefined
}

export const AUTO_LABEL = 'auto'
/** How often the op count is looked at. */
const OPS_POLL_MS = 2000

export class AutoCheckpoints {
  readonly #host: SyncHost
  readonly #checkpoints: Checkpoints
  readonly #opts: AutoCheckpointOptions
  readonly #abort = new AbortController()
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #lastTime = Date.now()
  #lastSeq = 0

  constructor(host: SyncHost, checkpoints: Checkpoints, opts: AutoCheckpointOptions) {
    this.#host = host
    this.#checkpoints = checkpoints
    this.#opts = opts
  }

  get enabled(): boolean {
    return this.#opts.intervalSeconds !== undefined || this.#opts.everyOps !== undefined
  }

  async start(): Promise<void> {
    if (!this.enabled) return
    const last = await this.#checkpoints.store.last()
    this.#lastSeq = last?.seq ?? journalOf(this.#host)?.lastSeq ?? 0
    const pollMs = Math.min(this.#opts.everyOps !== undefined ? OPS_POLL_MS : Infinity, (this.#opts.intervalSeconds ?? Infinity) * 1000)
    this.#timer = setInterval(() => this.#tick(), pollMs)
    this.#timer.unref()
  }

  /** Whether one is due now. */
  due(now = Date.now()): boolean {
    const { intervalSeconds, everyOps } = this.#opts
    if (intervalSeconds !== undefined && now - this.#lastTime >= intervalSeconds * 1000) return true
    const seq = journalOf(this.#host)?.lastSeq
    return everyOps !== undefined && seq !== undefined && seq - this.#lastSeq >= everyOps
  }

  #tick(): void {
    if (this.#running || !this.due()) return
    this.#running = this.run()
      .catch((err: unknown) => log.error('automatic checkpoint', err))
      .finally(() => {
        this.#running = undefined
      })
  }

  /** Takes one automatic checkpoint now, then applies `keep`. */
  async run(): Promise<void> {
    this.#lastTime = Date.now()
    const cp = await this.#checkpoints.create({ label: AUTO_LABEL }, { signal: this.#abort.signal })
    this.#lastSeq = cp.seq
    log.info(`checkpoint ${cp.id} (${AUTO_LABEL}) at #${cp.seq}`)
    if (this.#opts.keep === undefined) return
    const oldest = await this.#checkpoints.prune(AUTO_LABEL, this.#opts.keep)
    const journal = journalOf(this.#host) as { compact?: (beforeSeq: number) => Promise<unknown> } | undefined
    if (oldest !== undefined && journal?.compact) await journal.compact(oldest)
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#abort.abort()
    await this.#running
  }
}
