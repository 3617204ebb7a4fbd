/**
 * Memory caches for the DAG. Blocks are immutable, so an entry never goes stale: what a cache
 * saves is disk reads and decoding. A path walk reads the same directories again and again (a put
 * walks its parent twice, a stat walks the whole path), and @helia/unixfs's HAMT code reads the
 * shard path on every edit and measures a shard after each removal by reading its sub-shards: from
 * disk, that was about 200 ms per unlink in a 2,000-entry directory.
 */
import * as dagPB from '@ipld/dag-pb'
import type { Blocks } from 'helia'
import type { CID } from 'multiformats/cid'

/**
 * The largest entry worth keeping: a plain directory block stays within the shard threshold
 * (256 KiB), while a one-chunk file stored with metadata carries its data inline (up to 1 MiB):
 * caching those would only push the directories out.
 */
export const MAX_ENTRY_BYTES = 320 * 1024

/** Least recently used first out, bounded by a byte count. */
export class Lru<V> {
  readonly #max: number
  readonly #size: (value: V) => number
  readonly #entries = new Map<string, V>()
  #bytes = 0

  constructor(maxBytes: number, size: (value: V) => number) {
    this.#max = maxBytes
    this.#size = size
  }

  get(cid: CID): V | undefined {
    const key = cid.toString()
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  set(cid: CID, value: V): void {
    const size = this.#size(value)
    const key = cid.toString()
    if (size > Math.min(this.#max / 4, MAX_ENTRY_BYTES) || this.#entries.has(key)) return
    this.#entries.set(key, value)
    this.#bytes += size
    for (const [k, old] of this.#entries) {
      if (this.#bytes <= this.#max) break
      this.#entries.delete(k)
      this.#bytes -= this.#size(old)
    }
  }
}

export type BlockStore = Pick<Blocks, 'get' | 'put' | 'has'>

function* once(block: Uint8Array): Generator<Uint8Array> {
  yield block
}

/**
 * The blockstore with dag-pb blocks (directories, shards, file roots, symlinks: the structure,
 * not the data) cached on read and on write. Data leaves pass through: caching them would only
 * evict the structure.
 */
export function cachedBlocks(blockstore: BlockStore, maxBytes: number): BlockStore {
  const cache = new Lru<Uint8Array>(maxBytes, (b) => b.byteLength)
  return {
    get: (cid, options) => {
      if (cid.code !== dagPB.code) return blockstore.get(cid, options)
      const hit = cache.get(cid)
      if (hit !== undefined) return once(hit)
      return (async function* () {
        const chunks: Uint8Array[] = []
        for await (const chunk of blockstore.get(cid, options)) chunks.push(chunk)
        const block = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
        cache.set(cid, block)
        yield block
      })()
    },
    put: async (cid, block, options) => {
      const stored = await blockstore.put(cid, block, options)
      if (cid.code === dagPB.code && block instanceof Uint8Array) cache.set(cid, block)
      return stored
    },
    has: (cid, options) => (cid.code === dagPB.code && cache.get(cid) !== undefined) || blockstore.has(cid, options),
  }
}
