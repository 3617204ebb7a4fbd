/**
 * The changes both /ipfs engines make the same way: each backend call is one change of the UnixFS
 * tree (ops.ts), run through the engine's own `changing` (its checks, and what follows a change:
 * the Helia engine's pin, the Kubo engine's new MFS root).
 */
import type { UnixFS as HeliaUnixFS } from '@helia/unixfs'
import type { Mtime } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import type { Backend, CallOptions, PutMeta, TimeUpdate } from '../../vfs/backend.ts'
import { writable } from './cid-paths.ts'
import type { MetaChange } from './dir-edit.ts'
import { boundary, errno } from './errors.ts'
import { toMtime } from './import-settings.ts'
import type { TreeNode } from './nodes.ts'
import { changeMeta, importFile, linkFile, mkdir, remove, rename, symlink } from './ops.ts'
import type { UnixfsTree } from './tree.ts'

export type Changing = (op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<void>) => Promise<void>

/** How an engine runs a change: EIO once closed (`check`), EROFS under /.cid, the change, then `changed`. */
export function changeRunner(check: () => void, changed: () => void | Promise<void>): Changing {
  return (op, path, opts, fn) =>
    boundary(op, path, opts, async () => {
      check()
      writable(path)
      await fn()
      await changed()
    })
}

export interface TreeWritesOptions {
  tree: UnixfsTree
  /** Imports a staged file into the engine's blocks. */
  importer: Pick<HeliaUnixFS, 'addByteStream'>
  changing: Changing
  /** The node at `path` (ENOENT when there is none): an atime-only utimens checks that the path exists. */
  nodeAt(path: string, opts: CallOptions | undefined): Promise<TreeNode | undefined>
  /** chmod/utimens; default: the node's metadata in the tree (changeMeta). */
  meta?(path: string, change: (node: TreeNode) => MetaChange, opts: CallOptions | undefined): Promise<void>
}

export type TreeWrites = Required<Pick<Backend, 'mkdir' | 'rmdir' | 'unlink' | 'rename' | 'symlink' | 'chmod' | 'put'>> & Pick<Backend, 'utimens'>

/** chmod's change of a node: ENOTSUP on a symlink (Linux has no lchmod; the kernel follows links before chmod). */
export function modeChange(mode: number): (node: TreeNode) => MetaChange {
  return (node) => {
    if (node.kind === 'symlink') throw errno('ENOTSUP')
    return { mode: mode & 0o7777 }
  }
}

/**
 * utimens: the mtime to the nanosecond through `change`. UnixFS has no atime, so an atime alone
 * changes nothing, once `exists` has checked the path.
 */
export async function setTimes(times: TimeUpdate, change: (c: (node: TreeNode) => MetaChange) => Promise<void>, exists: () => Promise<unknown>): Promise<void> {
  const mtimeNs = times.mtimeNs
  if (mtimeNs === undefined) await exists()
  else await change(() => ({ mtime: toMtime(mtimeNs) }))
}

/** Stores a file whose node `content` makes (ops.ts linkFile) at `path`, as one change; the mount root is EISDIR. */
export function storeFile(tree: UnixfsTree, changing: Changing, path: string, meta: PutMeta, content: (mtime: Mtime | undefined) => Promise<{ cid: CID; bytes: number }>, opts: CallOptions | undefined): Promise<void> {
  return changing('put', path, opts, async () => {
    if (path === '/') throw errno('EISDIR')
    await linkFile(tree, path, meta, content, opts ?? {})
  })
}

export function treeWrites(o: TreeWritesOptions): TreeWrites {
  const { tree, changing } = o
  const meta = o.meta ?? ((path, change, opts) => changeMeta(tree, path, change, opts ?? {}))
  return {
    mkdir: (path, mode, opts) => changing('mkdir', path, opts, () => mkdir(tree, path, mode, opts ?? {})),
    rmdir: (path, opts) => changing('rmdir', path, opts, () => remove(tree, path, true, opts ?? {})),
    unlink: (path, opts) => changing('unlink', path, opts, () => remove(tree, path, false, opts ?? {})),

    rename: (from, to, opts) =>
      changing('rename', from, opts, async () => {
        writable(to)
        await rename(tree, from, to, opts ?? {})
      }),

    symlink: (target, path, opts) => changing('symlink', path, opts, () => symlink(tree, target, path, opts ?? {})),

    chmod: (path, mode, opts) => changing('chmod', path, opts, () => meta(path, modeChange(mode), opts)),

    ...(tree.ctx.settings.preserveMtime
      ? {
          utimens: (path: string, times: TimeUpdate, opts?: CallOptions) =>
            changing('utimens', path, opts, () => setTimes(times, (change) => meta(path, change, opts), () => o.nodeAt(path, opts))),
        }
      : {}),

    put: (path, source, opts) => storeFile(tree, changing, path, source, (mtime) => importFile(tree.ctx.settings, o.importer, path, source, mtime, opts ?? {}), opts),
  }
}
