import { callDaemon } from '../control/client.ts'
import type { CallContext, ControlMethods } from '../control/protocol.ts'

/** What a long call reports: the control protocol's progress object. */
export interface Progress {
  bytes?: number
  files?: number
  totalBytes?: number
  totalFiles?: number
}

export interface CallOpts {
  signal?: AbortSignal
  onProgress?: (update: Progress) => void
}

/**
 * One control method call: the only way the MCP adapter reaches the VFS. In-process it calls the
 * Service's method table, over the socket the daemon's; the tools cannot tell which.
 */
export type Call = (method: string, params: Record<string, unknown>, opts?: CallOpts) => Promise<unknown>

/** Calls a Service's methods in this process; an unknown method is ENOSYS, as the socket answers. */
export function inProcessCall(methods: ControlMethods): Call {
  return async (method, params, opts = {}) => {
    const fn = Object.hasOwn(methods, method) ? methods[method] : undefined
    if (!fn) throw Object.assign(new Error(`unknown control method '${method}'`), { code: 'ENOSYS' })
    const ctx: CallContext = { signal: opts.signal ?? new AbortController().signal, progress: (u) => opts.onProgress?.(u as Progress) }
    opts.signal?.throwIfAborted()
    return fn(params, ctx)
  }
}

/** Calls the running daemon's methods through its control socket (closing it cancels the call). */
export function daemonCall(socketPath: string): Call {
  return (method, params, opts = {}) =>
    callDaemon(socketPath, method, params, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: (u) => opts.onProgress?.(u as Progress) } : {}) })
}
