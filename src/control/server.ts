import { chmod, unlink } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { createLogger } from '../log.ts'
import { daemonAnswers } from './client.ts'
import type { ControlErrorBody, ControlMethods, ControlReply, ControlRequest } from './protocol.ts'

const log = createLogger('control')

export interface ControlServer {
  readonly path: string
  close(): Promise<void>
}

function errorReply(err: unknown): ControlReply {
  const e = err as { code?: unknown; message?: unknown; op?: unknown; path?: unknown }
  const body: ControlErrorBody = { code: typeof e?.code === 'string' ? e.code : 'EIO', message: typeof e?.message === 'string' ? e.message : String(err) }
  if (typeof e?.op === 'string') body.op = e.op
  if (typeof e?.path === 'string') body.path = e.path
  return { error: body }
}

function serve(socket: Socket, methods: ControlMethods): void {
  const abort = new AbortController()
  const send = (reply: ControlReply) => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(reply)}\n`)
  }
  socket.on('close', () => abort.abort(new Error('control client went away')))
  socket.on('error', () => {})
  const lines = createInterface({ input: socket })
  lines.on('error', () => {})
  lines.once('line', async (line) => {
    lines.close()
    let reply: ControlReply
    try {
      const req = JSON.parse(line) as ControlRequest
      const method = typeof req.method === 'string' && Object.hasOwn(methods, req.method) ? methods[req.method] : undefined
      if (!method) throw Object.assign(new Error(`unknown control method '${String(req.method)}'`), { code: 'ENOSYS' })
      const result = await method(req.params, { signal: abort.signal, progress: (progress) => send({ progress }) })
      reply = { result: result ?? null }
    } catch (err) {
      reply = errorReply(err)
    }
    send(reply)
    socket.end()
  })
}

/**
 * Listens on `path` (mode 0600: the socket is the daemon's authority) and serves `methods`, read
 * at each call, so methods added later are served. A socket file left by a killed daemon is
 * removed; a live daemon on it is an error.
 */
export async function startControlServer(path: string, methods: ControlMethods): Promise<ControlServer> {
  if (await daemonAnswers(path)) throw Object.assign(new Error(`another ipfs-vfs daemon serves ${path}`), { code: 'EBUSY' })
  await unlink(path).catch(() => {})
  const server: Server = createServer((socket) => serve(socket, methods))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => {
      server.off('error', reject)
      resolve()
    })
  })
  await chmod(path, 0o600)
  server.on('error', (err) => log.error('control socket', err))
  return {
    path,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        unlink(path).catch(() => {})
      }),
  }
}
