import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { join } from 'node:path'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { createLogger } from '../log.ts'

const log = createLogger('mcp-http')

export const TOKEN_FILE = 'mcp-token'
export const TOKEN_ENV = 'IPFS_VFS_MCP_TOKEN'

/** HOST:PORT, [v6]:PORT, or PORT alone (loopback). */
export function parseListen(raw: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(raw)
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--mcp-http ${raw}: expected HOST:PORT, e.g. 127.0.0.1:8765`)
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1'), port }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host)
}

/**
 * The bearer token: given (flag or environment), else the one in `<stateDir>/mcp-token`, else a
 * new random one written there with mode 0600 so the user can paste it into a client config.
 */
export async function resolveToken(stateDir: string, given?: string): Promise<string> {
  if (given) return given
  const file = join(stateDir, TOKEN_FILE)
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '')
  if (existing) return existing
  const token = randomBytes(32).toString('hex')
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err
  })
  return (await readFile(file, 'utf8')).trim()
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? ''
  const m = /^Bearer (.+)$/i.exec(header)
  if (!m) return false
  const a = Buffer.from(m[1] as string)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }))
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length
    if (size > 64 << 20) throw new Error('request body over 64 MiB')
    chunks.push(c)
  }
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
}

export interface McpHttpServer {
  url: string
  close(): Promise<void>
}

/**
 * Streamable HTTP at `/mcp`, one MCP session (and McpServer) per client, every request checked
 * for the bearer token first (401 without it). Loopback hosts also get the SDK's Host-header
 * check against DNS rebinding.
 */
export async function startMcpHttp(opts: { host: string; port: number; token: string; newServer: () => McpServer }): Promise<McpHttpServer> {
  const sessions = new Map<string, StreamableHTTPServerTransport>()
  let allowedHosts: string[] | undefined
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req, opts.token)) return reply(res, 401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer realm="ipfs-vfs"' })
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp') return reply(res, 404, 'not found: the MCP endpoint is /mcp')
    const sid = req.headers['mcp-session-id']
    const body = req.method === 'POST' ? await readJson(req) : undefined
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined
    if (!transport) {
      if (sid !== undefined) return reply(res, 404, 'unknown MCP session')
      if (req.method !== 'POST' || !isInitializeRequest(body)) return reply(res, 400, 'no MCP session: send initialize first')
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, t),
        ...(allowedHosts ? { enableDnsRebindingProtection: true, allowedHosts } : {}),
      })
      t.onclose = () => {
        if (t.sessionId) sessions.delete(t.sessionId)
      }
      await opts.newServer().connect(t)
      transport = t
    }
    await transport.handleRequest(req, res, body)
  }
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error('MCP HTTP request', err)
      if (!res.headersSent) reply(res, 400, (err as Error).message)
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(opts.port, opts.host, () => {
      http.off('error', reject)
      resolve()
    })
  })
  const { port } = http.address() as { port: number }
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  if (isLoopback(opts.host)) allowedHosts = [`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]
  else log.warn(`MCP over HTTP on ${opts.host}, not loopback: anyone who can reach it and has the token controls the VFS`)
  return {
    url: `http://${host}:${port}/mcp`,
    async close() {
      for (const t of sessions.values()) await t.close().catch(() => {})
      sessions.clear()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
