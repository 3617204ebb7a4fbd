/**
 * An IPFS Cluster pinset as a store of named roots (roots/store.ts): each pin is a top-level
 * entry under its name. The pinset is keyed by CID and a pin has one name, so:
 * - a pin without a name, or whose name is not one clean path segment, is listed under its CID;
 *   with a `prefix`, only pins named `<prefix><name>` are listed (as `<name>`);
 * - two pins with one name: the newest holds the name, the others are listed under their CID;
 * - content whose CID is already pinned under another listed name cannot take a second name
 *   (EEXIST): the cluster would rename the first. With mtimes kept (the default) two files have
 *   one CID only when bytes, mode and mtime all match to the nanosecond;
 * - rename re-pins the same CID with the new name (the cluster replaces the pin's options:
 *   nothing to unpin), then unpins what the destination held.
 * The pinset is read from `GET /allocations` (the cluster's state, no IPFS daemon asked) and kept
 * for `listTtlMs`; this store's own changes update it at once.
 */
import { CID } from 'multiformats/cid'
import type { CallOptions } from '../../vfs/backend.ts'
import type { RootEntry, RootStore } from '../roots/store.ts'
import { type ClusterPin, ClusterHttpError, type ClusterRest, ClusterUnreachableError, type GlobalPinInfo } from './rest.ts'

export const STATUS_XATTR = 'user.cluster.status'

export interface ClusterStoreInit {
  /** Pins listed here are named `<prefix><name>`. Default ''. */
  prefix: string
  replicationMin: number
  replicationMax: number
  /** How long a pinset listing is reused (ms). */
  listTtlMs: number
}

/** A store error with a POSIX code: the backend boundary turns it into a VfsError (cause kept). */
function coded(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code })
}

/** The cluster's errors as POSIX codes: unreachable and 5xx are EIO, auth is EACCES. */
export function clusterError(err: unknown): Error {
  if (err instanceof ClusterUnreachableError) return coded('EIO', err.message, err)
  if (err instanceof ClusterHttpError) {
    if (err.status === 401 || err.status === 403) return coded('EACCES', err.message, err)
    if (err.status === 404) return coded('ENOENT', err.message, err)
    return coded('EIO', err.message, err)
  }
  return err as Error
}

const cleanName = (n: string): boolean => n !== '' && n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\0') && Buffer.byteLength(n) <= 255

const ERROR_LIST = ['cluster_error', 'pin_error', 'unpin_error', 'unexpectedly_unpinned'] as const
const ERROR_STATES = new Set<string>([...ERROR_LIST, 'error'])

/** A pin's per-peer status as the xattr shows it: `{"cid","name","peers":{"<peername>":{"status","error"?}}}`. */
export function statusJson(info: GlobalPinInfo): string {
  const peers: Record<string, { status: string; error?: string }> = {}
  for (const [id, p] of Object.entries(info.peer_map ?? {})) {
    peers[p.peername !== undefined && p.peername !== '' ? p.peername : id] = { status: p.status, ...(p.error !== undefined && p.error !== '' ? { error: p.error } : {}) }
  }
  return JSON.stringify({ cid: info.cid, name: info.name, peers })
}

export function inError(info: GlobalPinInfo): boolean {
  return Object.values(info.peer_map ?? {}).some((p) => ERROR_STATES.has(p.status))
}

export class ClusterStore implements RootStore {
  readonly xattrNames = [STATUS_XATTR]
  readonly #api: ClusterRest
  readonly #o: ClusterStoreInit
  #cache: { at: number; entries: Map<string, RootEntry> } | undefined

