import { constants } from 'node:fs'
import type { CallOptions, OpenFlags } from './backend.ts'
import { isDir, nowNs } from './backend.ts'
import { VfsError, toVfsError } from './errors.ts'
import type { Mount } from './mount-table.ts'
import { type Handle, HandleTable, type ObjectNode, type ObjectNodes, parseOpenFlags, stagedStat } from './open-files.ts'
import { dirname, isWithin, joinPath } from './paths.ts'
import { hashRead } from './content-hash.ts'
import { MAX_REHASH, type StagedMeta } from './staging.ts'
import { WriteSession } from './write-session.ts'
import { type OpOptions, type Vfs, type VfsStat, call } from './vfs.ts'

type MountTarget = { mount: Mount; rel: string; path: string }

function vfsPath(mount: Mount, rel: string): string {
  return rel === '/' ? mount.point : joinPath(mount.point, rel.slice(1))
}

/**
 * Open files: handles over a randomWrite backend's own files, or over the staged copies of a
 * wholeObject backend. Uploads happen on flush (so close() reports their error) and fsync.
 */
export class FileOps {
  readonly handles = new HandleTable()
  readonly #vfs: Vfs
  readonly #nodes: ObjectNodes
  /** The inode number last reported for a node, kept for fstat after the name is gone. */
  readonly #inoOf = new WeakMap<ObjectNode, number>()
  /** Errors of uploads that no caller could be told about (release, shutdown). */
  readonly lostErrors: VfsError[] = []

  constructor(vfs: Vfs, nodes: ObjectNodes) {
    this.#vfs = vfs
    this.#nodes = nodes
  }

  async open(path: string, rawFlags: number, mode: number | undefined, opts?: OpOptions): Promise<number> {
    const flags = parseOpenFlags(rawFlags)
    const changes = flags.write || flags.create || flags.truncate
    let r: ReturnType<Vfs['resolve']>
    try {
      r = this.#vfs.resolve(path, 'open')
    } catch (err) {
      // A new name directly in a synthetic folder: EROFS rather than ENOENT.
      if (flags.create) this.#vfs.writable(path, 'open')
      throw err
    }
    if (r.kind === 'synthetic' || r.rel === '/') throw new VfsError('EISDIR', 'open', r.path)
    const t = changes ? this.#vfs.writable(path, 'open') : r
    const journal = changes ? this.#vfs.journal : undefined
    if (!journal) return this.#openIn(t, flags, mode, opts)
    // A write session: one journal entry from this open to the handle's release.
    const ticket = await journal.begin({ op: 'write', mount: t.mount.point, paths: [t.path], args: { flags: describeFlags(flags), ...(mode === undefined ? {} : { mode: mode & 0o7777 }) } })
    let fh: number
    try {
      fh = await this.#openIn(t, flags, mode, opts)
    } catch (err) {
      void ticket.end({ errno: toVfsError(err, 'open', t.path).code })
      throw err
    }
    const handle = this.handles.get(fh, 'open')
    handle.session = new WriteSession(ticket, handle.kind === 'random')
    return fh
  }

