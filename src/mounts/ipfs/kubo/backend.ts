/**
 * /ipfs on a Kubo daemon (engine `kubo`): the backend contract over a folder of the daemon's MFS,
 * through its RPC API with kubo-rpc-client. The same behaviour as the Helia engine, by sharing its
 * code wherever the two do the same thing:
 * - reads (stat, list, readlink, `user.ipfs.cid`, /.cid/<cid>) walk the same UnixFS nodes with the
 *   same code (read-side.ts), their blocks fetched with `block/get` (directory and file-root
 *   blocks cached); only the MFS root's CID is asked of MFS (`files/stat`). MFS's own `stat` and
 *   `ls` are not used: they do not report symlinks as symlinks, and not every daemon returns mode
 *   and mtime.
 * - file data: `cat` of the file's CID by range (kubo/reader.ts);
 * - writes: files are imported with our importer and streamed to `dag/import` (rpc.ts), new
 *   directories, symlinks and metadata changes are nodes built by dir-edit.ts (`block/put`), all
 *   linked into MFS with `files/cp`; removal and rename are `files/rm` and `files/mv`
 *   (kubo/mfs-tree.ts). So a file, a directory made by mkdir, a symlink, and mode and mtime have the
 *   CIDs the Helia engine gives them. Directories differ where MFS rewrites them: their CID version
 *   and mtime are MFS's business (js-ipfs and Kubo keep the folder's mtime as it was when an entry
 *   is added or removed; the Helia engine moves it).
 * - capabilities: those of the Helia engine (chmod, mtime without atime, symlinks, no hard links,
 *   one read-only xattr). Changing the mode or mtime of the mount's root when it is the MFS root
 *   needs the daemon's `files/chmod`/`files/touch` (Kubo); js-ipfs has neither for '/': EPERM.
 * - garbage collection: MFS is a GC root in Kubo (and js-ipfs): `ipfs repo gc` never removes what
 *   the files root reaches, so the tree needs no pin.
 */
import { z } from 'zod'
import type { CallOptions, Capabilities } from '../../../vfs/backend.ts'
import { writable } from '../cid-paths.ts'
import { cachedBlocks, Lru } from '../cache.ts'
import { boundary, errno } from '../errors.ts'
import { KUBO_UNIXFS_V1_2025, toMtime } from '../import-settings.ts'
import type { IpfsBackend } from '../backend.ts'
import type { DagContext, Owner, TreeNode } from '../nodes.ts'
import { readSide } from '../read-side.ts'
import { openKuboReader } from './reader.ts'
import { changeMeta, checkParent, linkFile, MfsTree, mkdir, remove, rename, symlink } from './mfs-tree.ts'
import { importViaCar, type KuboConnection, rpcBlocks } from './rpc.ts'

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

function capabilities(preserveMtime: boolean): Capabilities {
  return Object.freeze({
    writes: 'wholeObject',
    readOnly: false,
    rename: 'atomic',
    symlinks: true,
    hardLinks: false,
    chmod: true,
    chown: false,
    utimens: preserveMtime,
    atime: false,
    xattrs: true,
    xattrsWritable: false,
  })
}

export async function createKuboBackend(components: { kubo: KuboConnection }, init: KuboBackendInit = {}): Promise<IpfsBackend> {
  const options = Object.freeze(KuboBackendInitSchema.parse(init))
  const conn = components.kubo
  const ctx: DagContext = {
    blockstore: cachedBlocks(rpcBlocks(conn), options.cacheBytes),
    settings: Object.freeze({ ...KUBO_UNIXFS_V1_2025, preserveMtime: options.preserveMtime }),
    offline: false,
    nodes: new Lru<TreeNode>(options.cacheBytes, (n) => n.blockSize),
  }
  const tree = await MfsTree.open(ctx, conn, options.mfsRoot, options.rootTtlMs)
  const owner: Owner = { uid: options.uid ?? process.getuid?.() ?? 0, gid: options.gid ?? process.getgid?.() ?? 0 }
  let closed = false
  let rootCid = (await tree.root({})).cid
  const check = (): void => {
    if (closed) throw errno('EIO', 'the /ipfs backend is closed')
  }
  const reads = readSide({
    ctx,
    owner,
    listConcurrency: options.listConcurrency,
    check,
    root: async (opts) => {
      const root = await tree.root(opts ?? {})
      rootCid = root.cid
      return root
    },
    openFile: async (node, path) => openKuboReader(conn, ctx, node, path),
  })

  function changing(op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<void>): Promise<void> {
    return boundary(op, path, opts, async () => {
      check()
      writable(path)
      await fn()
      rootCid = (await tree.root({})).cid
    })
  }

  return {
    ...reads,
    capabilities: capabilities(options.preserveMtime),
    /** The root CID last seen (`user.ipfs.cid` on '/' asks MFS). */
    rootCid: () => rootCid,

    mkdir: (path, mode, opts) => changing('mkdir', path, opts, () => mkdir(tree, path, mode, opts ?? {})),
    rmdir: (path, opts) => changing('rmdir', path, opts, () => remove(tree, path, true, opts ?? {})),
    unlink: (path, opts) => changing('unlink', path, opts, () => remove(tree, path, false, opts ?? {})),
    rename: (from, to, opts) =>
      changing('rename', from, opts, async () => {
        writable(to)
        await rename(tree, from, to, opts ?? {})
      }),
    symlink: (target, path, opts) => changing('symlink', path, opts, () => symlink(tree, target, path, opts ?? {})),

    chmod: (path, mode, opts) =>
      changing('chmod', path, opts, () =>
        changeMeta(tree, path, (node) => {
          if (node.kind === 'symlink') throw errno('ENOTSUP')
          return { mode: mode & 0o7777 }
        }, opts ?? {}),
      ),

    ...(options.preserveMtime
      ? {
          utimens: (path: string, times: { atimeNs?: bigint; mtimeNs?: bigint }, opts?: CallOptions) =>
            changing('utimens', path, opts, async () => {
              const mtimeNs = times.mtimeNs
              if (mtimeNs === undefined) await reads.nodeAt(path, opts)
              else await changeMeta(tree, path, () => ({ mtime: toMtime(mtimeNs) }), opts ?? {})
            }),
        }
      : {}),

    put: (path, source, opts) =>
      changing('put', path, opts, async () => {
        if (path === '/') throw errno('EISDIR')
        await checkParent(tree, path, opts ?? {})
        const mtime = ctx.settings.preserveMtime ? toMtime(source.mtimeNs) : undefined
        const { cid } = await importViaCar(conn, ctx.settings, path, source, mtime, opts ?? {})
        await linkFile(tree, path, cid, opts ?? {})
      }),

    /** Waits for queued changes to land; the RPC client holds no connection to close. */
    close: async () => {
      closed = true
      await tree.drain()
    },
  }
}
