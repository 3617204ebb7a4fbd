/**
 * /ipfs on a Kubo daemon (engine `kubo`): the backend contract over a folder of the daemon's MFS,
 * through its RPC API with kubo-rpc-client. It is the Helia engine's code over the daemon's blocks,
 * so it behaves the same by construction:
 * - reads (stat, list, readlink, `user.ipfs.cid`, /.cid/<cid>) walk the UnixFS nodes with the
 *   shared read side (read-side.ts), their blocks fetched with `block/get` (directory and file
 *   root blocks cached); the root is what MFS reports (`files/stat`). MFS's own `stat` and `ls` are
 *   not used: they do not report symlinks as symlinks, and not every daemon returns mode and mtime.
 * - file data: `cat` of the file's CID by range (kubo/reader.ts).
 * - changes: computed by ops.ts and dir-edit.ts as in the Helia engine (the same nodes, CIDs,
 *   folder mtimes, HAMT rules), new blocks written with `block/put`, files imported by our importer
 *   and streamed to `dag/import` (rpc.ts), then linked into MFS with `files/rm` + `files/cp`
 *   (kubo/mfs-root.ts, which also says why MFS's own `mv` and `mkdir` are not used).
 * - capabilities: those of the Helia engine (chmod, mtime without atime, symlinks, no hard links,
 *   one read-only xattr). The mode and mtime of the mount's root when it is the MFS root itself
 *   need the daemon's `files/chmod`/`files/touch` (Kubo); js-ipfs has neither for '/': EPERM.
 * - garbage collection: MFS is a GC root in Kubo (and js-ipfs): `ipfs repo gc` never removes what
 *   the files root reaches, so the tree needs no pin.
 */
import { unixfs as heliaUnixfs } from '@helia/unixfs'
import { z } from 'zod'
import type { CallOptions } from '../../../vfs/backend.ts'
import { cachedBlocks, Lru } from '../cache.ts'
import type { EditContext, MetaChange } from '../dir-edit.ts'
import { errno } from '../errors.ts'
import { KUBO_UNIXFS_V1_2025 } from '../import-settings.ts'
import type { IpfsBackend } from '../backend.ts'
import type { Owner, TreeNode } from '../nodes.ts'
import { changeMeta } from '../ops.ts'
import { readSide } from '../read-side.ts'
import { UnixfsTree } from '../tree.ts'
import { changeRunner, treeWrites } from '../tree-writes.ts'
import { MfsRoot } from './mfs-root.ts'
import { openKuboReader } from './reader.ts'
import { carImporter, type KuboConnection, rpcBlocks } from './rpc.ts'
import { unixfsCapabilities } from '../capabilities.ts'

export const KuboBackendInitSchema = z.strictObject({
  /** The MFS folder shown at the mount point. Default '/': the daemon's whole MFS. */
  mfsRoot: z
    .string()
    .regex(/^\/([^/]+(\/[^/]+)*)?$/, 'an absolute MFS path without a trailing slash')
    .default('/'),
  /** Store mtimes in UnixFS metadata, as the Helia engine does. Default true. */
  preserveMtime: z.boolean().default(true),
  /** Owner reported for every entry (UnixFS has none). Default: the daemon's. */
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
  /** How many children a listing loads at once to stat them. Default 16. */
  listConcurrency: z.number().int().positive().default(16),
  /** Memory for the DAG's structure (cache.ts). Default 16 MiB. */
  cacheBytes: z.number().int().nonnegative().default(16 * 1024 * 1024),
  /** How long the MFS root's CID is trusted before it is asked again (changes made beside the mount). Default 1000. */
  rootTtlMs: z.number().int().nonnegative().default(1000),
})

export type KuboBackendInit = z.input<typeof KuboBackendInitSchema>


export async function createKuboBackend(components: { kubo: KuboConnection }, init: KuboBackendInit = {}): Promise<IpfsBackend> {
  const options = Object.freeze(KuboBackendInitSchema.parse(init))
  const conn = components.kubo
  const blockstore = cachedBlocks(rpcBlocks(conn), options.cacheBytes)
  const ctx: EditContext = {
    blockstore,
    fs: heliaUnixfs({ blockstore }),
    settings: Object.freeze({ ...KUBO_UNIXFS_V1_2025, preserveMtime: options.preserveMtime }),
    offline: false,
    nodes: new Lru<TreeNode>(options.cacheBytes, (n) => n.blockSize),
  }
  const mfs = await MfsRoot.open(ctx, conn, options.mfsRoot, options.rootTtlMs)
  const tree = new UnixfsTree(ctx, mfs, await mfs.root({}))
  const importer = carImporter(conn)
  const owner: Owner = { uid: options.uid ?? process.getuid?.() ?? 0, gid: options.gid ?? process.getgid?.() ?? 0 }
  let closed = false
  let rootCid = tree.root.cid
  const check = (): void => {
    if (closed) throw errno('EIO', 'the /ipfs backend is closed')
  }
  const reads = readSide({
    ctx,
    owner,
    listConcurrency: options.listConcurrency,
    check,
    root: async (opts) => {
      const root = await mfs.root(opts ?? {})
      rootCid = root.cid
      return root
    },
    openFile: async (node, path) => openKuboReader(conn, ctx, node, path),
  })

  /** After each change, the root as MFS has it now. */
  const changing = changeRunner(check, async () => {
    rootCid = (await mfs.root({})).cid
  })

  /** chmod/utimens: of the MFS root itself through the daemon (mfs-root.ts), of anything else as the Helia engine does. */
  function meta(path: string, change: (node: TreeNode) => MetaChange, opts: CallOptions | undefined): Promise<void> {
    if (path !== '/' || options.mfsRoot !== '/') return changeMeta(tree, path, change, opts ?? {})
    return tree.change(opts ?? {}, async (root) => {
      const wanted = change(root)
      await mfs.rootMeta({ ...(wanted.mode === undefined ? {} : { mode: wanted.mode }), ...(wanted.mtime ? { mtime: wanted.mtime } : {}) })
      return { root, result: undefined }
    })
  }

  return {
    ...reads,
    capabilities: unixfsCapabilities(options.preserveMtime),
    /** The root CID last seen (`user.ipfs.cid` on '/' asks MFS). */
    rootCid: () => rootCid,

    ...treeWrites({ tree, importer, changing, nodeAt: reads.nodeAt, meta }),

    /** Waits for queued changes to land; the RPC client holds no connection to close. */
    close: async () => {
      closed = true
      await tree.drain()
    },
  }
}
