/**
 * The IPFS Cluster REST API (ipfs-cluster v1.1, `api/rest`), the calls /cluster makes, over
 * plain fetch. Why not @nftstorage/ipfs-cluster: it has no call for the pinset (`GET
 * /allocations`), which is how the folder lists pins without asking every peer's IPFS daemon,
 * and its stream parsing does not accept the 204 an empty stream answers; every call here is one
 * request whose JSON shapes are in BACKENDS.md §3.
 *
 * Streams (`/allocations`, `/pins`, `/peers`) are NDJSON, one object per line; an empty stream is
 * `204 No Content`; a mid-stream failure arrives in the `X-Stream-Error` trailer. Errors are
 * `{"code","message"}`; 404 with `pin is not part of the pinset` for an unknown CID.
 */
import type { CallOptions } from '../../vfs/backend.ts'

export type TrackerStatus =
  | 'undefined' | 'cluster_error' | 'pin_error' | 'unpin_error' | 'error' | 'pinned' | 'pinning' | 'unpinning' | 'unpinned'
  | 'remote' | 'pin_queued' | 'unpin_queued' | 'queued' | 'sharded' | 'unexpectedly_unpinned'

/** `Pin` as /allocations serialises it (the fields /cluster uses). */
export interface ClusterPin {
  cid: string
  name: string
  type?: string
  allocations?: string[]
  replication_factor_min?: number
  replication_factor_max?: number
  metadata?: Record<string, string> | null
  timestamp?: string
}

export interface PinInfoShort {
  peername: string
  ipfs_peer_id?: string
  status: TrackerStatus
  timestamp?: string
  error?: string
  attempt_count?: number
}

export interface GlobalPinInfo {
  cid: string
  name: string
  allocations?: string[]
  created?: string
  metadata?: Record<string, string> | null
  peer_map: Record<string, PinInfoShort>
}

export interface PinOptions {
  name: string
  replicationMin: number
  replicationMax: number
}

export interface ClusterAuth {
  /** `user:password` for basic auth. */
  basic?: string
  /** A bearer token (`POST /token`'s JWT). */
  bearer?: string
}

/** An HTTP answer that is not a success: the status, and the cluster's message. */
export class ClusterHttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'ClusterHttpError'
    this.status = status
  }
}

/** The cluster could not be reached at all (refused, reset, DNS, timeout). */
export class ClusterUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`IPFS Cluster unreachable at ${url}: ${(cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message}`, { cause })
    this.name = 'ClusterUnreachableError'
  }
}

export class ClusterRest {
  readonly #base: string
  readonly #headers: Record<string, string>
  readonly #timeoutMs: number

  constructor(url: string, auth: ClusterAuth = {}, timeoutMs = 30_000) {
    this.#base = url.replace(/\/+$/, '')
    this.#headers = {}
    if (auth.basic !== undefined) this.#headers.authorization = `Basic ${Buffer.from(auth.basic).toString('base64')}`
    if (auth.bearer !== undefined) this.#headers.authorization = `Bearer ${auth.bearer}`
    this.#timeoutMs = timeoutMs
  }

  get url(): string {
    return this.#base
  }

  async #request(method: string, path: string, opts: CallOptions | undefined): Promise<Response> {
    const signals = [AbortSignal.timeout(this.#timeoutMs), ...(opts?.signal === undefined ? [] : [opts.signal])]
    let res: Response
    try {
      res = await fetch(`${this.#base}${path}`, { method, headers: this.#headers, signal: AbortSignal.any(signals) })
    } catch (err) {
      if (opts?.signal?.aborted === true) throw Object.assign(new Error('aborted', { cause: err }), { code: 'ABORT_ERR' })
      throw new ClusterUnreachableError(this.#base, err)
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '')
      let message = text
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text
      } catch {
        // not JSON: the body as it is
      }
      throw new ClusterHttpError(res.status, `${method} ${path}: ${res.status} ${message}`.trim())
    }
    return res
  }

  async #json<T>(method: string, path: string, opts: CallOptions | undefined): Promise<T> {
    return (await (await this.#request(method, path, opts)).json()) as T
  }

  async #stream<T>(path: string, opts: CallOptions | undefined): Promise<T[]> {
    const res = await this.#request('GET', path, opts)
    if (res.status === 204) return []
    const text = await res.text()
    const trailer = res.headers.get('x-stream-error')
    if (trailer !== null && trailer !== '') throw new ClusterHttpError(500, `GET ${path}: stream error: ${trailer}`)
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as T)
  }

  id(opts?: CallOptions): Promise<{ id: string; peername: string; version: string; error?: string }> {
    return this.#json('GET', '/id', opts)
  }

  /** The pinset (cluster state; no IPFS daemon is asked). */
  allocations(opts?: CallOptions): Promise<ClusterPin[]> {
    return this.#stream('/allocations?filter=pin', opts)
  }

  /** Every pin's status on every peer; with `filter`, only pins with a peer in one of those states (comma-joined, as the API takes them). */
  statusAll(filter?: readonly TrackerStatus[], opts?: CallOptions): Promise<GlobalPinInfo[]> {
    return this.#stream(filter === undefined ? '/pins' : `/pins?filter=${filter.join(',')}`, opts)
  }

  status(cid: string, opts?: CallOptions): Promise<GlobalPinInfo> {
    return this.#json('GET', `/pins/${encodeURIComponent(cid)}`, opts)
  }

  /** Pins, or re-pins with new options (the pinset is keyed by CID: a second pin of a CID replaces its options). */
  pin(cid: string, o: PinOptions, opts?: CallOptions): Promise<ClusterPin> {
    const q = new URLSearchParams({ name: o.name, mode: 'recursive', 'replication-min': String(o.replicationMin), 'replication-max': String(o.replicationMax) })
    return this.#json('POST', `/pins/${encodeURIComponent(cid)}?${q}`, opts)
  }

  /** Unpins; a CID that is not in the pinset is not an error (already gone). */
  async unpin(cid: string, opts?: CallOptions): Promise<void> {
    try {
      await this.#request('DELETE', `/pins/${encodeURIComponent(cid)}`, opts)
    } catch (err) {
      if (err instanceof ClusterHttpError && err.status === 404) return
      throw err
    }
  }
}
