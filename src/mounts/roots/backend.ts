/**
 * A folder of named roots (store.ts) as a backend: /storacha (uploads) and /cluster (pins).
 *
 * The model. Each top-level entry is one root held by the store: a file (its UnixFS file node)
 * or a folder (one UnixFS directory, the whole tree under it). Files and folders are built in the
 * local blockstore with /ipfs's import settings and code (src/mounts/ipfs), so the same bytes,
 * mode and mtime give the same CID as on /ipfs. A change inside a top-level folder makes a new
 * root for that folder (the UnixFS path edit of /ipfs, on a one-root tree) and hands it to the
 * store, which adds it and drops the old one: one close inside a folder re-adds the folder.
 *
 * - whole-object writes (`put` on close), mkdir/rmdir/unlink/symlink/readlink; chmod and utimens
 *   (mtime only: UnixFS has no atime) change the node's metadata, so its CID and the root's.
 * - rename: a top-level entry is renamed in the store (its root does not change); within one
 *   folder it is one new root; between two roots it is link-there then remove-here: NOT atomic
 *   (declared `copy`).
 * - xattrs: `user.ipfs.cid` (the entry's own CID) and the store's (the top-level root's status).
 * - changes are serialised per top-level name (KeyedLock); reads are not.
 */
import { unixfs as heliaUnixfs } from '@helia/unixfs'
import type { Mtime } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import type { Backend, CallOptions, DirEntry, PutSource, Stat, TimeUpdate } from '../../vfs/backend.ts'
import { nowNs, S_IFDIR } from '../../vfs/backend.ts'
import { type BlockStore, cachedBlocks, Lru } from '../ipfs/cache.ts'
import { type EditContext, type MetaChange, makeDir, makeSymlink, setEntry, setMeta } from '../ipfs/dir-edit.ts'
import { unixfsCapabilities } from '../ipfs/capabilities.ts'
import { boundary, errno } from '../ipfs/errors.ts'
import { DEFAULT_DIR_MODE, KUBO_UNIXFS_V1_2025, toMtime } from '../ipfs/import-settings.ts'
import { findLink, isEmptyDir, listLinks, loadNode, type Owner, toStat, type TreeNode } from '../ipfs/nodes.ts'
import { changeMeta, mkdir, putFile, remove, rename as renameIn, symlink } from '../ipfs/ops.ts'
import { mapLimit } from '../ipfs/read-side.ts'
import { openFileReader } from '../ipfs/reader.ts'
import { splitPath, UnixfsTree } from '../ipfs/tree.ts'
import { modeChange, setTimes } from '../ipfs/tree-writes.ts'
import { KeyedLock, type RootEntry, type RootStore } from './store.ts'

export const CID_XATTR = 'user.ipfs.cid'

export interface RootsBackendInit {
  /** Store mtimes in the UnixFS nodes (as /ipfs does by default). Default true. */
  preserveMtime?: boolean
  /** Reads never go to the network beyond what the blockstore itself does. Default true. */
  offline?: boolean
  uid?: number
  gid?: number
  /** Bytes of DAG structure kept in memory. Default 8 MiB. */
  cacheBytes?: number
}

/** The backend, with the status probe (`Backend.health`, optional in the contract) always present. */
export interface RootsBackend extends Backend {
  /** Resolves when the store answers and is well (cluster: no pin in error); throws with the reason otherwise. */
  health(opts?: CallOptions): Promise<void>
}

export interface RootsBackendComponents {
  /** Where blocks are built and read (a storacha mount's falls back to its gateway). */
  blockstore: BlockStore
  store: RootStore
}

/** A tree over one root, for one change: its "datastore" is a variable. */
async function oneRootTree(ctx: EditContext, root: CID): Promise<UnixfsTree> {
  let bytes = root.bytes
  const ds = {
    has: async () => true,
    get: async () => bytes,
    put: async (_k: unknown, v: Uint8Array) => {
      bytes = v as typeof bytes
    },
  }
  return UnixfsTree.open(ctx, ds as never, '/root')
}

