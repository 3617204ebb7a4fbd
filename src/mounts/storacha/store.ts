/**
 * A Storacha space as a store of named roots (roots/store.ts). An upload is keyed by its root
 * CID and has no name, so the names live in the journal's state: a LevelDB sublevel per space,
 * name → root. The folder lists, for every upload in the space (`upload/list`, paginated), the
 * names that map to its root, or its root CID when none does; a name whose upload is gone (removed
 * elsewhere) is not listed. Two names may share one root (same content): the upload is removed
 * only when the last name goes.
 *
 * Writing uploads the whole DAG of the root as a CAR (`uploadCAR`: blob/add of each shard, index,
 * upload/add) before the name is recorded; then the replaced root, when no other name uses it, is
 * removed from the space (`upload/remove`; its blobs stay: the client's `remove({shards:true})`
 * needs `upload/shard/list`, which the service pair in use does not have).
 *
 * Every list and remove carries a nonce: identical invocations within one second would share a
 * CID and the service would answer the first one's receipt again (a listing that never changes).
 */
import { randomUUID } from 'node:crypto'
import { CID } from 'multiformats/cid'
import type { CallOptions } from '../../vfs/backend.ts'
import { createLogger } from '../../log.ts'
import type { BlockStore } from '../ipfs/cache.ts'
import type { RootEntry, RootStore } from '../roots/store.ts'
import { carOf } from './car.ts'
import type { StorachaClient } from './client.ts'

const log = createLogger('storacha')

/** The part of a LevelDB sublevel the name map uses (abstract-level). */
export interface NameMap {
  get(key: string): Promise<{ root: string } | undefined>
  put(key: string, value: { root: string }): Promise<void>
  del(key: string): Promise<void>
  batch(ops: ({ type: 'put'; key: string; value: { root: string } } | { type: 'del'; key: string })[]): Promise<void>
  iterator(): AsyncIterable<[string, { root: string }]>
}

export interface StorachaStoreInit {
  /** How long a listing of the space is reused (ms). */
  listTtlMs: number
  /** Attempts per failed request of an upload, after the first (the client's default: 3). */
  retries?: number
}

function coded(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code })
}

