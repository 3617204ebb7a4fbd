import { join } from 'node:path'

/**
 * The control socket: newline-delimited JSON over a Unix socket in the state directory, one
 * request per connection. The client sends `{method, params}`; the daemon answers with any number
 * of `{progress}` lines, then one `{result}` or `{error: {code, message}}`. Closing the connection
 * cancels the call (its AbortSignal fires).
 */
export interface ControlRequest {
  method: string
  params?: unknown
}

/** A VfsError keeps its op and path across the socket. */
export interface ControlErrorBody {
  code: string
  message: string
  op?: string
  path?: string
}

export type ControlReply = { progress: unknown } | { result: unknown } | { error: ControlErrorBody }

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, 'control.sock')
}

/** What a handler gets besides its params. */
export interface CallContext {
  signal: AbortSignal
  progress(update: unknown): void
}

export type ControlMethod = (params: unknown, ctx: CallContext) => Promise<unknown>
export type ControlMethods = Record<string, ControlMethod>

/** An error answered by the daemon, or a failure to reach it (code ENOTCONN / ECONNREFUSED / ENOENT). */
export class ControlError extends Error {
  override name = 'ControlError'
  readonly code: string
  readonly op: string | undefined
  readonly path: string | undefined
  constructor(code: string, message: string, where: { op?: string; path?: string } = {}) {
    super(message)
    this.code = code
    this.op = where.op
    this.path = where.path
  }
}
