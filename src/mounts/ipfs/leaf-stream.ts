/**
 * A new file imported while it is written: every full chunk becomes a raw leaf in the blockstore
 * as soon as it is complete (hashed and stored as the importer's own buffer importer does), so
 * that storing a large file at close only lays out its file nodes, instead of reading a staged copy
 * back and importing it then. `fileCid` lays the leaves out with the importer itself (a
 * bufferImporter that hands it the leaves made here), so the CID is the one `importFile` gives for
 * the same bytes and metadata (test/mounts/ipfs-leaf-stream.test.ts checks it).
 *
 * Leaves of a file that is never committed (removed while open, or moved to local staging) stay in
 * the blockstore unpinned: `helia.gc()` takes them.
 */
import { createHash } from 'node:crypto'
import type { UnixFS as HeliaUnixFS } from '@helia/unixfs'
import type { Mtime } from 'ipfs-unixfs'
import type { BufferImporterResult } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { errno } from './errors.ts'
import { fileImportOptions } from './import-settings.ts'
import { type DagContext, type ReadOptions, readBlock } from './nodes.ts'

/** Leaves being written at once; an append waits while this many are in flight (backpressure). */
const MAX_PUTS = 4
/** The first buffer of a new file's first chunk. */
const MIN_TAIL = 64 * 1024
/** Chunk buffers kept for reuse once their leaf is stored (allocating 1 MiB per leaf kept the GC busy). */
const MAX_SPARE = MAX_PUTS + 2

interface Leaf {
  cid: CID
  size: number
  /** Resolves once the leaf is in the blockstore. */
  stored: Promise<void>
}

export class LeafStream {
  readonly #ctx: DagContext
  readonly #fs: Pick<HeliaUnixFS, 'addByteStream'>
  readonly #leaves: Leaf[] = []
  /** The chunk being filled, allocated on the first byte that needs it. */
  #tail: Buffer | undefined
  #tailLength = 0
  readonly #puts = new Set<Promise<void>>()
  readonly #spare: Buffer[] = []
  #failed: Error | undefined
  #aborted = false

  /** `fs` imports into `ctx.blockstore`, with `ctx.settings`. */
  constructor(ctx: DagContext, fs: Pick<HeliaUnixFS, 'addByteStream'>) {
    this.#ctx = ctx
    this.#fs = fs
  }

  get size(): number {
    return this.#leaves.length * this.#ctx.settings.chunkSize + this.#tailLength
  }

