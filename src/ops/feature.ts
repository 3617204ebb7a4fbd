import { z } from 'zod'
import { ConfigError } from '../cli/config.ts'
import type { Service } from '../cli/service.ts'
import { createLogger } from '../log.ts'
import { VfsError } from '../vfs/errors.ts'
import { isLoopback, type MetricsEndpoint, OpsMetrics, serveMetrics } from './metrics.ts'
import { RuntimeMounts } from './runtime-mounts.ts'
import { collectStatus } from './status.ts'

const log = createLogger('ops')

const SCHEMAS = {
  status: z.strictObject({}),
  'mounts.list': z.strictObject({}),
  'mounts.add': z.strictObject({ point: z.string(), spec: z.unknown() }),
  'mounts.remove': z.strictObject({ point: z.string(), force: z.boolean().optional() }),
} as const

function parse<M extends keyof typeof SCHEMAS>(method: M, params: unknown): z.infer<(typeof SCHEMAS)[M]> {
  const r = SCHEMAS[method].safeParse(params ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    throw new VfsError('EINVAL', method, undefined, { message: `EINVAL: ${method}: ${issue?.path.map(String).join('.') || 'params'}: ${issue?.message ?? 'invalid'}` })
  }
  return r.data as z.infer<(typeof SCHEMAS)[M]>
}

/**
 * Operations: the `status` and `mounts.*` control methods, the metrics every op feeds (through
 * the Vfs's observer interface), the persisted runtime mounts (mounted again here, after the
 * config's), and in a daemon the optional Prometheus endpoint.
 */
export async function operationsFeature(service: Service): Promise<void> {
  const startedAt = new Date()
  const metrics = new OpsMetrics(service.vfs)
  service.vfs.observe(metrics)
  const runtime = new RuntimeMounts(service)
  await runtime.restore()

  const listen = service.config.metrics
  if (listen && !listen.allowRemote && !isLoopback(listen.listen.slice(0, listen.listen.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1'))) {
    throw new ConfigError(`metrics.listen: ${listen.listen} is not a loopback address (set metrics.allowRemote: true to serve it anyway)`)
  }
  let daemon = false
  let endpoint: Promise<MetricsEndpoint | undefined> = Promise.resolve(undefined)
  service.onDaemon(() => {
    daemon = true
    if (!listen) return
    endpoint = serveMetrics(metrics, listen.listen, listen.allowRemote).catch((err: unknown) => {
      log.error(`metrics endpoint ${listen.listen} not served`, err)
      return undefined
    })
  })
  service.onClose(async () => {
    await (await endpoint)?.close()
  })

  service.register({
    status: async (params, ctx) => {
      parse('status', params)
      const url = (await endpoint)?.url
      return collectStatus({ service, metrics, runtime, startedAt, daemon, metricsUrl: url }, ctx)
    },
    'mounts.list': async (params) => {
      parse('mounts.list', params)
      return { mounts: await runtime.list() }
    },
    'mounts.add': async (params) => {
      const p = parse('mounts.add', params)
      return { mounts: await runtime.add(p.point, p.spec) }
    },
    'mounts.remove': async (params) => {
      const p = parse('mounts.remove', params)
      return { mounts: await runtime.remove(p.point, p.force ?? false) }
    },
  })
}
