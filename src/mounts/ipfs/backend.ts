/**
 * /ipfs on embedded Helia: the backend contract over a mutable UnixFS tree (tree.ts) plus any CID
 * read-only under /.cid (cid-paths.ts).
 *
 * What works and what it answers:
 * - whole-object writes: the VFS stages a file and calls `put` on close; the file is imported
 *   (import-settings.ts) and linked in; the new root CID is recorded before `put` returns, and
 *   pinned once the change queue is idle (root-pin.ts). A new or truncated file written in order
 *   is imported while it is written instead (`createUpload`, leaf-stream.ts): its commit on close
 *   only lays out the file node and links it.
 * - rename is atomic (one root update); mkdir/rmdir/unlink/symlink/readlink as POSIX.
 * - chmod and mtime persist as UnixFS metadata. UnixFS has no atime: utimens stores the mtime and
 *   does not keep an atime (stat reports atime = ctime = mtime); no owner either (chown is not
 *   offered, every entry belongs to the mount's owner); no hard links.
 * - reads, listings and the one read-only xattr `user.ipfs.cid`: read-side.ts, shared with the
 *   Kubo engine (kubo/backend.ts).
 * - chmod on a symlink is ENOTSUP (Linux has no lchmod; the kernel follows links before chmod).
 */
import { unixfs as heliaUnixfs } from '@helia/unixfs'
import type { Helia } from 'helia'
import type { CID } from 'multiformats/cid'
import { z } from 'zod'
import type { Backend } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import type { EditContext } from './dir-edit.ts'
import { boundary, errno } from './errors.ts'
import { KUBO_UNIXFS_V1_2025 } from './import-settings.ts'
import { cachedBlocks, Lru } from './cache.ts'
import type { Owner, TreeNode } from './nodes.ts'
import { LeafStream } from './leaf-stream.ts'
import { CID_XATTR, readSide } from './read-side.ts'
import { RootPinner } from './root-pin.ts'
import { openFileReader } from './reader.ts'
import { UnixfsTree } from './tree.ts'
import { changeRunner, storeFile, treeWrites } from './tree-writes.ts'
import { unixfsCapabilities } from './capabilities.ts'

export { CID_XATTR }

export const IpfsBackendInitSchema = z.strictObject({
  /** Datastore key holding the tree's root CID. Default '/ipfs-vfs/root'. */
  rootKey: z.string().startsWith('/').default('/ipfs-vfs/root'),
  /** Store mtimes in UnixFS metadata (see import-settings.ts for the CID rule). Default true. */
  preserveMtime: z.boolean().default(true),
  /** Reads never use the network: a missing block fails at once. Default true. */
  offline: z.boolean().default(true),
  /** Owner reported for every entry (UnixFS has none). Default: the daemon's. */
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
  /** How many children a listing loads at once to stat them. Default 16. */
  listConcurrency: z.number().int().positive().default(16),
  /**
   * Memory for the DAG's structure (cache.ts): this many bytes of dag-pb blocks, and as many of
   * decoded nodes (which take about twice their block in memory). Default 16 MiB.
   */
  cacheBytes: z.number().int().nonnegative().default(16 * 1024 * 1024),
})

export type IpfsBackendInit = z.input<typeof IpfsBackendInitSchema>

export interface IpfsBackendComponents {
  /** `pins` keeps the tree's root pinned (root-pin.ts), so `helia.gc()` never takes the tree. */
  helia: Pick<Helia, 'blockstore' | 'datastore' | 'pins'>
}

export interface IpfsBackend extends Backend {
  /** The tree's current root CID (what `user.ipfs.cid` on '/' answers). */
  rootCid(): CID
}

export async function createIpfsBackend(components: IpfsBackendComponents, init: IpfsBackendInit = {}): Promise<IpfsBackend> {
  const options = Object.freeze(IpfsBackendInitSchema.parse(init))
  const { datastore } = components.helia
  const blockstore = cachedBlocks(components.helia.blockstore, options.cacheBytes)
  const nodes = new Lru<TreeNode>(options.cacheBytes, (n) => n.blockSize)
  const fs = heliaUnixfs({ blockstore })
  const settings = Object.freeze({ ...KUBO_UNIXFS_V1_2025, preserveMtime: options.preserveMtime })
  const ctx: EditContext = { blockstore, fs, settings, offline: options.offline, nodes }
  let tree: UnixfsTree
  try {
    tree = await UnixfsTree.open(ctx, datastore, options.rootKey)
  } catch (err) {
    // A recorded root whose block is gone is a damaged repository, not a missing file.
    throw new VfsError('EIO', 'open', '/', { cause: err, message: `EIO: cannot open the /ipfs tree recorded under ${options.rootKey}: ${(err as Error).message}` })
  }
  const owner: Owner = { uid: options.uid ?? process.getuid?.() ?? 0, gid: options.gid ?? process.getgid?.() ?? 0 }
  const pinner = await RootPinner.open(components.helia.pins, ctx, options.rootKey, () => tree.root.cid, () => tree.drain())
  return buildBackend(tree, fs, owner, options.listConcurrency, pinner)
}


function buildBackend(tree: UnixfsTree, fs: ReturnType<typeof heliaUnixfs>, owner: Owner, listConcurrency: number, pinner: RootPinner): IpfsBackend {
  const ctx = tree.ctx
  let closed = false
  const check = (): void => {
    if (closed) throw errno('EIO', 'the /ipfs backend is closed')
  }
  const reads = readSide({ ctx, owner, listConcurrency, check, root: async () => tree.root, openFile: async (node, path) => openFileReader(ctx, node, path) })

  /** Each change's root is pinned once the queue is idle. */
  const changing = changeRunner(check, () => pinner.changed())

  const backend: IpfsBackend = {
    ...reads,
    capabilities: unixfsCapabilities(ctx.settings.preserveMtime),
    rootCid: () => tree.root.cid,

    ...treeWrites({ tree, importer: fs, changing, nodeAt: reads.nodeAt }),

    /** A file written in order from 0 is imported as it is written: leaf-stream.ts. */
    createUpload: () => {
      check()
      const leaves = new LeafStream(ctx, fs)
      return {
        get size() {
          return leaves.size
        },
        append: (bytes) => leaves.append(bytes),
        read: (buffer, position, opts) => boundary('read', '/', opts, () => leaves.read(buffer, position, opts)),
        commit: (path, meta, opts) => storeFile(tree, changing, path, meta, (mtime) => leaves.fileCid(meta.size, { mode: meta.mode & 0o7777, mtime }, opts), opts),
        abort: () => leaves.abort(),
      }
    },

    /** status: the tree's root node loads from the blockstore (a closed or broken repository fails here). */
    health: (opts) =>
      boundary('health', '/', opts, async () => {
        check()
        await reads.stat('/', opts)
      }),

    /** Waits for queued changes to land and pins the final root; the engine (Helia and its stores) is closed by its owner. */
    close: async () => {
      closed = true
      await tree.drain()
      await pinner.flush()
    },
  }
  return backend
}
