/**
 * What a store of named roots offers: a Storacha space (uploads by root CID, names in the
 * journal's state) or an IPFS Cluster pinset (pins by CID, each with a name). The roots backend
 * (backend.ts) turns one into a folder: each top-level entry is one root, a file or a whole UnixFS
 * directory, whose blocks the backend builds in the local blockstore before it hands the root over.
 */
import type { CID } from 'multiformats/cid'
import type { CallOptions } from '../../vfs/backend.ts'

export interface RootEntry {
  /** The top-level name it is listed under (no '/'). */
  name: string
  cid: CID
  /** When it was added (ns), shown when the root's node cannot be read. */
  addedNs?: bigint
}

export interface RootStore {
  /** Every top-level entry by name. May be served from a short cache that the store's own changes keep current. */
  entries(opts?: CallOptions): Promise<Map<string, RootEntry>>
  /**
   * Makes `name` hold `root` (every block of its DAG is in the local blockstore), replacing what it
   * held (`previous`). Returns once the remote store has accepted it.
   */
  set(name: string, root: CID, previous: CID | undefined, opts?: CallOptions): Promise<void>
  /** Removes `name`, which held `root`. */
  delete(name: string, root: CID, opts?: CallOptions): Promise<void>
  /** Moves `from` (holding `root`) to `to`, which held `replaced` (now dropped). */
  rename(from: string, to: string, root: CID, replaced: CID | undefined, opts?: CallOptions): Promise<void>
  /** Extended attributes the store adds on every entry (read-only), answered for the top-level root holding it. */
  readonly xattrNames?: readonly string[]
  xattr?(name: string, top: RootEntry, opts?: CallOptions): Promise<Buffer>
  /** A probe for `status`: resolves when the store answers and is well, throws with the reason otherwise. */
  health?(opts?: CallOptions): Promise<void>
  close?(): Promise<void>
}

/**
 * Serialises changes per top-level name: a change reads the entry, builds new blocks and hands a
 * new root to the store; two at once on one name would each start from the same root and one
 * would be lost. Several names are taken in sorted order, so two renames cannot deadlock.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const step = (i: number): Promise<T> => (i === sorted.length ? fn() : this.#one(sorted[i] as string, () => step(i + 1)))
    return step(0)
  }

  #one<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve()
    const result = prev.then(fn, fn)
    const tail = result.catch(() => undefined)
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }

  /** Resolves once every change queued so far has finished. */
  async drain(): Promise<void> {
    await Promise.all(this.#tails.values())
  }
}
