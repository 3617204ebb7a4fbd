/**
 * The namespace changes of the /ipfs tree, each one queued change with rename(2)/mkdir(2)/...
 * semantics and errnos. Paths are backend paths ('/a/b'), already checked to be in the tree (not
 * under /.cid).
 */
import { createReadStream } from 'node:fs'
import type { UnixFS as HeliaUnixFS } from '@helia/unixfs'
import type { Mtime } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import type { PutMeta, PutSource } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import { makeDir, makeSymlink, type MetaChange, setEntry, setMeta } from './dir-edit.ts'
import { errno } from './errors.ts'
import { fileImportOptions, type ImportSettings, toMtime } from './import-settings.ts'
import { findLink, isEmptyDir, loadNode, type ReadOptions, type TreeNode } from './nodes.ts'
import { splitPath, type UnixfsTree } from './tree.ts'

export function parentAndName(path: string): { dir: string[]; name: string } {
  const parts = splitPath(path)
  const name = parts.pop()
  if (name === undefined) throw errno('EBUSY') // the mount root cannot be created, removed or moved
  return { dir: parts, name }
}

/** Adds a new entry made by `make`; EEXIST when the name is taken. */
function create(tree: UnixfsTree, path: string, opts: ReadOptions, make: () => Promise<TreeNode>): Promise<void> {
  const { dir, name } = parentAndName(path)
  return tree.change(opts, async (root) => ({
    root: await tree.editDir(root, dir, async (parent) => {
      if ((await findLink(tree.ctx, parent, name, opts)) !== undefined) throw errno('EEXIST')
      return setEntry(tree.ctx, parent, name, await make(), tree.touch(), opts)
    }, opts),
    result: undefined,
  }))
}

export function mkdir(tree: UnixfsTree, path: string, mode: number, opts: ReadOptions): Promise<void> {
  if (path === '/') return Promise.reject(errno('EEXIST'))
  return create(tree, path, opts, () => makeDir(tree.ctx, { mode: mode & 0o7777, mtime: tree.touch() }, opts))
}

export function symlink(tree: UnixfsTree, target: string, path: string, opts: ReadOptions): Promise<void> {
  if (path === '/') return Promise.reject(errno('EEXIST'))
  return create(tree, path, opts, () => makeSymlink(tree.ctx, target, tree.touch(), opts))
}

/** unlink(2) (`dirs` false: a directory is EISDIR) or rmdir(2) (`dirs` true: ENOTDIR, ENOTEMPTY). */
export function remove(tree: UnixfsTree, path: string, dirs: boolean, opts: ReadOptions): Promise<void> {
  const { dir, name } = parentAndName(path)
  return tree.change(opts, async (root) => ({
    root: await tree.editDir(root, dir, async (parent) => {
      const link = await findLink(tree.ctx, parent, name, opts)
      if (link === undefined) throw errno('ENOENT')
      const node = await loadNode(tree.ctx, link.Hash, opts, link)
      if (!dirs && node.kind === 'dir') throw errno('EISDIR')
      if (dirs && node.kind !== 'dir') throw errno('ENOTDIR')
      if (dirs && !isEmptyDir(node)) throw errno('ENOTEMPTY')
      return setEntry(tree.ctx, parent, name, undefined, tree.touch(), opts)
    }, opts),
    result: undefined,
  }))
}

/**
 * rename(2), atomic: the removal and the addition land in one root update. Replaces a
 * non-directory by a non-directory and an empty directory by a directory; a directory cannot move
 * into itself (EINVAL).
 */
export function rename(tree: UnixfsTree, from: string, to: string, opts: ReadOptions): Promise<void> {
  const src = parentAndName(from)
  const dst = parentAndName(to)
  return tree.change(opts, async (root) => {
    const node = await tree.resolve([...src.dir, src.name], opts, root)
    if (from === to) return { root, result: undefined }
    if (to.startsWith(`${from}/`)) throw errno('EINVAL')
    const target = await tree.resolve(dst.dir, opts, root)
    const existing = await findLink(tree.ctx, target, dst.name, opts)
    if (existing !== undefined) {
      const old = await loadNode(tree.ctx, existing.Hash, opts, existing)
      if (node.kind === 'dir' && old.kind !== 'dir') throw errno('ENOTDIR')
      if (node.kind !== 'dir' && old.kind === 'dir') throw errno('EISDIR')
      if (old.kind === 'dir' && !isEmptyDir(old)) throw errno('ENOTEMPTY')
    }
    const touch = tree.touch()
    const removed = await tree.editDir(root, src.dir, (dir) => setEntry(tree.ctx, dir, src.name, undefined, touch, opts), opts)
    const added = await tree.editDir(removed, dst.dir, (dir) => setEntry(tree.ctx, dir, dst.name, node, touch, opts), opts)
    return { root: added, result: undefined }
  })
}