  constructor(api: ClusterRest, init: ClusterStoreInit) {
    this.#api = api
    this.#o = init
  }

  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw clusterError(err)
    }
  }

  /** The pinset as names: see the module comment for unnamed and duplicate names. */
  #toEntries(pins: ClusterPin[]): Map<string, RootEntry> {
    const out = new Map<string, RootEntry>()
    const byNewest = [...pins].sort((a, b) => Date.parse(b.timestamp ?? '') - Date.parse(a.timestamp ?? '') || (a.cid < b.cid ? -1 : 1))
    const unnamed: ClusterPin[] = []
    for (const pin of byNewest) {
      const name = pin.name ?? ''
      const local = name.startsWith(this.#o.prefix) ? name.slice(this.#o.prefix.length) : undefined
      if (local === undefined || (this.#o.prefix !== '' && local === '')) continue
      if (!cleanName(local) || out.has(local)) unnamed.push(pin)
      else out.set(local, this.#entry(local, pin))
    }
    // Under its CID: only in the unprefixed view (a prefixed mount shows its own namespace).
    for (const pin of unnamed) if (this.#o.prefix === '' || (pin.name ?? '').startsWith(this.#o.prefix)) if (!out.has(pin.cid)) out.set(pin.cid, this.#entry(pin.cid, pin))
    return out
  }

  #entry(name: string, pin: ClusterPin): RootEntry {
    const t = Date.parse(pin.timestamp ?? '')
    return { name, cid: CID.parse(pin.cid), ...(Number.isNaN(t) ? {} : { addedNs: BigInt(t) * 1_000_000n }) }
  }

  async entries(opts?: CallOptions): Promise<Map<string, RootEntry>> {
    const c = this.#cache
    if (c !== undefined && Date.now() - c.at < this.#o.listTtlMs) return c.entries
    const entries = this.#toEntries(await this.#call(() => this.#api.allocations(opts)))
    this.#cache = { at: Date.now(), entries }
    return entries
  }

  #pinOptions(name: string): { name: string; replicationMin: number; replicationMax: number } {
    return { name: `${this.#o.prefix}${name}`, replicationMin: this.#o.replicationMin, replicationMax: this.#o.replicationMax }
  }

  async set(name: string, root: CID, previous: CID | undefined, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    for (const e of entries.values()) {
      if (e.name !== name && e.cid.equals(root)) throw coded('EEXIST', `${root} is already pinned as ${e.name}: the cluster keeps one name per CID`)
    }
    await this.#call(() => this.#api.pin(root.toString(), this.#pinOptions(name), opts))
    // The name is the new pin's from here on, even if unpinning the old one fails below (then the
    // old CID lists under its own name until it is unpinned: the close still reports the failure).
    entries.set(name, { name, cid: root, addedNs: BigInt(Date.now()) * 1_000_000n })
    if (previous !== undefined && !previous.equals(root)) await this.#call(() => this.#api.unpin(previous.toString(), opts))
  }

  async delete(name: string, root: CID, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    await this.#call(() => this.#api.unpin(root.toString(), opts))
    entries.delete(name)
  }

  async rename(from: string, to: string, root: CID, replaced: CID | undefined, opts?: CallOptions): Promise<void> {
    const entries = await this.entries(opts)
    await this.#call(() => this.#api.pin(root.toString(), this.#pinOptions(to), opts))
    const moved = entries.get(from)
    entries.delete(from)
    entries.set(to, { ...(moved ?? { cid: root }), name: to })
    if (replaced !== undefined && !replaced.equals(root)) await this.#call(() => this.#api.unpin(replaced.toString(), opts))
  }

  /** Pins a CID that is already somewhere in IPFS under a name (`ipfs-vfs cluster pin`). */
  async pinExisting(cid: CID, name: string, opts?: CallOptions): Promise<void> {
    if (!cleanName(name)) throw coded('EINVAL', `${JSON.stringify(name)} is not a file name`)
    const entries = await this.entries(opts)
    const old = entries.get(name)
    await this.set(name, cid, old?.cid, opts)
  }

  async xattr(_name: string, top: RootEntry, opts?: CallOptions): Promise<Buffer> {
    return Buffer.from(statusJson(await this.#call(() => this.#api.status(top.cid.toString(), opts))))
  }

  /** Resolves when the cluster answers and no pin of this mount is in an error state; throws with the reason otherwise. */
  async health(opts?: CallOptions): Promise<void> {
    await this.#call(() => this.#api.id(opts))
    const mine = new Set([...(await this.entries(opts)).values()].map((e) => e.cid.toString()))
    // Only the pins in an error state come back (the cluster filters), not the whole pinset.
    const bad = (await this.#call(() => this.#api.statusAll(ERROR_LIST, opts))).filter((i) => mine.has(i.cid) && inError(i))
    if (bad.length === 0) return
    const what = bad.slice(0, 5).map((i) => `${i.name === '' ? i.cid : i.name}: ${Object.values(i.peer_map).filter((p) => ERROR_STATES.has(p.status)).map((p) => `${p.peername} ${p.status}${p.error ? ` (${p.error})` : ''}`).join(', ')}`)
    throw coded('EIO', `${bad.length} pin(s) in error: ${what.join('; ')}${bad.length > 5 ? '; ...' : ''}`)
  }
}