/** Every message in an error's cause chain (the client wraps the service's error). */
function describe(err: unknown): string {
  const parts: string[] = []
  for (let e = err as { message?: string; name?: string; cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 6; e = e.cause as typeof e, i++) {
    parts.push(`${e.name ?? 'Error'}: ${e.message ?? String(e)}`)
  }
  return parts.join(' <- ')
}

/**
 * The service's refusals as POSIX codes: no access to the space (no proof, wrong space,
 * expired or invalid delegation, unprovisioned space) is EACCES; anything else, quota included,
 * is EIO. The whole cause chain goes into the message (and the log).
 */
export function storachaError(err: unknown, what: string): Error {
  if ((err as { code?: unknown }).code === 'ABORT_ERR') return err as Error
  const text = describe(err)
  const denied = /Unauthorized|InvalidProof|Expired|NotValidBefore|InvalidSignature|InvalidAudience|no proofs|not authorized|SpaceUnknown|not provisioned|no storage provider|UnknownProvider/i.test(text)
  const quota = /InsufficientStorage|quota|exceeds/i.test(text)
  const message = `${what} refused by the Storacha service${quota ? ' (quota)' : ''}: ${text}`
  log.error(message)
  return coded(denied ? 'EACCES' : 'EIO', message, err)
}

export class StorachaStore implements RootStore {
  readonly #client: StorachaClient
  readonly #names: NameMap
  readonly #blocks: BlockStore
  readonly #o: StorachaStoreInit
  #cache: { at: number; entries: Map<string, RootEntry> } | undefined

  constructor(client: StorachaClient, names: NameMap, blocks: BlockStore, init: StorachaStoreInit) {
    this.#client = client
    this.#names = names
    this.#blocks = blocks
    this.#o = init
  }

  /** Every upload's root in the space, with when it was added. */
  async #uploads(): Promise<Map<string, bigint | undefined>> {
    const out = new Map<string, bigint | undefined>()
    let cursor: string | undefined
    for (let page = 0; page < 10_000; page++) {
      let res
      try {
        res = await this.#client.capability.upload.list({ size: 1000, nonce: randomUUID(), ...(cursor === undefined ? {} : { cursor }) })
      } catch (err) {
        throw storachaError(err, 'listing the space')
      }
      for (const u of res.results) {
        const t = Date.parse((u as { insertedAt?: string }).insertedAt ?? '')
        out.set(u.root.toString(), Number.isNaN(t) ? undefined : BigInt(t) * 1_000_000n)
      }
      if (res.results.length === 0 || res.cursor === undefined || res.cursor === cursor) break
      cursor = res.cursor
    }
    return out
  }

  async entries(_opts?: CallOptions): Promise<Map<string, RootEntry>> {
    const c = this.#cache
    if (c !== undefined && Date.now() - c.at < this.#o.listTtlMs) return c.entries
    const uploads = await this.#uploads()
    const entries = new Map<string, RootEntry>()
    const named = new Set<string>()
    for await (const [name, { root }] of this.#names.iterator()) {
      if (!uploads.has(root)) continue
      named.add(root)
      const addedNs = uploads.get(root)
      entries.set(name, { name, cid: CID.parse(root), ...(addedNs === undefined ? {} : { addedNs }) })
    }
    for (const [root, addedNs] of uploads) {
      if (!named.has(root) && !entries.has(root)) entries.set(root, { name: root, cid: CID.parse(root), ...(addedNs === undefined ? {} : { addedNs }) })
    }
    this.#cache = { at: Date.now(), entries }
    return entries
  }

  /** Removes the upload of `root` unless another listed name still holds it. */
  async #release(root: CID, entries: Map<string, RootEntry>): Promise<void> {
    for (const e of entries.values()) if (e.cid.equals(root)) return
    try {
      await this.#client.capability.upload.remove(root as never, { nonce: randomUUID() })
    } catch (err) {
      // Already gone (removed elsewhere) is what we wanted.
      if (/UploadNotFound|RecordNotFound|not found/i.test(describe(err))) return
      throw storachaError(err, `removing upload ${root}`)
    }
  }

  async set(name: string, root: CID, previous: CID | undefined, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    try {
      await this.#client.uploadCAR(carOf(this.#blocks, root, opts?.signal), { ...(opts?.signal === undefined ? {} : { signal: opts.signal }), ...(this.#o.retries === undefined ? {} : { retries: this.#o.retries }) })
    } catch (err) {
      throw storachaError(err, `uploading ${name} (${root})`)
    }
    // The name is recorded only once the service has the upload: a failed upload changes nothing.
    await this.#names.put(name, { root: root.toString() })
    if (entries.get(root.toString())?.name === root.toString()) entries.delete(root.toString())
    entries.set(name, { name, cid: root, addedNs: BigInt(Date.now()) * 1_000_000n })
    if (previous !== undefined && !previous.equals(root)) await this.#release(previous, entries)
  }

  async delete(name: string, root: CID, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    await this.#names.del(name)
    entries.delete(name)
    await this.#release(root, entries)
  }

  async rename(from: string, to: string, root: CID, replaced: CID | undefined, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    // An upload listed under its CID gets its first name here.
    await this.#names.batch([
      { type: 'del', key: from },
      { type: 'put', key: to, value: { root: root.toString() } },
    ])
    const moved = entries.get(from)
    entries.delete(from)
    entries.set(to, { ...(moved ?? { cid: root }), name: to })
    if (replaced !== undefined && !replaced.equals(root)) await this.#release(replaced, entries)
  }

  /** The space answers a listing (one item: a probe, not a walk of the space). */
  async health(_opts?: CallOptions): Promise<void> {
    try {
      await this.#client.capability.upload.list({ size: 1, nonce: randomUUID() })
    } catch (err) {
      throw storachaError(err, 'listing the space')
    }
  }
}
