/**
 * /ipfs on embedded Helia: the backend contract over a mutable UnixFS tree (tree.ts) plus any CID
 * read-only under /.cid (cid-paths.ts).
 *
 * What works and what it answers:
 * - whole-object writes: the VFS stages a file and calls `put` on close; the file is imported
 *   (import-settings.ts) and linked in; the new root CID is recorded before `put` returns.
 * - rename is atomic (one root update); mkdir/rmdir/unlink/symlink/readlink as POSIX.
 * - chmod and mtime persist as UnixFS metadata. UnixFS has no atime: utimens stores the mtime and
 *   does not keep an atime (stat reports atime = ctime = mtime); no owner either (chown is not
 *   offered, every entry belongs to the mount's owner); no hard links.
 * - xattrs: exactly one, `user.ipfs.cid`, read-only, on every entry (the root's is the tree's root
 *   CID); setxattr/removexattr answer ENOTSUP (the store has nowhere to keep one), which cp -a and
 *   rsync -X treat as "not supported here" rather than as a failure.
 * - chmod on a symlink is ENOTSUP (Linux has no lchmod; the kernel follows links before chmod).
 */
import { unixfs as heliaUnixfs } from '@helia/unixfs'
import type { Helia } from 'helia'
import type { CID } from 'multiformats/cid'
import { z } from 'zod'
import type { Backend, CallOptions, Capabilities, DirEntry, Stat } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import { cidRootStat, CID_DIR, locate, readOnlyStat, writable } from './cid-paths.ts'
import type { EditContext } from './dir-edit.ts'
import { boundary, errno } from './errors.ts'
import { KUBO_UNIXFS_V1_2025, toMtime } from './import-settings.ts'
import { cachedBlocks, Lru } from './cache.ts'
import { listLinks, loadNode, type Owner, toStat, type TreeNode } from './nodes.ts'
import { changeMeta, mkdir, putFile, remove, rename, symlink } from './ops.ts'
import { openFileReader } from './reader.ts'
import { UnixfsTree } from './tree.ts'

export const CID_XATTR = 'user.ipfs.cid'

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
  helia: Pick<Helia, 'blockstore' | 'datastore'>
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
  return buildBackend(tree, fs, owner, options.listConcurrency)
}

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

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

