import { callDaemon, daemonAnswers } from '../../control/client.ts'
import { type CallContext, controlSocketPath } from '../../control/protocol.ts'
import { loadConfig } from '../config.ts'
import { Service } from '../service.ts'
import { UsageError } from './command.ts'

export interface ServiceOptions {
  config?: string | undefined
  stateDir?: string | undefined
  onProgress?: (update: unknown) => void
  signal?: AbortSignal
}

/**
 * Calls a control method of the running daemon through its socket or, when no daemon runs on
 * this state directory, of a Service opened here for the call (the daemon owns the LevelDB, so
 * only one of the two ever writes it).
 */
export async function callService(method: string, params: unknown, opts: ServiceOptions = {}): Promise<unknown> {
  const config = await loadConfig(opts.config, opts.stateDir === undefined ? {} : { stateDir: opts.stateDir })
  const socket = controlSocketPath(config.stateDir)
  const signal = opts.signal ?? new AbortController().signal
  if (await daemonAnswers(socket)) return callDaemon(socket, method, params, { signal, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })
  const service = await Service.open(config)
  try {
    const fn = Object.hasOwn(service.methods, method) ? service.methods[method] : undefined
    if (!fn) throw new UsageError(`unknown control method '${method}'`)
    const ctx: CallContext = { signal, progress: (u) => opts.onProgress?.(u) }
    return await fn(params, ctx)
  } finally {
    await service.close()
  }
}
