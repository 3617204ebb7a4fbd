/**
 * A real Storacha upload service on loopback, for tests: the handlers of `@storacha/upload-api`
 * (space/blob/add, space/index/add, upload/add|list|remove, ucan/conclude, access/*...) wired to
 * the in-memory stores and in-process storage nodes that upload-api publishes for its own tests
 * (`@storacha/upload-api/test/context`), behind one HTTP server that speaks UCAN RPC as the public
 * service does. The real `@storacha/client` talks to it over HTTP. BACKENDS.md §4 measured it.
 *
 * Besides the RPC endpoint (`POST /`) it serves what the client and the tests need:
 *   GET  /receipt/<task>     receipts, as the client polls them after a blob upload
 *   POST /_test/provision    {space, account}: what the client's own tests do server-side
 *   GET  /_test/info         {did}: the service's DID (the client must know it)
 *   GET  /ipfs/<cid>         a minimal trustless gateway: `?format=raw` blocks of every CAR
 *                            uploaded, so reads can be verified against their CID
 *   POST /_test/refuse       {error}: the next upload/add invocations are refused with that error
 *                            name (failure injection for the error mapping); {error: null} clears
 *
 * Run as a child process (`startStorachaStandin()`): the test context's storage nodes call
 * `listen()` with no host, so this file forces every TCP listener onto 127.0.0.1 before it loads
 * them (and its parent can kill it whole).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import net from 'node:net'
import { fileURLToPath } from 'node:url'

export interface StorachaStandin {
  /** The service URL (also the receipts and gateway base). */
  url: string
  /** The service's DID. */
  did: string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts the stand-in in a child process; resolves once it answers. */
export async function startStorachaStandin(): Promise<StorachaStandin> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve'], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (d: Buffer) => {
    err += d
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`storacha stand-in not ready after 20 s: ${err}`)), 20_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d
      const m = /^listening (\d+)$/m.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`storacha stand-in exited (${code}): ${err}`))
    })
  })
  const url = `http://127.0.0.1:${port}/`
  const info = (await (await fetch(new URL('/_test/info', url))).json()) as { did: string }
  return {
    url,
    did: info.did,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Every TCP listener on 127.0.0.1, whatever host its caller asked for (BACKENDS.md's force-loopback). */
function forceLoopback(): void {
  const orig = net.Server.prototype.listen
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    const a0 = args[0]
    if (a0 !== null && typeof a0 === 'object' && !Array.isArray(a0)) {
      const o = a0 as Record<string, unknown>
      if (o.path == null && o.fd == null && o._handle == null && o.handle == null) args[0] = { ...o, host: '127.0.0.1' }
    } else if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
      if (typeof args[1] === 'string') args[1] = '127.0.0.1'
      else args.splice(1, 0, '127.0.0.1')
    } else if (a0 == null || typeof a0 === 'function') {
      args.splice(0, a0 == null ? 1 : 0, 0, '127.0.0.1')
    }
    return (orig as (...a: unknown[]) => net.Server).apply(this, args)
  } as typeof orig
}