  append(bytes: Uint8Array): Promise<void> {
    if (this.#aborted) return Promise.reject(errno('EIO', 'append to an aborted upload'))
    if (this.#failed) return Promise.reject(this.#failed)
    const chunkSize = this.#ctx.settings.chunkSize
    let offset = 0
    while (offset < bytes.length) {
      const n = Math.min(bytes.length - offset, chunkSize - this.#tailLength)
      const tail = this.#room(this.#tailLength + n)
      tail.set(bytes.subarray(offset, offset + n), this.#tailLength)
      this.#tailLength += n
      offset += n
      if (this.#tailLength === chunkSize) this.#storeTail()
    }
    return this.#puts.size < MAX_PUTS ? Promise.resolve() : this.#fewerPuts()
  }

  /**
   * The chunk being filled, with room for `length` bytes. A new file's first chunk grows as it
   * fills (a small file never takes a whole chunk of memory); later chunks reuse full buffers.
   */
  #room(length: number): Buffer {
    const chunkSize = this.#ctx.settings.chunkSize
    const tail = this.#tail
    if (tail !== undefined && tail.length >= length) return tail
    const grown = tail === undefined && this.#leaves.length > 0 ? (this.#spare.pop() ?? Buffer.allocUnsafeSlow(chunkSize)) : Buffer.allocUnsafeSlow(Math.min(chunkSize, Math.max(MIN_TAIL, length, 2 * (tail?.length ?? 0))))
    if (tail !== undefined) tail.copy(grown, 0, 0, this.#tailLength)
    this.#tail = grown
    return grown
  }

  /** The full chunk becomes the next leaf: hashed here, written in the background. */
  #storeTail(): void {
    const block = this.#tail as Buffer
    this.#tail = undefined
    this.#tailLength = 0
    const cid = leafCid(block)
    const stored = (async () => {
      await this.#ctx.blockstore.put(cid, block)
    })()
    this.#leaves.push({ cid, size: block.length, stored })
    const settled: Promise<void> = stored
      .then(
        () => {
          if (this.#spare.length < MAX_SPARE && !this.#aborted && block.length === this.#ctx.settings.chunkSize) this.#spare.push(block)
        },
        (err: unknown) => {
          this.#failed ??= err as Error
        },
      )
      .finally(() => this.#puts.delete(settled))
    this.#puts.add(settled)
  }

  async #fewerPuts(): Promise<void> {
    while (this.#puts.size >= MAX_PUTS) await Promise.race(this.#puts)
    if (this.#failed) throw this.#failed
  }

  async read(buffer: Uint8Array, position: number, opts: ReadOptions = {}): Promise<number> {
    const chunkSize = this.#ctx.settings.chunkSize
    const end = Math.min(this.size, position + buffer.length)
    let done = 0
    while (position + done < end) {
      const at = position + done
      const index = Math.floor(at / chunkSize)
      const within = at - index * chunkSize
      const n = Math.min(end - at, chunkSize - within)
      const leaf = this.#leaves[index]
      if (leaf !== undefined) {
        await leaf.stored
        const block = await readBlock(this.#ctx, leaf.cid, opts)
        buffer.set(block.subarray(within, within + n), done)
      } else {
        // The chunk being filled: copied in the same turn as the check above (once full, its
        // buffer goes on to another chunk).
        buffer.set((this.#tail as Buffer).subarray(within, within + n), done)
      }
      done += n
    }
    return done
  }

  /**
   * The file node of the first `size` bytes appended (appends may go on while a commit runs), with
   * `meta` stored as the importer stores it. The stream stays usable: a partial last chunk is
   * stored as a leaf of its own and kept for more appends.
   */
  async fileCid(size: number, meta: { mode: number; mtime: Mtime | undefined }, opts: ReadOptions = {}): Promise<{ cid: CID; bytes: number }> {
    if (size > this.size) throw errno('EIO', `the upload holds ${this.size} bytes, not ${size}`)
    const chunkSize = this.#ctx.settings.chunkSize
    const full = Math.floor(size / chunkSize)
    const rest = size - full * chunkSize
    // Taken before the first await: an append may fill the tail and reuse its buffer meanwhile.
    const leaves = this.#leaves.slice(0, full)
    const partial = rest === 0 ? undefined : this.#leaves[full]
    const tail = rest === 0 || partial !== undefined ? undefined : Buffer.from((this.#tail as Buffer).subarray(0, rest))
    await Promise.all([...leaves, ...(partial === undefined ? [] : [partial])].map((leaf) => leaf.stored))
    const last = tail ?? (partial === undefined ? undefined : (await readBlock(this.#ctx, partial.cid, opts)).subarray(0, rest))
    const options = { ...fileImportOptions(this.#ctx.settings, meta), signal: opts.signal }
    // One chunk or less: the importer decides from the bytes whether it stays a raw leaf or is
    // wrapped with the metadata.
    if (size <= chunkSize) {
      const only = last ?? (leaves[0] === undefined ? NO_BYTES : await readBlock(this.#ctx, leaves[0].cid, opts))
      return { cid: await this.#fs.addByteStream([only], options), bytes: size }
    }
    const links = leaves.map(({ cid, size }) => ({ cid, size }))
    if (last !== undefined) {
      const cid = leafCid(last)
      await this.#ctx.blockstore.put(cid, last, { signal: opts.signal })
      links.push({ cid, size: last.length })
    }
    const bufferImporter = async function* (): AsyncGenerator<() => Promise<BufferImporterResult>> {
      for (const link of links) yield async () => ({ cid: link.cid, size: BigInt(link.size), block: NO_BYTES })
    }
    return { cid: await this.#fs.addByteStream([], { ...options, bufferImporter }), bytes: size }
  }

  /** Stops taking bytes and lets go of the buffers; leaves already written stay for gc. */
  async abort(): Promise<void> {
    this.#aborted = true
    this.#tail = undefined
    this.#spare.length = 0
    await Promise.allSettled(this.#puts)
  }
}

/** An empty file's bytes; also the `block` of leaves handed to the importer, which keeps a leaf's bytes only for a file of one leaf (never handed over). */
const NO_BYTES = new Uint8Array(0)

/** A raw leaf's CID: CIDv1, raw codec, sha2-256 (what the importer gives with rawLeaves). */
function leafCid(block: Uint8Array): CID {
  return CID.createV1(raw.code, createDigest(sha256.code, createHash('sha256').update(block).digest()))
}
