/**
 * Keeps the /ipfs tree's root pinned in Helia, so `helia.gc()` never takes the tree.
 *
 * Helia's `pins.add` walks the whole DAG and writes one datastore record per block, so a pin per
 * change would cost O(tree) on every write. Pinning is therefore off the write path: after a
 * change completes, the pinner waits until the change queue is idle and then a quiet second,
 * pins the root current then (one pin for any number of changes in a burst), and unpins the root
 * it pinned before. `flush`
 * (at close) pins the final root before the engine is closed. The walk reads only the DAG's
 * structure: raw leaves (the file data) are named by their parent's link and counted as pinned
 * without being read, so pinning a tree with a 1 GiB file reads its few dag-pb blocks, not 1 GiB.
 *
 * Our pins carry `{ ipfsVfsRoot: <rootKey> }` as metadata: on open, a root pinned by an earlier
 * run is recognised (and unpinned once the current root is pinned), and a pin of the same CID made
 * by anyone else (a checkpoint) is never removed by us.
 *
 * What is not covered: between a change and the next pin (while the queue is busy), the newest
 * root's new blocks are not pinned yet; a `helia.gc()` run exactly then would take them. ipfs-vfs
 * itself never runs gc; whoever does should do it with /ipfs quiet (or after close).
 */
import * as dagPB from '@ipld/dag-pb'
import type { GraphNode, GraphWalkerFactory, Pins } from 'helia'
import type { CID } from 'multiformats/cid'
import { createLogger } from '../../log.ts'
import { type DagContext, readBlock } from './nodes.ts'

const log = createLogger('ipfs')

const IDENTITY = 0x00

/** How long the tree must stay unchanged before its root is pinned. */
const QUIET_MS = 1000

/** Depth-first over the dag-pb nodes; every other block (raw leaves) is yielded by its CID, unread. */
function structureWalker(ctx: DagContext): GraphWalkerFactory {
  return () => ({
    async *walk<T>(cid: CID, options: { depth?: number; signal?: AbortSignal } = {}): AsyncGenerator<GraphNode<T>> {
      const depthLimit = options.depth ?? Infinity
      const stack: { cid: CID; depth: number; path: CID[] }[] = [{ cid, depth: 0, path: [] }]
      const seen = new Set<string>()
      for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
        const key = next.cid.toString()
        if (seen.has(key) || next.cid.multihash.code === IDENTITY) continue
        seen.add(key)
        yield { block: { cid: next.cid } as GraphNode<T>['block'], depth: next.depth, path: next.path }
        if (next.cid.code !== dagPB.code || next.depth >= depthLimit) continue
        const links = dagPB.decode(await readBlock(ctx, next.cid, { signal: options.signal })).Links
        for (let i = links.length - 1; i >= 0; i--) stack.push({ cid: (links[i] as dagPB.PBLink).Hash, depth: next.depth + 1, path: [...next.path, next.cid] })
      }
    },
  })
}

async function drain(it: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of it) void _
}

export class RootPinner {
  readonly #pins: Pins
  readonly #ctx: DagContext
  readonly #tag: string
  /** The root to pin (what the tree has now) and whether it changed since the last pin started. */
  readonly #current: () => CID
  readonly #idle: () => Promise<void>
  /** Roots pinned by us, the newest last. */
  #pinned: CID[] = []
  #dirty = false
  #running: Promise<void> | undefined

  private constructor(pins: Pins, ctx: DagContext, tag: string, current: () => CID, idle: () => Promise<void>) {
    this.#pins = pins
    this.#ctx = ctx
    this.#tag = tag
    this.#current = current
    this.#idle = idle
  }

  /** Finds the roots an earlier run pinned (tagged `tag`) and brings the pin up to the current root in the background. */
  static async open(pins: Pins, ctx: DagContext, tag: string, current: () => CID, idle: () => Promise<void>): Promise<RootPinner> {
    const pinner = new RootPinner(pins, ctx, tag, current, idle)
    for await (const pin of pins.ls()) if (pin.metadata.ipfsVfsRoot === tag) pinner.#pinned.push(pin.cid)
    pinner.changed()
    return pinner
  }

  /** A change completed: pin its root once the queue is idle. */
  changed(): void {
    this.#dirty = true
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined
    })
  }

  /** Pins the current root now (after anything running); for close. */
  async flush(): Promise<void> {
    this.#hurry = true
    this.#wake?.()
    await this.#running
    await this.#idle()
    await this.#pinCurrent()
  }

  async #loop(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false
      await this.#idle()
      // A pin walks the tree and writes a record per block: a writer creating many small files
      // leaves the queue idle between two files, and a pin at each of those moments made 2,000
      // creates in one folder quadratic. So a pin waits for a quiet spell (close wakes it).
      await this.#quiet()
      // More changes came while we waited: wait for those too, then pin once.
      if (this.#dirty) continue
      await this.#pinCurrent()
    }
  }

  #wake: (() => void) | undefined
  /** Closing: no more waiting for quiet. */
  #hurry = false

  #quiet(): Promise<void> {
    if (this.#hurry) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
      const timer = setTimeout(done, QUIET_MS)
      this.#wake = done
    })
  }

  async #pinCurrent(): Promise<void> {
    const root = this.#current()
    try {
      const newest = this.#pinned[this.#pinned.length - 1]
      if (newest === undefined || !newest.equals(root)) {
        try {
          await drain(this.#pins.add(root, { walker: structureWalker(this.#ctx), metadata: { ipfsVfsRoot: this.#tag } }))
          this.#pinned.push(root)
        } catch (err) {
          // Pinned already by someone else (a checkpoint of the same tree): that pin keeps it.
          if ((err as { name?: unknown }).name !== 'AlreadyPinnedError') throw err
        }
      }
      for (const old of this.#pinned.filter((cid) => !cid.equals(root))) {
        await drain(this.#pins.rm(old, { walker: structureWalker(this.#ctx) }))
        this.#pinned = this.#pinned.filter((cid) => !cid.equals(old))
      }
    } catch (err) {
      log.warn(`pinning the /ipfs root ${root} (the next change tries again)`, err)
    }
  }
}