async function serve(): Promise<void> {
  forceLoopback()
  const http = await import('node:http')
  const { Readable } = await import('node:stream')
  const { loadUntyped } = await import('../../src/mounts/storacha/client.ts')
  const Context = await loadUntyped<{ createContext(o: unknown): Promise<unknown> }>('@storacha/upload-api/test/context')
  const { Message } = await import('@ucanto/core')
  const CAR = await import('@ucanto/transport/car')
  const { CarBlockIterator } = await import('@ipld/car')
  const { CID } = await import('multiformats/cid')

  const blocks = new Map<string, Uint8Array>()
  const indexBlob = async (bytes: Uint8Array): Promise<void> => {
    try {
      for await (const { cid, bytes: b } of await CarBlockIterator.fromBytes(bytes)) blocks.set(cid.multihash.bytes.toString(), b)
    } catch {
      // not a CAR (an index blob): nothing to serve
    }
  }
  const readBody = async (req: AsyncIterable<Buffer>): Promise<Buffer> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c)
    return Buffer.concat(chunks)
  }
  // The test storage nodes' GET handler destroys the socket right after end(), so a body of a few
  // MB arrives truncated ("other side closed") to whoever reads a blob back. Their PUTs are tapped:
  // each blob is kept here too (for the gateway below, and to answer the nodes' GETs whole, with
  // byte ranges); everything else goes to the real handler.
  type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void
  const tappedHttp = {
    ...http,
    createServer: (handler: Handler) => {
      const stored = new Map<string, Buffer>()
      const node = http.createServer(async (req, res) => {
        const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
        if (req.method === 'GET' && stored.has(path)) {
          const whole = stored.get(path) as Buffer
          const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
          const body = m === null ? whole : whole.subarray(Number(m[1]), m[2] === '' ? whole.length : Number(m[2]) + 1)
          res.writeHead(m === null ? 200 : 206, { 'content-length': body.length })
          return res.end(body)
        }
        if (req.method !== 'PUT') return handler(req, res)
        const buf = await readBody(req)
        await indexBlob(new Uint8Array(buf))
        stored.set(path, buf)
        return handler(Object.assign(Readable.from([buf]), { url: req.url, method: req.method, headers: req.headers }) as never, res)
      })
      node.keepAliveTimeout = 120_000
      return node
    },
  }
  // Internal proofs use ucanto's default 30 s UCAN lifetime: mint them "in the future" so a long-lived server keeps working.
  const realNow = Date.now
  Date.now = () => realNow() + 50 * 365 * 24 * 3600e3
  let ctx
  try {
    ctx = await Context.createContext({ http: tappedHttp, assert: { fail: (e: unknown) => console.error(e) } })
  } finally {
    Date.now = realNow
  }
  const context = ctx as unknown as {
    connection: { channel: { request(r: { headers: Record<string, string>; body: Uint8Array }): Promise<{ status?: number; headers: Record<string, string>; body: Uint8Array }> } }
    agentStore: { receipts: { get(cid: unknown): Promise<{ ok?: unknown }> } }
    provisionsStorage: { put(p: unknown): Promise<{ error?: unknown }> }
    id: { did(): string }
  }
  let refuse: string | null = null

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      if (req.method === 'POST' && url.pathname === '/') {
        const body = new Uint8Array(await readBody(req))
        if (refuse !== null) {
          // Refuse invocations of upload/add (the last step of an upload) with a named error.
          const decoded = await CAR.request.decode({ headers: req.headers as Record<string, string>, body })
          if (decoded.invocations.some((i) => i.capabilities.some((c) => c.can === 'upload/add' || c.can === 'space/blob/add'))) {
            res.writeHead(500, { 'content-type': 'text/plain' })
            return res.end(`${refuse}: refused by the test`)
          }
        }
        const out = await context.connection.channel.request({ headers: req.headers as Record<string, string>, body })
        res.writeHead(out.status ?? 200, out.headers)
        return res.end(Buffer.from(out.body))
      }
      if (req.method === 'GET' && url.pathname.startsWith('/receipt/')) {
        const r = await context.agentStore.receipts.get(CID.parse(url.pathname.slice(9)))
        if (r.ok === undefined) {
          res.writeHead(404)
          return res.end()
        }
        const enc = CAR.request.encode(await Message.build({ receipts: [r.ok as never] }))
        res.writeHead(200)
        return res.end(Buffer.from(enc.body))
      }
      if (req.method === 'POST' && url.pathname === '/_test/provision') {
        const { space, account } = JSON.parse((await readBody(req)).toString()) as { space: string; account: string }
        const r = await context.provisionsStorage.put({ provider: context.id.did(), account, consumer: space })
        res.writeHead(r.error !== undefined ? 500 : 200)
        return res.end(r.error !== undefined ? JSON.stringify(r.error) : '')
      }
      if (req.method === 'POST' && url.pathname === '/_test/refuse') {
        refuse = (JSON.parse((await readBody(req)).toString()) as { error: string | null }).error
        res.writeHead(200)
        return res.end()
      }
      if (req.method === 'GET' && url.pathname === '/_test/info') {
        res.writeHead(200, { 'content-type': 'application/json' })
        return res.end(JSON.stringify({ did: context.id.did() }))
      }
      if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/ipfs/')) {
        const b = blocks.get(CID.parse(url.pathname.split('/')[2] ?? '').multihash.bytes.toString())
        if (b === undefined || url.searchParams.get('format') !== 'raw') {
          res.writeHead(b === undefined ? 404 : 406)
          return res.end()
        }
        res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' })
        return res.end(Buffer.from(b))
      }
      res.writeHead(404)
      res.end()
    } catch (err) {
      console.error(err)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    }
  })
  // The client keeps its connection to the service open while it uploads a large blob to a
  // storage node; with Node's 5 s keep-alive the server could close it just as the client reused
  // it ("other side closed" on the next invocation).
  server.keepAliveTimeout = 120_000
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address() as net.AddressInfo
    process.stdout.write(`listening ${addr.port}\n`)
  })
  process.on('SIGTERM', () => process.exit(0))
  // The test that started it is gone (crashed, killed): so is its stdin pipe, and so are we.
  process.stdin.on('close', () => process.exit(0))
  process.stdin.resume()
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') {
  serve().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
