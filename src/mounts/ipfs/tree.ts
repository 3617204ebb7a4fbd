/**
 * The mutable UnixFS tree at the /ipfs mount root: a root CID and the path operations on it.
 *
 * Every change runs through one queue (a promise chain): it reads the root current when its turn
 * comes, builds the new nodes up to a new root, records the new root in the datastore, and only
 * then publishes it. So concurrent writers never lose each other's updates (each starts from the
 * last one's root), a failed or aborted change publishes nothing, and a change made of several
 * edits (rename: remove here, add there) is atomic: one root update. Reads do not queue: they
 * resolve from the root published when they start; blocks are immutable, so that root stays
 * readable however many changes follow.
 *
 * Pinning. Helia's pins walk the whole DAG and write one datastore record per block, so the root
 * is not pinned here, in the change: root-pin.ts pins it once the queue is idle (one pin for a
 * burst of changes) and unpins the root before, so `helia.gc()` keeps the tree.
 */
import type { Datastore } from 'interface-datastore'
import { Key } from 'interface-datastore'
import type { Mtime } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { nowNs } from '../../vfs/backend.ts'
import { checkSignal, errno } from './errors.ts'
import { makeDir, setEntry, type EditContext } from './dir-edit.ts'
import { DEFAULT_DIR_MODE, toMtime } from './import-settings.ts'
import { findLink, loadNode, type ReadOptions, resolvePath, type TreeNode, walkNames } from './nodes.ts'

/** A path split into components; '/' is []. Paths arrive normalised (backend contract). */
export function splitPath(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/')
}

/** What a change computes from the current root: the new root (or the same to change nothing) and a result. */
export type Change<T> = (root: TreeNode) => Promise<{ root: TreeNode; result: T }>

/**
 * Where a tree's root is kept. The Helia engine records it under a datastore key; the Kubo engine
 * links it into the daemon's MFS (kubo/mfs-root.ts), which others may change too.
 */
export interface RootRecord {
  /** Records `root` in place of `previous`; returns the root to publish (normally `root`). */
  save(root: TreeNode, previous: TreeNode, opts: ReadOptions): Promise<TreeNode>
  /** The root as the store has it now: a change starts from it. Absent: the published root is current. */
  current?(opts: ReadOptions): Promise<TreeNode>
  /** The root to check a path on outside the queue (put's early parent check). Absent: the published root. */
  latest?(opts: ReadOptions): Promise<TreeNode>
}

function datastoreRecord(datastore: Pick<Datastore, 'put'>, key: Key): RootRecord {
  return {
    save: async (root) => {
      await datastore.put(key, root.cid.bytes)
      return root
    },
  }
}

export class UnixfsTree {
  readonly #ctx: EditContext
  readonly #record: RootRecord
  #root: TreeNode
  #tail: Promise<unknown> = Promise.resolve()

  constructor(ctx: EditContext, record: RootRecord, root: TreeNode) {
    this.#ctx = ctx
    this.#record = record
    this.#root = root
  }

  /** Opens the tree recorded under `key`, or records a new empty directory there. */
  static async open(ctx: EditContext, datastore: Pick<Datastore, 'get' | 'put' | 'has'>, key: string): Promise<UnixfsTree> {
    const k = new Key(key)
    if (await datastore.has(k)) {
      const cid = CID.decode(await datastore.get(k))
      return new UnixfsTree(ctx, datastoreRecord(datastore, k), await loadNode(ctx, cid))
    }
    const mtime = ctx.settings.preserveMtime ? toMtime(nowNs()) : undefined
    const root = await makeDir(ctx, { mode: DEFAULT_DIR_MODE, mtime })
    await datastore.put(k, root.cid.bytes)
    return new UnixfsTree(ctx, datastoreRecord(datastore, k), root)
  }

  /** The root to check a path on outside the queue. */
  async latest(opts: ReadOptions = {}): Promise<TreeNode> {
    return (await this.#record.latest?.(opts)) ?? this.#root
  }

  get ctx(): EditContext {
    return this.#ctx
  }

  /** The published root. */
  get root(): TreeNode {
    return this.#root
  }

  /** The time a change stamps on the directories whose entries it changes (none without preserveMtime). */
  touch(): Mtime | undefined {
    return this.#ctx.settings.preserveMtime ? toMtime(nowNs()) : undefined
  }

  /** The nodes from `from` down `parts`: [from, ..., target]. ENOENT for a missing name, ENOTDIR for a non-directory on the way. */
  walk(from: TreeNode, parts: string[], opts: ReadOptions = {}): Promise<TreeNode[]> {
    return walkNames(this.#ctx, from, parts, opts)
  }

  /** The node at `parts` under `from` (the published root by default). */
  resolve(parts: string[], opts: ReadOptions = {}, from: TreeNode = this.#root): Promise<TreeNode> {
    return resolvePath(this.#ctx, from, parts, opts)
  }

  /**
   * Replaces the directory at `dirParts` under `root` by `edit(dir)` and carries the new CIDs up
   * to a new root; the directories above keep their metadata (their entries did not change).
   */
  async editDir(root: TreeNode, dirParts: string[], edit: (dir: TreeNode) => Promise<TreeNode>, opts: ReadOptions = {}): Promise<TreeNode> {
    const chain = await this.walk(root, dirParts, opts)
    let child = await edit(this.#requireDir(chain[chain.length - 1]))
    for (let i = chain.length - 2; i >= 0; i--) {
      child = await setEntry(this.#ctx, chain[i] as TreeNode, dirParts[i] as string, child, undefined, opts)
    }
    return child
  }

  /** Replaces the node at `parts` (any kind; the root itself when parts is []) by `edit(node)`. */
  async editNode(root: TreeNode, parts: string[], edit: (node: TreeNode) => Promise<TreeNode>, opts: ReadOptions = {}): Promise<TreeNode> {
    if (parts.length === 0) return edit(root)
    const name = parts[parts.length - 1] as string
    return this.editDir(root, parts.slice(0, -1), async (dir) => {
      const link = await findLink(this.#ctx, dir, name, opts)
      if (link === undefined) throw errno('ENOENT')
      return setEntry(this.#ctx, dir, name, await edit(await loadNode(this.#ctx, link.Hash, opts, link)), undefined, opts)
    }, opts)
  }

  /**
   * Runs `change` in turn, on the root current when its turn comes. The new root is recorded
   * before it is published: a crash leaves either the old tree or the new one, whose blocks were
   * all written first.
   */
  change<T>(opts: ReadOptions, change: Change<T>): Promise<T> {
    const run = async (): Promise<T> => {
      checkSignal(opts)
      const current = (await this.#record.current?.(opts)) ?? this.#root
      this.#root = current
      const { root, result } = await change(current)
      if (!root.cid.equals(current.cid)) {
        checkSignal(opts)
        this.#root = await this.#record.save(root, current, opts)
      }
      return result
    }
    const result = this.#tail.then(run)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every change queued so far has finished. */
  async drain(): Promise<void> {
    await this.#tail
  }

  #requireDir(node: TreeNode | undefined): TreeNode {
    if (node?.kind !== 'dir') throw errno('ENOTDIR')
    return node
  }
}