function buildBackend(tree: UnixfsTree, fs: ReturnType<typeof heliaUnixfs>, owner: Owner, listConcurrency: number): IpfsBackend {
  const ctx = tree.ctx
  let closed = false

  /** The node at any readable path; undefined for /.cid itself. */
  async function nodeAt(path: string, opts: CallOptions | undefined): Promise<TreeNode | undefined> {
    if (closed) throw errno('EIO', 'the /ipfs backend is closed')
    const where = locate(path)
    if (where.kind === 'tree') return tree.resolve(where.parts, opts)
    if (where.kind === 'cid-root') return undefined
    if (where.cid === undefined) throw errno('ENOENT')
    return tree.resolve(where.parts, opts, await loadNode(ctx, where.cid, opts))
  }

  function statOf(path: string, node: TreeNode): Stat {
    const stat = toStat(node, owner)
    return locate(path).kind === 'tree' ? stat : readOnlyStat(stat)
  }

  /** A change to the tree: EROFS under /.cid, then the op itself. */
  function changing(op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<void>): Promise<void> {
    return boundary(op, path, opts, async () => {
      if (closed) throw errno('EIO', 'the /ipfs backend is closed')
      writable(path)
      await fn()
    })
  }

  const backend: IpfsBackend = {
    capabilities: capabilities(ctx.settings.preserveMtime),
    rootCid: () => tree.root.cid,

    stat: (path, opts) =>
      boundary('stat', path, opts, async () => {
        const node = await nodeAt(path, opts)
        return node === undefined ? cidRootStat(owner) : statOf(path, node)
      }),

    /**
     * Listings carry stats: a link does not tell a file from a directory, so each child's root
     * block is read anyway (a raw leaf's link says enough). A file of one chunk stored with
     * metadata holds its data in that block, so listing such files reads them (up to 1 MiB each).
     */
    list: (path, opts) =>
      boundary('readdir', path, opts, async () => {
        const dir = await nodeAt(path, opts)
        if (dir === undefined) return []
        if (dir.kind !== 'dir') throw errno('ENOTDIR')
        const links = []
        for await (const link of listLinks(ctx, dir, opts)) if (!(path === '/' && link.Name === CID_DIR)) links.push(link)
        return mapLimit(links, listConcurrency, async (link): Promise<DirEntry> => {
          const node = await loadNode(ctx, link.Hash, opts, link)
          return { name: link.Name ?? '', type: node.kind, stat: statOf(path, node) }
        })
      }),

    mkdir: (path, mode, opts) => changing('mkdir', path, opts, () => mkdir(tree, path, mode, opts ?? {})),
    rmdir: (path, opts) => changing('rmdir', path, opts, () => remove(tree, path, true, opts ?? {})),
    unlink: (path, opts) => changing('unlink', path, opts, () => remove(tree, path, false, opts ?? {})),

    rename: (from, to, opts) =>
      changing('rename', from, opts, async () => {
        writable(to)
        await rename(tree, from, to, opts ?? {})
      }),

    symlink: (target, path, opts) => changing('symlink', path, opts, () => symlink(tree, target, path, opts ?? {})),

    readlink: (path, opts) =>
      boundary('readlink', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node?.kind !== 'symlink') throw errno('EINVAL')
        return new TextDecoder().decode(node.unixfs?.data ?? new Uint8Array(0))
      }),

    chmod: (path, mode, opts) =>
      changing('chmod', path, opts, () =>
        changeMeta(tree, path, (node) => {
          if (node.kind === 'symlink') throw errno('ENOTSUP')
          return { mode: mode & 0o7777 }
        }, opts ?? {}),
      ),

    /** mtime to the nanosecond; UnixFS has no atime, so an atime alone changes nothing (after checking the path). */
    ...(ctx.settings.preserveMtime
      ? {
          utimens: (path: string, times: { atimeNs?: bigint; mtimeNs?: bigint }, opts?: CallOptions) =>
            changing('utimens', path, opts, async () => {
              const mtimeNs = times.mtimeNs
              if (mtimeNs === undefined) await tree.resolve(writable(path), opts)
              else await changeMeta(tree, path, () => ({ mtime: toMtime(mtimeNs) }), opts ?? {})
            }),
        }
      : {}),

    getxattr: (path, name, opts) =>
      boundary('getxattr', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node === undefined || name !== CID_XATTR) throw errno('ENODATA')
        return Buffer.from(node.cid.toString())
      }),

    listxattr: (path, opts) => boundary('listxattr', path, opts, async () => ((await nodeAt(path, opts)) === undefined ? [] : [CID_XATTR])),

    setxattr: (path, _name, _value, _flags, opts) =>
      changing('setxattr', path, opts, async () => {
        await tree.resolve(writable(path), opts)
        throw errno('ENOTSUP')
      }),

    removexattr: (path, _name, opts) =>
      changing('removexattr', path, opts, async () => {
        await tree.resolve(writable(path), opts)
        throw errno('ENOTSUP')
      }),

    openReader: (path, opts) =>
      boundary('open', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node === undefined || node.kind === 'dir') throw errno('EISDIR')
        if (node.kind === 'symlink') throw errno('ELOOP')
        return openFileReader(ctx, node, path)
      }),

    put: (path, source, opts) =>
      changing('put', path, opts, async () => {
        if (path === '/') throw errno('EISDIR')
        await putFile(tree, fs, path, source, opts ?? {})
      }),

    /** Waits for queued changes to land; the engine (Helia and its stores) is closed by its owner. */
    readOnlyAt: (path) => locate(path).kind !== 'tree',

    close: async () => {
      closed = true
      await tree.drain()
    },
  }
  return backend
}
