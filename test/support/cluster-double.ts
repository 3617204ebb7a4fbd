/**
 * CONTRACT DOUBLE of the IPFS Cluster REST API, for tests. IPFS Cluster ships no npm or Debian
 * package (BACKENDS.md §3), so this is not a real cluster: it is a small HTTP server on 127.0.0.1
 * that follows the documented REST contract of ipfs-cluster v1.1 (`api/rest/restapi.go`,
 * `api/types.go`) field for field, with an in-memory pinset keyed by CID and N fake peers. It moves
 * no blocks: "pinned" here means only that the double says so (reads in the tests come from the
 * Helia repository the content was added to, which stays real).
 *
 * What it implements, as the contract says:
 *   GET /id, GET /version, GET /peers (NDJSON of ID)
 *   GET /allocations?filter=pin (NDJSON of Pin), GET /allocations/{cid} (Pin, or 404)
 *   GET /pins[?filter=<status>,...] (NDJSON of GlobalPinInfo), GET /pins/{cid} (GlobalPinInfo; unpinned on every peer
 *     for a CID not in the pinset, as the cluster answers)
 *   POST /pins/{cid}?name&mode&replication-min&replication-max&meta-<k>=<v> (Pin; a second pin of
 *     a CID replaces its options and keeps its creation time)
 *   DELETE /pins/{cid} (Pin, or 404 `{"code":404,"message":"pin is not part of the pinset"}`)
 *   an empty stream answers 204 No Content; a bad CID 400; with `basicAuth`, 401 without it.
 * Status per allocated peer moves pin_queued → pinning → pinned, `stepMs` apart (computed on read);
 * peers not allocated report `remote`.
 *
 * Failure injection (not part of the cluster's API, under /_test/): `POST /_test/fail
 * {"name","peer"?,"error"}` puts the pins with that name in `pin_error` on that peer (default: the
 * first); `POST /_test/clear` undoes it.
 *
 * In-process (`createClusterDouble()`) for backend tests; `startClusterDoubleProcess()` runs it
 * in a child process for mount tests, so a test blocked in a syscall on the mount cannot starve it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { CID } from 'multiformats/cid'

export interface ClusterDoubleOptions {
  peers?: number
  stepMs?: number
  /** `user:password`: every request needs this basic auth. */
  basicAuth?: string
}

export interface ClusterDouble {
  url: string
  /** Pins by CID, as stored (for assertions). */
  pins(): Map<string, StoredPin>
  fail(name: string, error: string, peer?: number): void
  clear(): void
  close(): Promise<void>
}

interface StoredPin {
  cid: string
  name: string
  mode: string
  min: number
  max: number
  metadata: Record<string, string>
  allocations: string[]
  created: Date
  updated: Date
}

const ZERO_TIME = '0001-01-01T00:00:00Z'

function peerIds(n: number): { id: string; peername: string }[] {
  // Fixed, well-formed libp2p peer IDs are not needed by the contract: any string is serialised.
  return Array.from({ length: n }, (_, i) => ({ id: `12D3KooWDoublePeer${i}`, peername: `double-${i}` }))
}

