/**
 * The read side of /ipfs, shared by both engines: stat, list, readlink, the `user.ipfs.cid`
 * attribute and opening a reader, over a UnixFS DAG whose blocks come from wherever the engine
 * keeps them (Helia's blockstore, or the Kubo daemon's through its RPC). Both engines answer these
 * from the same nodes with the same code, so a tree reads the same through either.
 *
 * - xattrs: exactly one, `user.ipfs.cid`, read-only, on every entry (the root's is the tree's root
 *   CID); setxattr/removexattr answer ENOTSUP (the store has nowhere to keep one), which cp -a and
 *   rsync -X treat as "not supported here" rather than as a failure.
 * - Listings carry stats: a link does not tell a file from a directory, so each child's root
 *   block is read anyway (a raw leaf's link says enough). A file of one chunk stored with
 *   metadata holds its data in that block, so listing such files reads them (up to 1 MiB each).
 */
import type { Backend, CallOptions, DirEntry, Reader, Stat } from '../../vfs/backend.ts'
import { cidRootStat, CID_DIR, locate, readOnlyStat, writable } from './cid-paths.ts'
import { boundary, errno } from './errors.ts'
import { type DagContext, listLinks, loadNode, type Owner, resolvePath, toStat, type TreeNode } from './nodes.ts'

export const CID_XATTR = 'user.ipfs.cid'

export interface ReadSideInit {
  ctx: DagContext
  owner: Owner
  /** How many children a listing loads at once to stat them. */
  listConcurrency: number
  /** The mutable tree's root as it is now. */
  root(opts: CallOptions | undefined): Promise<TreeNode>
  /** Throws (EIO) once the backend is closed. */
  check(): void
  /** A ranged reader of a file node. */
  openFile(node: TreeNode, path: string): Promise<Reader>
}

export type ReadSide = Required<Pick<Backend, 'stat' | 'list' | 'readlink' | 'getxattr' | 'listxattr' | 'setxattr' | 'removexattr' | 'openReader' | 'readOnlyAt'>> & {
  /** The node at any readable path; undefined for /.cid itself. */
  nodeAt(path: string, opts: CallOptions | undefined): Promise<TreeNode | undefined>
}

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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

export function readSide(init: ReadSideInit): ReadSide {
  const { ctx, owner } = init

  async function nodeAt(path: string, opts: CallOptions | undefined): Promise<TreeNode | undefined> {
    init.check()
    const where = locate(path)
    if (where.kind === 'tree') return resolvePath(ctx, await init.root(opts), where.parts, opts)
    if (where.kind === 'cid-root') return undefined
    if (where.cid === undefined) throw errno('ENOENT')
    return resolvePath(ctx, await loadNode(ctx, where.cid, opts), where.parts, opts)
  }

  function statOf(path: string, node: TreeNode): Stat {
    const stat = toStat(node, owner)
    return locate(path).kind === 'tree' ? stat : readOnlyStat(stat)
  }

  /** An xattr change: EROFS under /.cid, ENOENT for a missing entry, else ENOTSUP. */
  const noXattrChange = (op: string, path: string, opts: CallOptions | undefined): Promise<never> =>
    boundary(op, path, opts, async () => {
      init.check()
      writable(path)
      await nodeAt(path, opts)
      throw errno('ENOTSUP')
    })

  return {
    nodeAt,
    stat: (path, opts) =>
      boundary('stat', path, opts, async () => {
        const node = await nodeAt(path, opts)
        return node === undefined ? cidRootStat(owner) : statOf(path, node)
      }),

    list: (path, opts) =>
      boundary('readdir', path, opts, async () => {
        const dir = await nodeAt(path, opts)
        if (dir === undefined) return []
        if (dir.kind !== 'dir') throw errno('ENOTDIR')
        const links = []
        for await (const link of listLinks(ctx, dir, opts)) if (!(path === '/' && link.Name === CID_DIR)) links.push(link)
        return mapLimit(links, init.listConcurrency, async (link): Promise<DirEntry> => {
          const node = await loadNode(ctx, link.Hash, opts, link)
          return { name: link.Name ?? '', type: node.kind, stat: statOf(path, node) }
        })
      }),

    readlink: (path, opts) =>
      boundary('readlink', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node?.kind !== 'symlink') throw errno('EINVAL')
        return new TextDecoder().decode(node.unixfs?.data ?? new Uint8Array(0))
      }),

    getxattr: (path, name, opts) =>
      boundary('getxattr', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node === undefined || name !== CID_XATTR) throw errno('ENODATA')
        return Buffer.from(node.cid.toString())
      }),

    listxattr: (path, opts) => boundary('listxattr', path, opts, async () => ((await nodeAt(path, opts)) === undefined ? [] : [CID_XATTR])),
    setxattr: (path, _name, _value, _flags, opts) => noXattrChange('setxattr', path, opts),
    removexattr: (path, _name, opts) => noXattrChange('removexattr', path, opts),

    openReader: (path, opts) =>
      boundary('open', path, opts, async () => {
        const node = await nodeAt(path, opts)
        if (node === undefined || node.kind === 'dir') throw errno('EISDIR')
        if (node.kind === 'symlink') throw errno('ELOOP')
        return init.openFile(node, path)
      }),

    readOnlyAt: (path) => locate(path).kind !== 'tree',
  }
}
