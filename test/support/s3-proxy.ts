/**
 * A fault-injecting HTTP proxy in front of an S3 server, for the /s3 fault tests: it forwards
 * every request unchanged, except that it answers `503 ServiceUnavailable` (with S3's XML error
 * body) to a seeded-random fraction of them, lets a test watch requests go by (and act, e.g.
 * stop the server mid-upload), and drops the connection when the server behind it is gone, as a
 * dead server would. Listens on a free loopback port.
 */
import { createServer, type IncomingMessage, request, type Server } from 'node:http'

export interface S3Proxy {
  endpoint: string
  /** Requests seen, 503s injected. */
  readonly stats: { requests: number; injected: number }
  /** Fraction of requests answered 503 from now on (0 to stop). */
  setFailRate(rate: number): void
  /** Called for every request before it is forwarded (method and URL). */
  onRequest(fn: ((req: IncomingMessage) => void) | undefined): void
  close(): Promise<void>
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const UNAVAILABLE = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code><Message>injected by the test proxy</Message></Error>'

export async function startS3Proxy(upstreamPort: number, opts: { failRate?: number; seed?: number } = {}): Promise<S3Proxy> {
  let failRate = opts.failRate ?? 0
  const random = prng(opts.seed ?? 20261123)
  const stats = { requests: 0, injected: 0 }
  let watcher: ((req: IncomingMessage) => void) | undefined
  const server: Server = createServer((req, res) => {
    stats.requests++
    watcher?.(req)
    if (process.env.S3_PROXY_DEBUG) {
      const t0 = Date.now()
      const n = stats.requests
      process.stderr.write(`proxy ${n} ${req.method} ${req.url}\n`)
      res.once('close', () => process.stderr.write(`proxy ${n} closed ${res.statusCode} after ${Date.now() - t0} ms${res.writableFinished ? '' : ' (unfinished)'}\n`))
    }
    if (failRate > 0 && random() < failRate) {
      stats.injected++
      // Read the body first: a server that answers early leaves the client writing into a reset.
      req.resume()
      req.once('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(UNAVAILABLE) })
        res.end(UNAVAILABLE)
      })
      return
    }
    const headers = { ...req.headers }
    delete headers.expect
    // A connection of its own per request (agent: false): a kept-alive upstream socket that Swift
    // closes while idle must not swallow a forwarded request.
    const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
      ur.once('error', () => res.destroy())
    })
    // The server is gone (stopped mid-transfer): so is our connection, as with a dead server.
    up.once('error', () => {
      req.destroy()
      res.destroy()
    })
    req.pipe(up)
  })
  // Idle client connections stay open (as S3 keeps them): see the report on a request stuck after an idle close.
  server.keepAliveTimeout = 120_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setFailRate: (r) => {
      failRate = r
    },
    onRequest: (fn) => {
      watcher = fn
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
