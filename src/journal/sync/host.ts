/**
 * What sync and checkpoints need from the Service (src/cli/service.ts), named here so that
 * src/journal does not import the CLI layer: the Vfs, the state database, the IPFS engine, the
 * control-method table and, once it exists, the write-ahead journal.
 */
import type { ControlMethods } from '../../control/protocol.ts'
import type { Vfs } from '../../vfs/vfs.ts'
import type { OpIntent, OpOutcome } from '../../vfs/journal-hook.ts'
import { VfsError } from '../../vfs/errors.ts'
import { SyncIndex } from './sync-index.ts'
import type { AnyLevel, IpfsBlocks, SyncContext } from './types.ts'

export interface JournalLike {
  readonly lastSeq: number
  begin(intent: OpIntent): Promise<{ readonly seq: number; end(outcome?: OpOutcome): Promise<void> }>
}

export interface SyncHost {
  readonly vfs: Vfs
  readonly db: AnyLevel
  ipfs(): Promise<{ readonly helia: { readonly blockstore: IpfsBlocks }; readonly networking: boolean }>
  register(methods: ControlMethods): void
  onClose(fn: () => Promise<void>): void
  onDaemon?(fn: () => void): void
}

/** The journal of the host, when it has one (the journal feature sets `service.journal`). */
export function journalOf(host: SyncHost): JournalLike | undefined {
  return (host as unknown as { journal?: JournalLike }).journal
}

/** The sync context over the host's IPFS engine; the index lives in the state database. */
export async function syncContext(host: SyncHost): Promise<SyncContext> {
  const engine = await host.ipfs()
  return { vfs: host.vfs, blocks: engine.helia.blockstore, offline: !engine.networking, index: new SyncIndex(host.db) }
}

/** Runs `fn` between a journal intent and its outcome (nothing is recorded without a journal). */
export async function journaled<T>(host: SyncHost, intent: OpIntent, fn: () => Promise<T>, result: (r: T) => Record<string, unknown>): Promise<T> {
  const ticket = await journalOf(host)?.begin(intent)
  try {
    const r = await fn()
    await ticket?.end({ result: result(r) })
    return r
  } catch (err) {
    await ticket?.end({ errno: err instanceof VfsError ? err.code : 'EIO' })
    throw err
  }
}

/** The mount point `path` lies in ('' when it is above every mount). */
export function mountOf(host: SyncHost, path: string): string {
  try {
    const r = host.vfs.resolve(path, 'sync')
    return r.kind === 'mount' ? r.mount.point : ''
  } catch {
    return ''
  }
}

/**
 * Long operations of one Service: each gets a signal that fires when its caller goes away or the
 * Service closes; close waits for them to stop.
 */
export class Jobs {
  readonly #closing = new AbortController()
  readonly #running = new Set<Promise<unknown>>()

  run<T>(signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const s = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal
    if (s.aborted) return Promise.reject(new VfsError('EIO', 'sync', undefined, { message: 'EIO: the service is shutting down' }))
    const p = fn(s)
    this.#running.add(p)
    const forget = () => this.#running.delete(p)
    p.then(forget, forget)
    return p
  }

  async close(): Promise<void> {
    this.#closing.abort()
    await Promise.allSettled([...this.#running])
  }
}
