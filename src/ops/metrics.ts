import { createServer, type Server } from 'node:http'
import { isIP } from 'node:net'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { createLogger } from '../log.ts'
import type { OpEvent, VfsObserver } from '../vfs/observer.ts'
import type { Vfs } from '../vfs/vfs.ts'

const log = createLogger('metrics')

/** Latency buckets in seconds: a cached stat (~50 µs) up to a large upload on close. */
const BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120]

/** The counters `status` shows: the same numbers the Prometheus endpoint serves. */
export interface CounterSummary {
  operations: number
  failed: number
  /** Operations by op name, then result ('ok' or a POSIX code). */
  byOp: Record<string, Record<string, number>>
  bytesRead: number
  bytesWritten: number
  cacheHits: number
  cacheMisses: number
}

/**
 * The daemon's metrics, fed by the Vfs through its observer interface (the Vfs knows nothing of
 * prom-client): operations by mount/op/result, latency, bytes, and at each scrape the pending
 * uploads, open handles and cache hits read from the Vfs itself.
 */
export class OpsMetrics implements VfsObserver {
  readonly registry = new Registry()
  readonly #vfs: Vfs
  readonly #ops: Counter<'mount' | 'op' | 'result'>
  readonly #latency: Histogram<'mount' | 'op'>
  readonly #read: Counter<'mount'>
  readonly #written: Counter<'mount'>
  readonly #summary: CounterSummary = { operations: 0, failed: 0, byOp: {}, bytesRead: 0, bytesWritten: 0, cacheHits: 0, cacheMisses: 0 }

  constructor(vfs: Vfs) {
    this.#vfs = vfs
    const registers = [this.registry]
    this.#ops = new Counter({ name: 'ipfs_vfs_operations_total', help: 'VFS operations by mount, op and result (ok or the POSIX code)', labelNames: ['mount', 'op', 'result'], registers })
    this.#latency = new Histogram({ name: 'ipfs_vfs_operation_duration_seconds', help: 'VFS operation latency', labelNames: ['mount', 'op'], buckets: BUCKETS, registers })
    this.#read = new Counter({ name: 'ipfs_vfs_read_bytes_total', help: 'Bytes read through the VFS', labelNames: ['mount'], registers })
    this.#written = new Counter({ name: 'ipfs_vfs_written_bytes_total', help: 'Bytes written through the VFS', labelNames: ['mount'], registers })
    const perMount = (name: string, help: string, value: (m: ReturnType<Vfs['usage']>) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['mount'],
        registers,
        collect() {
          this.reset()
          for (const mount of vfs.mounts.list()) this.set({ mount: mount.point }, value(vfs.usage(mount)))
        },
      })
    perMount('ipfs_vfs_pending_uploads', 'Staged files not yet in their store', (u) => u.pendingUploads)
    perMount('ipfs_vfs_open_handles', 'Open file handles', (u) => u.openHandles)
    const summary = this.#summary
    // The attribute cache keeps plain counts; the counters follow them at each scrape.
    const fromCache = (name: string, help: string, key: 'hits' | 'misses', into: 'cacheHits' | 'cacheMisses') =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const now = vfs.cache[key]
          if (now > summary[into]) this.inc(now - summary[into])
          summary[into] = now
        },
      })
    fromCache('ipfs_vfs_cache_hits_total', 'Stats and listings answered from the VFS cache', 'hits', 'cacheHits')
    fromCache('ipfs_vfs_cache_misses_total', 'Stats and listings the cache did not have', 'misses', 'cacheMisses')
  }

  opDone(e: OpEvent): void {
    const mount = e.mount ?? '/'
    this.#ops.inc({ mount, op: e.op, result: e.result })
    this.#latency.observe({ mount, op: e.op }, e.durationMs / 1000)
    const s = this.#summary
    s.operations++
    if (e.result !== 'ok') s.failed++
    const byResult = (s.byOp[e.op] ??= {})
    byResult[e.result] = (byResult[e.result] ?? 0) + 1
    if (e.bytes && e.result === 'ok') {
      if (e.op === 'read') {
        this.#read.inc({ mount }, e.bytes)
        s.bytesRead += e.bytes
      } else if (e.op === 'write') {
        this.#written.inc({ mount }, e.bytes)
        s.bytesWritten += e.bytes
      }
    }
  }

  summary(): CounterSummary {
    this.#summary.cacheHits = this.#vfs.cache.hits
    this.#summary.cacheMisses = this.#vfs.cache.misses
    return structuredClone(this.#summary)
  }
}

export interface MetricsEndpoint {
  /** http://host:port/metrics as bound (port 0 resolved). */
  readonly url: string
  close(): Promise<void>
}

function splitListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  return { host: listen.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(i + 1)) }
}

/** True for 127.0.0.0/8, ::1 and localhost: nobody else can scrape them. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

/**
 * Serves GET /metrics on `listen`. The metrics name mounts and paths' traffic, so anything but
 * loopback is refused unless `allowRemote` says so.
 */
export async function serveMetrics(metrics: OpsMetrics, listen: string, allowRemote = false): Promise<MetricsEndpoint> {
  const { host, port } = splitListen(listen)
  if (!isLoopback(host) && !allowRemote) throw new Error(`metrics.listen ${listen}: not a loopback address (set metrics.allowRemote: true to serve it anyway)`)
  collectDefaultMetrics({ register: metrics.registry, prefix: 'ipfs_vfs_' })
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n')
      return
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.warn('collecting metrics', err)
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n')
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  const bound = typeof address === 'object' && address ? address.port : port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`
  log.info(`serving metrics at ${url}`)
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
