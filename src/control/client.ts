import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { ControlError, type ControlReply } from './protocol.ts'

export interface CallOptions {
  onProgress?: (update: unknown) => void
  signal?: AbortSignal
}

/** Calls a method of the running daemon. Rejects with ControlError (the daemon's code, or why it could not be reached). */
export function callDaemon(path: string, method: string, params: unknown = {}, opts: CallOptions = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      opts.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      fn()
    }
    const onAbort = () => settle(() => reject(new ControlError('ECANCELED', 'cancelled')))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    socket.on('error', (err: NodeJS.ErrnoException) => settle(() => reject(new ControlError(err.code ?? 'EIO', `cannot reach the daemon at ${path}: ${err.message}`))))
    socket.on('close', () => settle(() => reject(new ControlError('ECONNRESET', `the daemon closed the control connection before answering ${method}`))))
    socket.once('connect', () => {
      const lines = createInterface({ input: socket })
      lines.on('error', () => {})
      lines.on('line', (line) => {
        const reply = JSON.parse(line) as ControlReply
        if ('progress' in reply) opts.onProgress?.(reply.progress)
        else if ('result' in reply) settle(() => resolve(reply.result))
        else settle(() => reject(new ControlError(reply.error.code, reply.error.message, reply.error)))
      })
      socket.write(`${JSON.stringify({ method, params })}\n`)
    })
  })
}

/** True when a daemon listens on the socket (a stale socket file answers ECONNREFUSED). */
export async function daemonAnswers(path: string): Promise<boolean> {
  try {
    await callDaemon(path, 'ping')
    return true
  } catch (err) {
    return !['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR'].includes((err as ControlError).code)
  }
}