export function createClusterDouble(opts: ClusterDoubleOptions = {}): Promise<ClusterDouble> {
  const peers = peerIds(opts.peers ?? 3)
  const stepMs = opts.stepMs ?? 50
  const pins = new Map<string, StoredPin>()
  const failures = new Map<string, { peer: number; error: string }>()

  const idObject = (p: { id: string; peername: string }): Record<string, unknown> => ({
    id: p.id,
    addresses: [`/ip4/127.0.0.1/tcp/9096/p2p/${p.id}`],
    cluster_peers: peers.map((x) => x.id),
    cluster_peers_addresses: [],
    version: '1.1.6',
    commit: 'contract-double',
    rpc_protocol_version: '/ipfscluster/1.1/rpc',
    error: '',
    ipfs: { id: `${p.id}-ipfs`, addresses: [], error: '' },
    peername: p.peername,
  })

  const pinObject = (p: StoredPin): Record<string, unknown> => ({
    replication_factor_min: p.min,
    replication_factor_max: p.max,
    name: p.name,
    mode: p.mode,
    shard_size: 0,
    user_allocations: null,
    expire_at: ZERO_TIME,
    metadata: p.metadata,
    pin_update: null,
    origins: [],
    cid: p.cid,
    type: 'pin',
    allocations: p.allocations,
    max_depth: p.mode === 'direct' ? 0 : -1,
    reference: null,
    timestamp: p.updated.toISOString(),
  })

  const statusOf = (p: StoredPin | undefined, peerIndex: number, now: number): { status: string; error: string } => {
    const peer = peers[peerIndex] as { id: string }
    if (p === undefined) return { status: 'unpinned', error: '' }
    if (!p.allocations.includes(peer.id)) return { status: 'remote', error: '' }
    const f = failures.get(p.name)
    if (f !== undefined && f.peer === peerIndex) return { status: 'pin_error', error: f.error }
    const age = now - p.updated.getTime()
    return { status: age < stepMs ? 'pin_queued' : age < 2 * stepMs ? 'pinning' : 'pinned', error: '' }
  }

  const globalInfo = (cid: string, p: StoredPin | undefined): Record<string, unknown> => {
    const now = Date.now()
    const peerMap: Record<string, unknown> = {}
    peers.forEach((peer, i) => {
      const { status, error } = statusOf(p, i, now)
      peerMap[peer.id] = {
        peername: peer.peername,
        ipfs_peer_id: `${peer.id}-ipfs`,
        ipfs_peer_addresses: [],
        status,
        timestamp: new Date(now).toISOString(),
        error,
        attempt_count: 0,
        priority_pin: false,
      }
    })
    return { cid, name: p?.name ?? '', allocations: p?.allocations ?? [], origins: [], created: (p?.created ?? new Date(0)).toISOString(), metadata: p?.metadata ?? {}, peer_map: peerMap }
  }

  const send = (res: http.ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(status)
      res.end()
      return
    }
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const error = (res: http.ServerResponse, code: number, message: string): void => send(res, code, { code, message })
  const stream = (res: http.ServerResponse, items: unknown[]): void => {
    if (items.length === 0) return send(res, 204)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(items.map((i) => `${JSON.stringify(i)}\n`).join(''))
  }
  const body = async (req: http.IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    return Buffer.concat(chunks).toString()
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const path = url.pathname
    if (path === '/_test/fail' && req.method === 'POST') {
      const f = JSON.parse(await body(req)) as { name: string; error: string; peer?: number }
      failures.set(f.name, { peer: f.peer ?? 0, error: f.error })
      return send(res, 200, {})
    }
    if (path === '/_test/clear' && req.method === 'POST') {
      failures.clear()
      return send(res, 200, {})
    }
    if (opts.basicAuth !== undefined && req.headers.authorization !== `Basic ${Buffer.from(opts.basicAuth).toString('base64')}`) {
      return error(res, 401, 'Unauthorized')
    }
    if (req.method === 'GET' && path === '/id') return send(res, 200, idObject(peers[0] as { id: string; peername: string }))
    if (req.method === 'GET' && path === '/version') return send(res, 200, { version: '1.1.6' })
    if (req.method === 'GET' && path === '/peers') return stream(res, peers.map(idObject))
    if (req.method === 'GET' && path === '/allocations') return stream(res, [...pins.values()].map(pinObject))
    if (req.method === 'GET' && path === '/pins') {
      // filter: comma-separated tracker statuses; a pin matches when a peer is in one of them.
      const wanted = url.searchParams.get('filter')?.split(',').filter(Boolean)
      const all = [...pins.values()].map((p) => globalInfo(p.cid, p))
      const match = (i: Record<string, unknown>): boolean =>
        wanted === undefined || Object.values(i.peer_map as Record<string, { status: string }>).some((p) => wanted.includes(p.status))
      return stream(res, all.filter(match))
    }
    const m = /^\/(allocations|pins)\/([^/]+)$/.exec(path)
    if (m === null) return error(res, 404, 'not found')
    const [, area, rawCid] = m as unknown as [string, string, string]
    let cid: string
    try {
      cid = CID.parse(decodeURIComponent(rawCid)).toString()
    } catch (err) {
      return error(res, 400, `error decoding Cid: ${(err as Error).message}`)
    }
    const existing = pins.get(cid)
    if (area === 'allocations' && req.method === 'GET') return existing === undefined ? error(res, 404, 'pin is not part of the pinset') : send(res, 200, pinObject(existing))
    if (req.method === 'GET') return send(res, 200, globalInfo(cid, existing))
    if (req.method === 'DELETE') {
      if (existing === undefined) return error(res, 404, 'pin is not part of the pinset')
      pins.delete(cid)
      return send(res, 200, pinObject(existing))
    }
    if (req.method === 'POST') {
      const q = url.searchParams
      const min = Number(q.get('replication-min') ?? q.get('replication') ?? -1)
      const max = Number(q.get('replication-max') ?? q.get('replication') ?? -1)
      if (!Number.isInteger(min) || !Number.isInteger(max) || (max !== -1 && min > max)) return error(res, 400, 'bad replication factors')
      const metadata: Record<string, string> = {}
      for (const [k, v] of q) if (k.startsWith('meta-')) metadata[k.slice(5)] = v
      const n = max === -1 ? peers.length : Math.min(max, peers.length)
      if (min > peers.length) return error(res, 500, `not enough peers to allocate CID. Needed at least: ${min}. Wanted at most: ${max}. Available candidates: ${peers.length}`)
      const now = new Date()
      const pin: StoredPin = {
        cid,
        name: q.get('name') ?? '',
        mode: q.get('mode') ?? 'recursive',
        min,
        max,
        metadata,
        allocations: peers.slice(0, n).map((p) => p.id),
        created: existing?.created ?? now,
        updated: now,
      }
      pins.set(cid, pin)
      return send(res, 200, pinObject(pin))
    }
    return error(res, 405, 'method not allowed')
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, (err as Error).message))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        url: `http://127.0.0.1:${port}`,
        pins: () => pins,
        fail: (name, err, peer = 0) => failures.set(name, { peer, error: err }),
        clear: () => failures.clear(),
        close: () =>
          new Promise<void>((ok) => {
            server.closeAllConnections()
            server.close(() => ok())
          }),
      })
    })
  })
}

/** The double in a child process (mount tests). */
export async function startClusterDoubleProcess(opts: ClusterDoubleOptions = {}): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('cluster double not ready after 10 s')), 10_000)
    child.stdout?.on('data', (d: Buffer) => {
      out += d
      const m = /^listening (\S+)$/m.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[1] as string)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`cluster double exited (${code})`))
    })
  })
  return {
    url,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') {
  const double = await createClusterDouble(JSON.parse(process.argv[3] ?? '{}') as ClusterDoubleOptions)
  process.stdout.write(`listening ${double.url}\n`)
  process.on('SIGTERM', () => {
    void double.close().then(() => process.exit(0))
  })
  // The test that started it is gone (crashed, killed): so is its stdin pipe, and so are we.
  process.stdin.on('close', () => process.exit(0))
  process.stdin.resume()
}