  #openIn(t: MountTarget, flags: OpenFlags, mode: number | undefined, opts?: OpOptions): Promise<number> {
    if (t.mount.backend.capabilities.writes === 'randomWrite') return this.#openRandom(t, flags, mode, opts)
    return this.#openObject(t, flags, mode, opts)
  }

  async #openRandom(t: MountTarget, flags: OpenFlags, mode: number | undefined, opts?: OpOptions): Promise<number> {
    const { backend } = t.mount
    if (!backend.open) throw new VfsError('ENOTSUP', 'open', t.path)
    const c = opts?.caller
    const adopt = flags.create && c !== undefined && (c.uid !== this.#vfs.owner.uid || c.gid !== this.#vfs.owner.gid)
    const existed = adopt && !flags.exclusive ? await backend.stat(t.rel, opts).then(() => true, () => false) : false
    const file = await call(() => backend.open?.(t.rel, flags, (mode ?? 0o644) & 0o7777, opts) as ReturnType<NonNullable<typeof backend.open>>, 'open', t.path)
    if (flags.create || flags.truncate) this.#vfs.changed(t)
    if (adopt && !existed) await this.#vfs.adopt(t, opts).catch(async (err) => {
      await file.close()
      throw err
    })
    return this.handles.add({ kind: 'random', mount: t.mount, rel: t.rel, file })
  }

  async #openObject(t: MountTarget, flags: OpenFlags, mode: number | undefined, opts?: OpOptions): Promise<number> {
    const existing = await this.#vfs.statIn(t.mount, t.rel, t.path, opts).catch((err: unknown) => {
      if (err instanceof VfsError && err.code === 'ENOENT') return undefined
      throw err
    })
    if (existing && flags.create && flags.exclusive) throw new VfsError('EEXIST', 'open', t.path)
    if (existing && isDir(existing.mode)) throw new VfsError('EISDIR', 'open', t.path)
    if (!existing && !flags.create) throw new VfsError('ENOENT', 'open', t.path)
    // A new object needs an existing folder, or its upload fails on close and leaves a ghost.
    if (!existing && t.rel !== '/') {
      const parent = await this.#vfs.statIn(t.mount, dirname(t.rel), dirname(t.path), opts)
      if (!isDir(parent.mode)) throw new VfsError('ENOTDIR', 'open', t.path)
    }
    const node = this.#nodes.acquire(t.mount, t.rel)
    try {
      if (!existing) {
        const c = opts?.caller ?? this.#vfs.owner
        const now = nowNs()
        await this.#nodes.ensureStaged(node, async () => ({ mode: (mode ?? 0o644) & 0o7777, uid: c.uid, gid: c.gid, mtimeNs: now, atimeNs: now }), () => undefined, opts)
        this.#vfs.changed(t)
      } else if (flags.truncate && flags.write) {
        const hadStaged = node.staged !== undefined
        const staged = await this.#nodes.ensureStaged(node, async () => metaOf(existing), () => undefined, opts)
        // The object exists in the store: this empty copy replaces it, it is not a new file.
        if (!hadStaged) staged.isNew = false
        await staged.truncate(0)
        this.#vfs.changed(t)
      }
    } catch (err) {
      node.refs--
      await this.#nodes.releaseIfIdle(node)
      throw err
    }
    return this.handles.add({ kind: 'object', node, writable: flags.write, reader: undefined, error: undefined })
  }

  async read(fh: number, buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number> {
    const h = this.handles.get(fh, 'read')
    if (h.kind === 'random') return call(() => h.file.read(buffer, position, opts), 'read', vfsPath(h.mount, h.rel))
    const { node } = h
    if (node.staged) return node.staged.read(buffer, position)
    const path = vfsPath(node.mount, node.rel)
    if (!h.reader) {
      const openReader = node.mount.backend.openReader
      if (!openReader) throw new VfsError('ENOTSUP', 'read', path)
      h.reader = await call(() => openReader.call(node.mount.backend, node.rel, opts), 'read', path)
    }
    const reader = h.reader
    return call(() => reader.read(buffer, position, opts), 'read', path)
  }

  async write(fh: number, buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number> {
    const h = this.handles.get(fh, 'write')
    if (h.kind === 'random') {
      const n = await call(() => h.file.write(buffer, position, opts), 'write', vfsPath(h.mount, h.rel))
      this.#touched(h.mount, h.rel)
      h.session?.wrote(buffer, position, n)
      return n
    }
    if (!h.writable) throw new VfsError('EBADF', 'write', vfsPath(h.node.mount, h.node.rel))
    const staged = await this.#staged(h.node, opts)
    const n = await staged.write(buffer, position)
    h.session?.wrote(buffer, position, n)
    return n
  }

  async ftruncate(fh: number, size: number, opts?: CallOptions): Promise<void> {
    const h = this.handles.get(fh, 'ftruncate')
    if (size < 0) throw new VfsError('EINVAL', 'ftruncate')
    if (h.kind === 'random') {
      await call(() => h.file.truncate(size, opts), 'ftruncate', vfsPath(h.mount, h.rel))
      h.session?.truncated(size)
      return this.#touched(h.mount, h.rel)
    }
    const staged = await this.#staged(h.node, opts)
    await staged.truncate(size)
    h.session?.truncated(size)
  }

  async fstat(fh: number, opts?: CallOptions): Promise<VfsStat> {
    const h = this.handles.get(fh, 'fstat')
    if (h.kind === 'random') {
      const stat = await call(() => h.file.stat(opts), 'fstat', vfsPath(h.mount, h.rel))
      return { ...stat, ino: this.#vfs.inodes.forMount(h.mount.id, h.rel, stat.ino), blocks: stat.blocks ?? Math.ceil(stat.size / 512) }
    }
    const { node } = h
    // An unlinked (or replaced) file has no name to look up: its handles' copy is the file.
    if (node.gone && node.staged) {
      const s = stagedStat(node.staged, undefined, node.mount.backend.capabilities.atime)
      return { ...s, nlink: 0, ino: this.#inoOf.get(node) ?? this.#vfs.inodes.forMount(node.mount.id, node.rel, undefined), blocks: Math.ceil(s.size / 512) }
    }
    const stat = await this.#vfs.statIn(node.mount, node.rel, vfsPath(node.mount, node.rel), opts)
    this.#inoOf.set(node, stat.ino)
    return stat
  }

  /** close(2) of one descriptor: uploads what changed, so close() sees the upload's error. */
  async flush(fh: number, opts?: CallOptions): Promise<void> {
    const h = this.handles.get(fh, 'flush')
    if (h.kind === 'random') return
    await this.#commit(h, opts)
  }

  async fsync(fh: number, datasync: boolean, opts?: CallOptions): Promise<void> {
    const h = this.handles.get(fh, 'fsync')
    if (h.kind === 'random') return call(() => h.file.sync(datasync, opts), 'fsync', vfsPath(h.mount, h.rel))
    await this.#commit(h, opts)
  }

  async release(fh: number, opts?: CallOptions): Promise<void> {
    const h = this.handles.get(fh, 'release')
    this.handles.delete(fh)
    if (h.kind === 'random') {
      const path = vfsPath(h.mount, h.rel)
      if (h.session) await this.#endRandomSession(h, h.session, opts)
      return call(() => h.file.close(), 'release', path)
    }
    const { node } = h
    await h.reader?.close().catch(() => {})
    node.refs--
    if (h.writable && !h.error) await this.#commit(h, opts).catch((err: unknown) => this.lostErrors.push(toVfsError(err, 'release', vfsPath(node.mount, node.rel))))
    if (h.session) {
      const staged = node.staged
      const size = staged?.size
      const xxh3 = await staged?.contentHash().catch(() => undefined)
      void h.session.ticket.end({ ...(h.error ? { errno: h.error.code } : {}), result: h.session.result(size, xxh3) })
    }
    await this.#nodes.releaseIfIdle(node)
  }

  /** The size and content hash of a written-through file at close (read back only when its writes came out of order). */
  async #endRandomSession(h: Extract<Handle, { kind: 'random' }>, session: WriteSession, opts?: CallOptions): Promise<void> {
    try {
      const { size } = await h.file.stat(opts)
      const xxh3 = session.hash?.digest(size) ?? (size <= MAX_REHASH ? await this.#hashBack(h, size, opts) : undefined)
      void session.ticket.end({ result: session.result(size, xxh3) })
    } catch (err) {
      void session.ticket.end({ errno: toVfsError(err, 'release').code, result: session.result(undefined, undefined) })
    }
  }

  /** Reads a written-through file back to hash it: through the handle, or (write-only) a read-only one of its own. */
  async #hashBack(h: Extract<Handle, { kind: 'random' }>, size: number, opts?: CallOptions): Promise<string | undefined> {
    try {
      return await hashRead((b, p) => h.file.read(b, p, opts), size)
    } catch {
      const file = await h.mount.backend.open?.(h.rel, parseOpenFlags(constants.O_RDONLY), 0, opts).catch(() => undefined)
      if (!file) return undefined
      try {
        return await hashRead((b, p) => file.read(b, p, opts), size)
      } finally {
        await file.close().catch(() => {})
      }
    }
  }

  async #commit(h: Extract<Handle, { kind: 'object' }>, opts?: CallOptions): Promise<void> {
    if (h.error) throw h.error
    if (!h.writable && !h.node.staged?.dirty) return
    try {
      await this.#nodes.upload(h.node, opts)
      this.#vfs.changed({ mount: h.node.mount, rel: h.node.rel, path: vfsPath(h.node.mount, h.node.rel) })
    } catch (err) {
      h.error = toVfsError(err, 'flush', vfsPath(h.node.mount, h.node.rel))
      throw h.error
    }
  }

  /** truncate(2) by path: through the store's own call, or stage, cut and upload at once. */
  async truncatePath(t: MountTarget, size: number, opts?: OpOptions): Promise<void> {
    const { backend } = t.mount
    if (backend.capabilities.writes === 'randomWrite') {
      if (!backend.truncate) throw new VfsError('ENOTSUP', 'truncate', t.path)
      return call(() => backend.truncate?.(t.rel, size, opts) as Promise<void>, 'truncate', t.path)
    }
    const existing = await this.#vfs.statIn(t.mount, t.rel, t.path, opts)
    if (isDir(existing.mode)) throw new VfsError('EISDIR', 'truncate', t.path)
    const node = this.#nodes.acquire(t.mount, t.rel)
    try {
      const staged = await this.#staged(node, opts)
      await staged.truncate(size)
      await this.#nodes.upload(node, opts)
    } finally {
      node.refs--
      await this.#nodes.releaseIfIdle(node)
    }
  }

  /**
   * chmod/chown/utimens: `inStore` makes the change in the store, unless the file is staged with
   * changes not uploaded yet; then the new metadata rides along with the next upload (cp -p and
   * rsync set times on the open file before close). A staged copy whose bytes are all in the store
   * (a file closed whose release has not come yet: the kernel sends it after close(2) returns)
   * keeps the change too, for an upload after more writes.
   */
  async setMeta(mount: Mount, rel: string, meta: Partial<StagedMeta>, inStore: () => Promise<void>): Promise<void> {
    const node = this.#nodes.get(mount, rel)
    const staged = node?.gone ? undefined : node?.staged
    if (!node || !staged) return inStore()
    if (staged.dirty) {
      Object.assign(staged.meta, meta)
      staged.markDirty()
      if (node.refs === 0) await this.#nodes.upload(node)
      return
    }
    const before = { ...staged.meta }
    Object.assign(staged.meta, meta)
    try {
      await inStore()
    } catch (err) {
      staged.meta = before
      throw err
    }
  }

  /**
   * Before `rel` is removed from the store (unlink, or replaced by a rename), handles still open
   * on it get a local copy: POSIX lets them go on reading and writing a file that has no name.
   */
  async keepOpenCopy(mount: Mount, rel: string, opts?: CallOptions): Promise<void> {
    const node = this.#nodes.get(mount, rel)
    if (node && node.refs > 0 && !node.staged) await this.#staged(node, opts)
  }

  /** Uploads every dirty staged file at or below `rel` (before a rename moves them in the store). */
  async flushTree(mount: Mount, rel: string, opts?: CallOptions): Promise<void> {
    for (const node of this.#nodes.all()) {
      if (node.mount === mount && isWithin(node.rel, rel) && node.staged?.dirty) await this.#nodes.upload(node, opts)
    }
  }

  /** Uploads everything still staged (clean shutdown); returns the failures. */
  async flushAll(): Promise<VfsError[]> {
    const failed: VfsError[] = []
    for (const node of this.#nodes.all()) {
      if (!node.staged?.dirty || node.gone) continue
      await this.#nodes.upload(node).catch((err: unknown) => failed.push(toVfsError(err, 'flush', vfsPath(node.mount, node.rel))))
      await this.#nodes.releaseIfIdle(node)
    }
    this.lostErrors.push(...failed)
    return failed
  }

  #staged(node: ObjectNode, opts?: CallOptions) {
    if (node.staged) return Promise.resolve(node.staged)
    const path = vfsPath(node.mount, node.rel)
    return this.#nodes.ensureStaged(
      node,
      async () => metaOf(await this.#vfs.statIn(node.mount, node.rel, path, opts)),
      () => {
        const openReader = node.mount.backend.openReader
        if (!openReader) throw new VfsError('ENOTSUP', 'write', path)
        return call(() => openReader.call(node.mount.backend, node.rel, opts), 'write', path)
      },
      opts,
    )
  }

  /** A write through a local file: its cached stat is stale, and so are its hard links'. */
  #touched(mount: Mount, rel: string): void {
    if (mount.cacheTtlMs === 0) return
    const path = vfsPath(mount, rel)
    const cached = this.#vfs.cache.getStat(path)
    if (cached && cached.nlink > 1) this.#vfs.cache.invalidateTree(mount.point)
    else this.#vfs.cache.invalidate(path, path)
  }
}

function describeFlags(flags: OpenFlags): string {
  const parts = [flags.write ? (flags.read ? 'O_RDWR' : 'O_WRONLY') : 'O_RDONLY']
  if (flags.create) parts.push('O_CREAT')
  if (flags.exclusive) parts.push('O_EXCL')
  if (flags.truncate) parts.push('O_TRUNC')
  if (flags.append) parts.push('O_APPEND')
  return parts.join('|')
}

function metaOf(stat: VfsStat): StagedMeta {
  return { mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, mtimeNs: stat.mtimeNs, atimeNs: stat.atimeNs }
}
