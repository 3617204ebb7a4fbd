import type { Service } from '../cli/service.ts'
import type { CallContext } from '../control/protocol.ts'
import { describeCause } from '../log.ts'
import type { Mount } from '../vfs/mount-table.ts'
import type { CounterSummary, OpsMetrics } from './metrics.ts'
import type { RuntimeMounts } from './runtime-mounts.ts'

/** How long a backend's health probe may take before the mount counts as degraded. */
export const HEALTH_TIMEOUT_MS = 5_000

export interface MountStatus {
  point: string
  type: string
  source: 'config' | 'runtime'
  /** ok: the probe answered; degraded: it failed or did not answer in time (see reason); down: a persisted mount that could not be mounted. */
  health: 'ok' | 'degraded' | 'down'
  reason?: string
  pendingUploads: number
  openHandles: number
  info: Record<string, unknown>
}

export interface StatusResult {
  pid: number
  /** True when a daemon serves this state (false: a Service opened for this one call). */
  daemon: boolean
  startedAt: string
  stateDir: string
  mounts: MountStatus[]
  /** The newest checkpoint, null when there is none, or the reason it is unknown. */
  lastCheckpoint: unknown
  /** What the last start's recovery did, as the journal reports it; null when there is none. */
  lastRecovery: unknown
  counters: CounterSummary
  /** The Prometheus endpoint, when one is served. */
  metrics?: string
}

/** Probes a mount's store: its own health() when it has one, else stat of its root. */
export async function probe(mount: Mount, timeoutMs = HEALTH_TIMEOUT_MS): Promise<{ health: 'ok' | 'degraded'; reason?: string }> {
  const ac = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`no answer within ${timeoutMs} ms`)
      ac.abort(err)
      reject(err)
    }, timeoutMs)
  })
  try {
    const backend = mount.backend
    const work = backend.health ? backend.health({ signal: ac.signal }) : backend.stat('/', { signal: ac.signal })
    await Promise.race([work, late])
    return { health: 'ok' }
  } catch (err) {
    return { health: 'degraded', reason: describeCause(err) }
  } finally {
    clearTimeout(timer)
  }
}

/** Calls a method another feature registers (journal, checkpoints) if it is there; null when not. */
async function fromFeature(service: Service, method: string, ctx: CallContext): Promise<unknown> {
  const fn = Object.hasOwn(service.methods, method) ? service.methods[method] : undefined
  if (!fn) return null
  try {
    return await fn({}, ctx)
  } catch (err) {
    return { error: describeCause(err) }
  }
}

function newest(list: unknown): unknown {
  const all = (list as { checkpoints?: unknown } | null)?.checkpoints
  if (!Array.isArray(all) || all.length === 0) return null
  const key = (c: { seq?: unknown; time?: unknown }) => (typeof c.seq === 'number' ? c.seq : Date.parse(String(c.time ?? '')) || 0)
  return all.reduce((a: { seq?: unknown; time?: unknown }, b: { seq?: unknown; time?: unknown }) => (key(b) >= key(a) ? b : a))
}

export interface StatusSources {
  service: Service
  metrics: OpsMetrics
  runtime: RuntimeMounts
  startedAt: Date
  daemon: boolean
  metricsUrl: string | undefined
}

export async function collectStatus(s: StatusSources, ctx: CallContext): Promise<StatusResult> {
  const { service } = s
  const rows = await s.runtime.list()
  const mounts = await Promise.all(
    rows.map(async (row): Promise<MountStatus> => {
      const mount = service.vfs.mounts.get(row.point)
      const base = { point: row.point, type: row.type, source: row.source, info: row.info }
      if (!mount) return { ...base, health: 'down', reason: row.error ?? 'not mounted', pendingUploads: 0, openHandles: 0 }
      const [health, usage] = [await probe(mount), service.vfs.usage(mount)]
      return { ...base, ...health, ...usage }
    }),
  )
  const journal = await fromFeature(service, 'journal.status', ctx)
  const lastRecovery = journal && typeof journal === 'object' && 'lastRecovery' in journal ? (journal.lastRecovery ?? null) : journal
  const checkpoints = await fromFeature(service, 'checkpoint.list', ctx)
  const lastCheckpoint = checkpoints && typeof checkpoints === 'object' && 'error' in checkpoints ? checkpoints : newest(checkpoints)
  return {
    pid: process.pid,
    daemon: s.daemon,
    startedAt: s.startedAt.toISOString(),
    stateDir: service.config.stateDir,
    mounts,
    lastCheckpoint,
    lastRecovery,
    counters: s.metrics.summary(),
    ...(s.metricsUrl ? { metrics: s.metricsUrl } : {}),
  }
}