/** chmod/utimens: the node's metadata, in place; its parent's entries do not change. */
export function changeMeta(tree: UnixfsTree, path: string, change: (node: TreeNode) => MetaChange, opts: ReadOptions): Promise<void> {
  return tree.change(opts, async (root) => ({
    root: await tree.editNode(root, splitPath(path), (node) => setMeta(tree.ctx, node, change(node), opts), opts),
    result: undefined,
  }))
}

/**
 * The body of `put`: imports the staged file (streamed, never whole in memory) outside the queue,
 * so uploads run in parallel, then links it in one queued change (linkFile).
 */
export function putFile(tree: UnixfsTree, fs: Pick<HeliaUnixFS, 'addByteStream'>, path: string, source: PutSource, opts: ReadOptions): Promise<void> {
  return linkFile(tree, path, source, (mtime) => importFile(tree.ctx.settings, fs, path, source, mtime, opts), opts)
}

/**
 * Stores a file at `path`: `content` makes its node (with `meta`'s mode and, when mtimes are kept,
 * its mtime) outside the queue, then one queued change links it. A directory in the way is EISDIR;
 * a missing parent fails before the content is made (and again, authoritatively, when the link is
 * made).
 */
export async function linkFile(tree: UnixfsTree, path: string, meta: Pick<PutMeta, 'mtimeNs'>, content: (mtime: Mtime | undefined) => Promise<{ cid: CID; bytes: number }>, opts: ReadOptions): Promise<void> {
  const { dir, name } = parentAndName(path)
  const parent = await tree.resolve(dir, opts, await tree.latest(opts))
  if (parent.kind !== 'dir') throw errno('ENOTDIR')
  const { cid, bytes } = await content(tree.ctx.settings.preserveMtime ? toMtime(meta.mtimeNs) : undefined)
  const file = await loadNode(tree.ctx, cid, opts, { Hash: cid, Tsize: bytes })
  await tree.change(opts, async (root) => ({
    root: await tree.editDir(root, dir, async (d) => {
      const link = await findLink(tree.ctx, d, name, opts)
      if (link !== undefined && (await loadNode(tree.ctx, link.Hash, opts, link)).kind === 'dir') throw errno('EISDIR')
      // A new name changes the folder's entries (its mtime moves); new content under a name it
      // already has does not, as writing a file leaves its folder's mtime alone.
      return setEntry(tree.ctx, d, name, file, link === undefined ? tree.touch() : undefined, opts)
    }, opts),
    result: undefined,
  }))
}

/**
 * Imports a staged file with the settings of import-settings.ts (streamed, never whole in memory)
 * into whatever blockstore `fs` writes to; both engines import this way, so the same bytes and
 * metadata give the same CID in either.
 */
export async function importFile(settings: ImportSettings, fs: Pick<HeliaUnixFS, 'addByteStream'>, path: string, source: PutSource, mtime: Mtime | undefined, opts: ReadOptions): Promise<{ cid: CID; bytes: number }> {
  let bytes = 0
  // Reads of a chunk at a time, but no 1 MiB buffer for a small file (allocating one per put was
  // most of the cost of small puts).
  const highWaterMark = Math.min(settings.chunkSize, Math.max(16 * 1024, source.size))
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(source.localPath, { highWaterMark, signal: opts.signal })) {
      bytes += (chunk as Buffer).byteLength
      yield chunk as Buffer
    }
  }
  let cid
  try {
    cid = await fs.addByteStream(counted(), { ...fileImportOptions(settings, { mode: source.mode & 0o7777, mtime }), signal: opts.signal })
  } catch (err) {
    if ((err as { name?: unknown }).name === 'AbortError') throw err
    // The staged file is the VFS's, not the caller's path: its ENOENT must not read as "no such file".
    throw new VfsError('EIO', 'put', path, { cause: err, message: `EIO: put ${path}: importing the staged file failed: ${(err as Error).message}` })
  }
  if (bytes !== source.size) throw new VfsError('EIO', 'put', path, { message: `EIO: put ${path}: staged ${bytes} bytes, source says ${source.size}` })
  return { cid, bytes }
}