function parts(path: string): { top: string; rest: string[] } {
  const [top, ...rest] = splitPath(path)
  if (top === undefined) throw errno('EBUSY')
  return { top, rest }
}

const sub = (rest: string[]): string => `/${rest.join('/')}`

export function createRootsBackend(components: RootsBackendComponents, init: RootsBackendInit = {}): RootsBackend {
  const { store } = components
  const preserveMtime = init.preserveMtime ?? true
  const cacheBytes = init.cacheBytes ?? 8 * 1024 * 1024
  const blockstore = cachedBlocks(components.blockstore, cacheBytes)
  const fs = heliaUnixfs({ blockstore })
  const settings = Object.freeze({ ...KUBO_UNIXFS_V1_2025, preserveMtime })
  const ctx: EditContext = { blockstore, fs, settings, offline: init.offline ?? true, nodes: new Lru<TreeNode>(cacheBytes, (n) => n.blockSize) }
  const owner: Owner = { uid: init.uid ?? process.getuid?.() ?? 0, gid: init.gid ?? process.getgid?.() ?? 0 }
  const lock = new KeyedLock()
  const startedNs = nowNs()
  let closed = false

  const touch = (): Mtime | undefined => (preserveMtime ? toMtime(nowNs()) : undefined)
  const rootStat = (): Stat => ({ mode: S_IFDIR | 0o755, size: 0, uid: owner.uid, gid: owner.gid, nlink: 2, atimeNs: startedNs, mtimeNs: startedNs, ctimeNs: startedNs })

  async function entry(name: string, opts: CallOptions | undefined): Promise<RootEntry | undefined> {
    if (closed) throw errno('EIO', 'the backend is closed')
    return (await store.entries(opts)).get(name)
  }

  async function need(name: string, opts: CallOptions | undefined): Promise<RootEntry> {
    const e = await entry(name, opts)
    if (e === undefined) throw errno('ENOENT')
    return e
  }

  /** The node at a path below the root (ENOENT, ENOTDIR on the way). */
  async function resolve(path: string, opts: CallOptions | undefined): Promise<{ top: RootEntry; node: TreeNode }> {
    const { top, rest } = parts(path)
    const e = await need(top, opts)
    let node = await loadNode(ctx, e.cid, opts)
    for (const name of rest) {
      if (node.kind !== 'dir') throw errno('ENOTDIR')
      const link = await findLink(ctx, node, name, opts)
      if (link === undefined) throw errno('ENOENT')
      node = await loadNode(ctx, link.Hash, opts, link)
    }
    return { top: e, node }
  }

  /** A top-level entry's stat; one whose root cannot be read (not here, gateway down) shows as an empty file. */
  async function topStat(e: RootEntry, opts: CallOptions | undefined): Promise<{ type: DirEntry['type']; stat: Stat }> {
    try {
      const node = await loadNode(ctx, e.cid, opts)
      return { type: node.kind, stat: toStat(node, owner) }
    } catch {
      const t = e.addedNs ?? 0n
      return { type: 'file', stat: { mode: 0o100444, size: 0, uid: owner.uid, gid: owner.gid, nlink: 1, atimeNs: t, mtimeNs: t, ctimeNs: t } }
    }
  }

  /** Runs `change` on the tree of top-level folder `top` and hands its new root to the store. */
  function inFolder(top: string, opts: CallOptions | undefined, change: (tree: UnixfsTree) => Promise<void>): Promise<void> {
    return lock.run([top], async () => {
      const e = await need(top, opts)
      const node = await loadNode(ctx, e.cid, opts)
      if (node.kind !== 'dir') throw errno('ENOTDIR')
      const tree = await oneRootTree(ctx, e.cid)
      await change(tree)
      if (!tree.root.cid.equals(e.cid)) await store.set(top, tree.root.cid, e.cid, opts)
    })
  }

  /** A new top-level entry made by `make`; EEXIST when the name is taken. */
  function createTop(name: string, opts: CallOptions | undefined, make: () => Promise<TreeNode>): Promise<void> {
    return lock.run([name], async () => {
      if ((await entry(name, opts)) !== undefined) throw errno('EEXIST')
      await store.set(name, (await make()).cid, undefined, opts)
    })
  }

  function removeAt(path: string, dirs: boolean, opts: CallOptions | undefined): Promise<void> {
    const { top, rest } = parts(path)
    if (rest.length > 0) return inFolder(top, opts, (tree) => remove(tree, sub(rest), dirs, opts ?? {}))
    return lock.run([top], async () => {
      const e = await need(top, opts)
      const node = await loadNode(ctx, e.cid, opts).catch(() => undefined)
      const isDir = node?.kind === 'dir'
      if (!dirs && isDir) throw errno('EISDIR')
      if (dirs && !isDir) throw errno('ENOTDIR')
      if (dirs && node !== undefined && !isEmptyDir(node)) throw errno('ENOTEMPTY')
      await store.delete(top, e.cid, opts)
    })
  }

  function changeMetaAt(path: string, change: (node: TreeNode) => MetaChange, opts: CallOptions | undefined): Promise<void> {
    const { top, rest } = parts(path)
    if (rest.length > 0) return inFolder(top, opts, (tree) => changeMeta(tree, sub(rest), change, opts ?? {}))
    return lock.run([top], async () => {
      const e = await need(top, opts)
      const node = await loadNode(ctx, e.cid, opts)
      const changed = await setMeta(ctx, node, change(node), opts)
      if (!changed.cid.equals(e.cid)) await store.set(top, changed.cid, e.cid, opts)
    })
  }

  async function putAt(path: string, source: PutSource, opts: CallOptions | undefined): Promise<void> {
    const { top, rest } = parts(path)
    if (rest.length > 0) return inFolder(top, opts, (tree) => putFile(tree, fs, sub(rest), source, opts ?? {}))
    // A top-level file: imported into a scratch folder (the same importer and settings), then handed over.
    const scratch = await UnixfsTree.open(ctx, memoryRoot() as never, '/scratch')
    await putFile(scratch, fs, `/${top}`, source, opts ?? {})
    const link = await findLink(ctx, scratch.root, top, opts)
    if (link === undefined) throw errno('EIO', 'the imported file is not in its scratch folder')
    await lock.run([top], async () => {
      const e = await entry(top, opts)
      if (e !== undefined && (await loadNode(ctx, e.cid, opts).catch(() => undefined))?.kind === 'dir') throw errno('EISDIR')
      if (e === undefined || !e.cid.equals(link.Hash)) await store.set(top, link.Hash, e?.cid, opts)
    })
  }

  /** rename(2) between any two paths; see the module comment for what is atomic. */
  async function renameAny(from: string, to: string, opts: CallOptions | undefined): Promise<void> {
    const a = parts(from)
    const b = parts(to)
    if (a.top === b.top && a.rest.length > 0 && b.rest.length > 0) return inFolder(a.top, opts, (tree) => renameIn(tree, sub(a.rest), sub(b.rest), opts ?? {}))
    await lock.run([a.top, b.top], async () => {
      const { top: src, node } = await resolve(from, opts)
      if (from === to) return
      if (to.startsWith(`${from}/`)) throw errno('EINVAL')
      let dest: TreeNode | undefined
      try {
        dest = (await resolve(to, opts)).node
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err
        if (b.rest.length > 0) await resolve(sub([b.top, ...b.rest.slice(0, -1)]), opts).then(({ node: p }) => {
          if (p.kind !== 'dir') throw errno('ENOTDIR')
        })
      }
      if (dest !== undefined) {
        if (node.kind === 'dir' && dest.kind !== 'dir') throw errno('ENOTDIR')
        if (node.kind !== 'dir' && dest.kind === 'dir') throw errno('EISDIR')
        if (dest.kind === 'dir' && !isEmptyDir(dest)) throw errno('ENOTEMPTY')
      }
      if (a.rest.length === 0 && b.rest.length === 0) return store.rename(a.top, b.top, src.cid, dest?.cid, opts)
      // Between two roots: link there, then remove here (two store changes: not atomic).
      await linkAt(b, node, opts)
      if (a.rest.length === 0) await store.delete(a.top, src.cid, opts)
      else await editFolder(a.top, opts, (tree) => setAt(tree, a.rest, undefined, opts))
    })
  }

  /** Puts `node` at a path, replacing what is there (checks done by the caller, under the lock). */
  async function linkAt(at: { top: string; rest: string[] }, node: TreeNode, opts: CallOptions | undefined): Promise<void> {
    if (at.rest.length === 0) {
      const old = await entry(at.top, opts)
      return store.set(at.top, node.cid, old?.cid, opts)
    }
    await editFolder(at.top, opts, (tree) => setAt(tree, at.rest, node, opts))
  }

  /** Sets (or with undefined removes) the entry at `rest` in a folder's tree, whatever it holds. */
  function setAt(tree: UnixfsTree, rest: string[], node: TreeNode | undefined, opts: CallOptions | undefined): Promise<void> {
    const name = rest[rest.length - 1] as string
    return tree.change(opts ?? {}, async (root) => ({
      root: await tree.editDir(root, rest.slice(0, -1), (dir) => setEntry(ctx, dir, name, node, touch(), opts), opts),
      result: undefined,
    }))
  }

  /** inFolder's body without taking the lock (the caller holds it). */
  async function editFolder(top: string, opts: CallOptions | undefined, change: (tree: UnixfsTree) => Promise<void>): Promise<void> {
    const e = await need(top, opts)
    const tree = await oneRootTree(ctx, e.cid)
    await change(tree)
    if (!tree.root.cid.equals(e.cid)) await store.set(top, tree.root.cid, e.cid, opts)
  }

  // A change may move an entry between two roots: add there, then remove here.
  const caps = unixfsCapabilities(preserveMtime, 'copy')
  const xattrNames = [CID_XATTR, ...(store.xattrNames ?? [])]

  const backend: RootsBackend = {
    capabilities: caps,

    stat: (path, opts) =>
      boundary('stat', path, opts, async () => {
        if (path === '/') return rootStat()
        const { top, rest } = parts(path)
        if (rest.length === 0) return (await topStat(await need(top, opts), opts)).stat
        return toStat((await resolve(path, opts)).node, owner)
      }),

    list: (path, opts) =>
      boundary('readdir', path, opts, async () => {
        if (path === '/') {
          // Each root's node may come from a gateway: 16 at a time, not one after another.
          const entries = [...(await store.entries(opts)).values()]
          const out = await mapLimit(entries, 16, async (e): Promise<DirEntry> => ({ name: e.name, ...(await topStat(e, opts)) }))
          return out.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
        }
        const { node } = await resolve(path, opts)
        if (node.kind !== 'dir') throw errno('ENOTDIR')
        const out: DirEntry[] = []
        for await (const link of listLinks(ctx, node, opts)) {
          const child = await loadNode(ctx, link.Hash, opts, link)
          out.push({ name: link.Name ?? '', type: child.kind, stat: toStat(child, owner) })
        }
        return out
      }),

    mkdir: (path, mode, opts) =>
      boundary('mkdir', path, opts, async () => {
        if (path === '/') throw errno('EEXIST')
        const { top, rest } = parts(path)
        if (rest.length > 0) return inFolder(top, opts, (tree) => mkdir(tree, sub(rest), mode, opts ?? {}))
        await createTop(top, opts, () => makeDir(ctx, { mode: mode & 0o7777 || DEFAULT_DIR_MODE, mtime: touch() }, opts))
      }),

    rmdir: (path, opts) => boundary('rmdir', path, opts, () => removeAt(path, true, opts)),
    unlink: (path, opts) => boundary('unlink', path, opts, () => removeAt(path, false, opts)),
    rename: (from, to, opts) => boundary('rename', from, opts, () => renameAny(from, to, opts)),

    symlink: (target, path, opts) =>
      boundary('symlink', path, opts, async () => {
        const { top, rest } = parts(path)
        if (rest.length > 0) return inFolder(top, opts, (tree) => symlink(tree, target, sub(rest), opts ?? {}))
        await createTop(top, opts, () => makeSymlink(ctx, target, touch(), opts))
      }),

    readlink: (path, opts) =>
      boundary('readlink', path, opts, async () => {
        const { node } = await resolve(path, opts)
        if (node.kind !== 'symlink') throw errno('EINVAL')
        return new TextDecoder().decode(node.unixfs?.data ?? new Uint8Array(0))
      }),

    chmod: (path, mode, opts) => boundary('chmod', path, opts, () => changeMetaAt(path, modeChange(mode), opts)),

    ...(preserveMtime
      ? {
          utimens: (path: string, times: TimeUpdate, opts?: CallOptions) =>
            boundary('utimens', path, opts, () => setTimes(times, (change) => changeMetaAt(path, change, opts), () => resolve(path, opts))),
        }
      : {}),

    getxattr: (path, name, opts) =>
      boundary('getxattr', path, opts, async () => {
        if (path === '/' || !xattrNames.includes(name)) throw errno('ENODATA')
        const { top, node } = await resolve(path, opts).catch(async (err: unknown) => {
          // A top-level root that cannot be read still has its CID and status.
          const { top: name0, rest } = parts(path)
          if (rest.length > 0) throw err
          const e = await need(name0, opts)
          return { top: e, node: undefined }
        })
        if (name === CID_XATTR) return Buffer.from((node?.cid ?? top.cid).toString())
        if (store.xattr === undefined) throw errno('ENODATA')
        return store.xattr(name, top, opts)
      }),

    listxattr: (path, opts) =>
      boundary('listxattr', path, opts, async () => {
        if (path === '/') return []
        const { top, rest } = parts(path)
        if (rest.length === 0) await need(top, opts)
        else await resolve(path, opts)
        return xattrNames
      }),

    setxattr: (path, _name, _value, _flags, opts) =>
      boundary('setxattr', path, opts, async () => {
        if (path !== '/') await backend.stat(path, opts)
        throw errno('ENOTSUP')
      }),

    removexattr: (path, _name, opts) =>
      boundary('removexattr', path, opts, async () => {
        if (path !== '/') await backend.stat(path, opts)
        throw errno('ENOTSUP')
      }),

    openReader: (path, opts) =>
      boundary('open', path, opts, async () => {
        if (path === '/') throw errno('EISDIR')
        const { node } = await resolve(path, opts)
        if (node.kind === 'dir') throw errno('EISDIR')
        if (node.kind === 'symlink') throw errno('ELOOP')
        return openFileReader(ctx, node, path)
      }),

    put: (path, source, opts) =>
      boundary('put', path, opts, async () => {
        if (path === '/') throw errno('EISDIR')
        await putAt(path, source, opts)
      }),

    health: (opts) =>
      boundary('health', '/', opts, async () => {
        if (store.health !== undefined) await store.health(opts)
        else await store.entries(opts)
      }),

    close: async () => {
      closed = true
      await lock.drain()
      await store.close?.()
    },
  }
  return backend
}

/** A datastore holding nothing yet (UnixfsTree.open then makes an empty folder). */
function memoryRoot(): { has(): Promise<boolean>; get(): Promise<Uint8Array>; put(k: unknown, v: Uint8Array): Promise<void> } {
  let bytes: Uint8Array | undefined
  return {
    has: async () => bytes !== undefined,
    get: async () => {
      if (bytes === undefined) throw errno('ENOENT')
      return bytes
    },
    put: async (_k, v) => {
      bytes = v
    },
  }
}
