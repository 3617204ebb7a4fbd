/**
 * The changes both /ipfs engines make the same way: each backend call is one change of the UnixFS
 * tree (ops.ts), run through the engine's own `changing` (its checks, and what follows a change:
 * the Helia engine's pin, the Kubo engine's new MFS root).
 */
import type { UnixFS as HeliaUnixFS } from '@helia/unixfs'
import type { Backend, CallOptions } from '../../vfs/backend.ts'
import { writable } from './cid-paths.ts'
import type { MetaChange } from './dir-edit.ts'
import { boundary, errno } from './errors.ts'
import { toMtime } from './import-settings.ts'
import type { TreeNode } from './nodes.ts'
import { changeMeta, mkdir, putFile, remove, rename, symlink } from './ops.ts'
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

    /** chmod on a symlink is ENOTSUP (Linux has no lchmod; the kernel follows links before chmod). */
    chmod: (path, mode, opts) =>
      changing('chmod', path, opts, () =>
        meta(path, (node) => {
          if (node.kind === 'symlink') throw errno('ENOTSUP')
          return { mode: mode & 0o7777 }
        }, opts),
      ),

    /** mtime to the nanosecond; UnixFS has no atime, so an atime alone changes nothing (after checking the path). */
    ...(tree.ctx.settings.preserveMtime
      ? {
          utimens: (path: string, times: { atimeNs?: bigint; mtimeNs?: bigint }, opts?: CallOptions) =>
            changing('utimens', path, opts, async () => {
              const mtimeNs = times.mtimeNs
              if (mtimeNs !== undefined) await meta(path, () => ({ mtime: toMtime(mtimeNs) }), opts)
              else await o.nodeAt(path, opts)
            }),
        }
      : {}),

    put: (path, source, opts) =>
      changing('put', path, opts, async () => {
        if (path === '/') throw errno('EISDIR')
        await putFile(tree, o.importer, path, source, opts ?? {})
      }),
  }
}
