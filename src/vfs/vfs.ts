import { constants } from 'node:fs'
import type { Backend, CallOptions, Capabilities, DirEntry, Stat, StatFs, XattrFlags } from './backend.ts'
import { S_IFDIR, isDir, nowNs } from './backend.ts'
import { AttrCache } from './attr-cache.ts'
import { VfsError, toVfsError } from './errors.ts'
import { FileOps } from './file-ops.ts'
import { InodeMap } from './inodes.ts'
import type { OpJournal } from './journal-hook.ts'
import { type Mount, type MountOptions, MountTable } from './mount-table.ts'
import { type VfsObserver, instrumentVfs } from './observer.ts'
import { ObjectNodes, stagedStat } from './open-files.ts'
import { basename, dirname, isWithin, normalizePath } from './paths.ts'

export interface Caller {
  uid: number
  gid: number
  pid?: number
}

export interface OpOptions extends CallOptions {
  /** Who asked (FUSE's caller); new entries are given to them. */
  caller?: Caller
}

/** A time to set: nanoseconds since the epoch, now, or leave as it is (utimensat's UTIME_OMIT). */
export type TimeSpec = bigint | 'now' | 'omit'

export interface VfsStat extends Stat {
  ino: number
}

export interface VfsOptions {
  /** Folder for staged copies of whole-object files (inside the state directory). */
  stagingDir: string
}

type MountTarget = { mount: Mount; rel: string; path: string }

/**
 * The unified filesystem: a mount table of backends behind POSIX-named async operations on
 * absolute VFS paths. FUSE, the CLI and MCP all call this one object; it knows mounts, not FUSE.
 */
export class Vfs {
  readonly mounts = new MountTable()
  readonly cache = new AttrCache()
  readonly inodes = new InodeMap()
  readonly nodes: ObjectNodes
  readonly files: FileOps
  readonly #startedNs = nowNs()
  readonly #uid = process.getuid?.() ?? 0
  readonly #gid = process.getgid?.() ?? 0
  #journal: OpJournal | undefined

  constructor(options: VfsOptions) {
    this.nodes = new ObjectNodes(options.stagingDir)
    this.files = new FileOps(this, this.nodes)
  }

  /** Told about every finished op (metrics); see observer.ts. */
  readonly #observers: VfsObserver[] = []

  /** Adds an observer of every op; returns its removal. The ops are wrapped on the first one only. */
  observe(observer: VfsObserver): () => void {
    if (this.#observers.length === 0) instrumentVfs(this, this.#observers)
    this.#observers.push(observer)
    return () => {
      const i = this.#observers.indexOf(observer)
      if (i >= 0) this.#observers.splice(i, 1)
    }
  }

  /** The write-ahead journal every mutating operation is recorded in (none: nothing is recorded). */
  get journal(): OpJournal | undefined {
    return this.#journal
  }

  set journal(journal: OpJournal | undefined) {
    this.#journal = journal
    this.nodes.journal = journal
  }

  /**
   * Runs a change of `t` between a journal intent (written before anything is applied) and its
   * outcome (the errno when it failed). The outcome is not waited for: a crash before it is
   * written leaves an unfinished intent, which recovery settles at the next start.
   */
  async journaled<T>(op: string, t: MountTarget, paths: string[], args: Record<string, unknown> | undefined, fn: () => Promise<T>): Promise<T> {
    const journal = this.#journal
    if (!journal) return fn()
    const ticket = await journal.begin({ op, mount: t.mount.point, paths, ...(args ? { args } : {}) })
    try {
      const result = await fn()
      void ticket.end()
      return result
    } catch (err) {
      void ticket.end({ errno: toVfsError(err, op, t.path).code })
      throw err
    }
  }

  addMount(point: string, backend: Backend, options?: MountOptions, info?: Record<string, unknown>): Mount {
    const mount = this.mounts.add(point, backend, options, info)
    this.cache.invalidateTree('/')
    return mount
  }

  /**
   * Removes a mount. Staged changes of files no longer open are uploaded first; then it refuses
   * with EBUSY while files are open or an upload failed, as umount(2) does with a busy
   * filesystem. `force` removes it anyway: open handles then fail and unsent changes are lost.
   */
  async removeMount(point: string, { force = false } = {}): Promise<void> {
    const p = normalizePath(point, 'unmount')
    const mount = this.mounts.get(p)
    if (!mount) throw new VfsError('ENOENT', 'unmount', p, { message: `ENOENT: unmount ${p}: no mount there` })
    await this.files.flushTree(mount, '/').catch(() => {})
    const { openHandles, pendingUploads } = this.usage(mount)
    if ((openHandles > 0 || pendingUploads > 0) && !force) {
      throw new VfsError('EBUSY', 'unmount', p, { message: `EBUSY: unmount ${p}: ${openHandles} open handle(s), ${pendingUploads} upload(s) not finished` })
    }
    await this.journaled('unmount', { mount, rel: '/', path: p }, [p], force ? { force } : undefined, async () => {
      this.mounts.remove(p)
      this.cache.invalidateTree('/')
      await mount.backend.close?.()
    })
  }

  /** What keeps a mount busy: handles open on it and staged files not yet in its store. */
  usage(mount: Mount): { openHandles: number; pendingUploads: number } {
    let openHandles = 0
    for (const h of this.files.handles.values()) if ((h.kind === 'random' ? h.mount : h.node.mount) === mount) openHandles++
    const pendingUploads = this.nodes.all().filter((n) => n.mount === mount && n.staged?.dirty && !n.gone).length
    return { openHandles, pendingUploads }
  }

  /** Uploads every staged change, then closes every backend (clean shutdown). */
  async close(): Promise<void> {
    await this.files.flushAll()
    for (const mount of this.mounts.list()) await mount.backend.close?.()
  }

  // --- resolution -------------------------------------------------------------------------

  resolve(path: string, op: string): ReturnType<MountTable['resolve']> {
    return this.mounts.resolve(normalizePath(path, op), op)
  }

  /** The mount and mount-relative path of an existing or new entry that `op` will change. */
  writable(path: string, op: string): MountTarget {
    const r = this.#resolveForCreate(path, op)
    if (r.kind === 'synthetic' || r.mount.readOnly || r.mount.backend.readOnlyAt?.(r.rel)) throw new VfsError('EROFS', op, r.path)
    return r
  }

  /** Like resolve, but a new name inside a synthetic folder is EROFS (that folder is read-only), not ENOENT. */
  #resolveForCreate(path: string, op: string): ReturnType<MountTable['resolve']> {
    const p = normalizePath(path, op)
    try {
      return this.mounts.resolve(p, op)
    } catch (err) {
      if (err instanceof VfsError && err.code === 'ENOENT' && this.mounts.resolve(dirname(p), op).kind === 'synthetic') throw new VfsError('EROFS', op, p)
      throw err
    }
  }

  require<K extends keyof Capabilities>(t: MountTarget, cap: K, op: string, errno: VfsError['code']): void {
    if (!t.mount.backend.capabilities[cap]) throw new VfsError(errno, op, t.path)
  }

  // --- attributes --------------------------------------------------------------------------

  async stat(path: string, opts?: OpOptions): Promise<VfsStat> {
    const r = this.resolve(path, 'stat')
    if (r.kind === 'synthetic') return this.#syntheticStat(r.path, r.children.length)
    return this.statIn(r.mount, r.rel, r.path, opts)
  }

  async statIn(mount: Mount, rel: string, path: string, opts?: CallOptions): Promise<VfsStat> {
    // Held across the await: a release may upload and drop the node's staged copy meanwhile
    // (the kernel sends release after close(2) has returned, so `>>` in a loop races it).
    const staged = this.nodes.get(mount, rel)?.staged
    if (staged) {
      const base = staged.isNew ? undefined : await this.#backendStat(mount, rel, path, opts).catch(() => undefined)
      return this.#withIno(mount, rel, stagedStat(staged, base, mount.backend.capabilities.atime))
    }
    return this.#withIno(mount, rel, await this.#backendStat(mount, rel, path, opts))
  }

  async #backendStat(mount: Mount, rel: string, path: string, opts?: CallOptions): Promise<Stat> {
    const cached = this.cache.getStat(path)
    if (cached) return cached
    const stat = await call(() => mount.backend.stat(rel, opts), 'stat', path)
    this.cache.setStat(path, stat, mount.cacheTtlMs)
    return stat
  }

  #withIno(mount: Mount, rel: string, stat: Stat): VfsStat {
    return { ...stat, ino: this.inodes.forMount(mount.id, rel, stat.ino), blocks: stat.blocks ?? Math.ceil(stat.size / 512) }
  }

  #syntheticStat(path: string, children: number): VfsStat {
    const t = this.#startedNs
    return { mode: S_IFDIR | 0o555, size: 4096, uid: this.#uid, gid: this.#gid, nlink: 2 + children, ino: this.inodes.synthetic(path), atimeNs: t, mtimeNs: t, ctimeNs: t, blocks: 8 }
  }

  async readdir(path: string, opts?: OpOptions): Promise<DirEntry[]> {
    const r = this.resolve(path, 'readdir')
    if (r.kind === 'synthetic') return r.children.map((name) => ({ name, type: 'dir' as const }))
    const { mount, rel } = r
    let entries = this.cache.getList(r.path)
    if (!entries) {
      entries = await call(() => mount.backend.list(rel, opts), 'readdir', r.path)
      this.cache.setList(r.path, entries, mount.cacheTtlMs)
    }
    const extra = this.nodes.newChildren(mount, rel).filter((n) => !entries.some((e) => e.name === basename(n.rel)))
    if (extra.length === 0) return entries
    return [...entries, ...extra.map((n) => ({ name: basename(n.rel), type: 'file' as const }))]
  }

  async statfs(path: string, opts?: OpOptions): Promise<StatFs> {
    const r = this.resolve(path, 'statfs')
    // A synthetic folder reports the first mount that has a capacity (df on the mount point).
    const mount = r.kind === 'mount' ? r.mount : this.mounts.list().find((m) => m.backend.statfs)
    const rel = r.kind === 'mount' ? r.rel : '/'
    const backend = mount?.backend
    if (backend?.statfs) return call(() => backend.statfs?.(rel, opts) as Promise<StatFs>, 'statfs', r.path)
    // Object stores have no capacity to report: answer "plenty", as s3fs and rclone do.
    const big = 2 ** 40
    return { bsize: 4096, frsize: 4096, blocks: big, bfree: big, bavail: big, files: 2 ** 32, ffree: 2 ** 32, favail: 2 ** 32, namemax: 255 }
  }

  // --- namespace changes ---------------------------------------------------------------------

  async mkdir(path: string, mode: number, opts?: OpOptions): Promise<void> {
    const r = this.#resolveForCreate(path, 'mkdir')
    if (r.kind === 'synthetic' || (r.kind === 'mount' && r.rel === '/')) throw new VfsError('EEXIST', 'mkdir', r.path)
    const t = this.writable(path, 'mkdir')
    await this.journaled('mkdir', t, [t.path], { mode: mode & 0o7777 }, async () => {
      await call(() => t.mount.backend.mkdir(t.rel, mode & 0o7777, opts), 'mkdir', t.path)
      this.changed(t)
      await this.adopt(t, opts)
    })
  }

  async rmdir(path: string, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'rmdir')
    await this.journaled('rmdir', t, [t.path], undefined, async () => {
      await call(() => t.mount.backend.rmdir(t.rel, opts), 'rmdir', t.path)
      this.changed(t)
      this.inodes.forget(t.mount.id, t.rel)
    })
  }

  async unlink(path: string, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'unlink')
    await this.journaled('unlink', t, [t.path], undefined, () => this.#unlink(t, opts))
  }

  async #unlink(t: MountTarget, opts?: OpOptions): Promise<void> {
    await this.files.keepOpenCopy(t.mount, t.rel, opts)
    const node = this.nodes.remove(t.mount, t.rel)
    const unstored = node?.staged?.isNew === true
    // An idle copy left by a failed upload goes now, with its pending-upload record.
    if (node && node.refs === 0) await this.nodes.releaseIfIdle(node)
    if (unstored) {
      this.changed(t)
      return
    }
    await call(() => t.mount.backend.unlink(t.rel, opts), 'unlink', t.path)
    this.changed(t)
    this.inodes.forget(t.mount.id, t.rel)
  }

  async rename(from: string, to: string, opts?: OpOptions): Promise<void> {
    const src = this.#changeable(from, 'rename')
    const dst = this.#changeable(to, 'rename')
    if (src.mount !== dst.mount) throw new VfsError('EXDEV', 'rename', src.path, { message: `EXDEV: rename ${src.path} -> ${dst.path}: different mounts` })
    if (src.rel === dst.rel) {
      // rename(2) of a name onto itself changes nothing, but the name must exist (ENOENT).
      await this.statIn(src.mount, src.rel, src.path, opts)
      return
    }
    if (isWithin(dst.rel, src.rel)) {
      // As the kernel's path walk: a missing source is ENOENT, a file as the target's folder ENOTDIR.
      const s = await this.statIn(src.mount, src.rel, src.path, opts)
      if (!isDir(s.mode)) throw new VfsError('ENOTDIR', 'rename', dst.path)
      throw new VfsError('EINVAL', 'rename', src.path, { message: `EINVAL: rename ${src.path} into itself` })
    }
    if (isWithin(src.rel, dst.rel)) {
      // The target is a folder holding the source: not empty, whatever the store would say.
      await this.statIn(src.mount, src.rel, src.path, opts)
      throw new VfsError('ENOTEMPTY', 'rename', dst.path)
    }
    const backend = src.mount.backend
    if (backend.capabilities.rename === 'none' || !backend.rename) throw new VfsError('EXDEV', 'rename', src.path)
    await this.journaled('rename', src, [src.path, dst.path], undefined, () => this.#rename(src, dst, opts))
  }

  async #rename(src: MountTarget, dst: MountTarget, opts?: OpOptions): Promise<void> {
    const backend = src.mount.backend
    // A file still staged is uploaded first, so the store renames real bytes; a never-uploaded
    // file has nothing in the store to rename and only moves here.
    const node = this.nodes.get(src.mount, src.rel)
    if (node?.staged?.isNew && !node.gone) {
      // Nothing in the store checks the target's folder for us: a rename into a missing folder
      // would succeed here and fail on upload, leaving a name that is nowhere.
      const folder = await this.statIn(dst.mount, dirname(dst.rel), dirname(dst.path), opts)
      if (!isDir(folder.mode)) throw new VfsError('ENOTDIR', 'rename', dst.path)
      await this.#replaceForRename(dst, opts)
      await this.#renameNodes(src, dst)
    } else {
      await this.files.flushTree(src.mount, src.rel, opts)
      await this.files.keepOpenCopy(dst.mount, dst.rel, opts)
      await call(() => backend.rename?.(src.rel, dst.rel, opts) as Promise<void>, 'rename', src.path)
      await this.#renameNodes(src, dst)
    }
    this.inodes.rename(src.mount.id, src.rel, dst.rel)
    this.cache.invalidateTree(src.path)
    this.cache.invalidateTree(dst.path)
    this.changed(src)
    this.changed(dst)
  }

  /** Moves open and staged nodes; pending-upload records follow a moved copy and go with a replaced idle one. */
  async #renameNodes(src: MountTarget, dst: MountTarget): Promise<void> {
    const { moved, replaced } = this.nodes.rename(src.mount, src.rel, dst.rel)
    for (const node of replaced) if (node.refs === 0) await this.nodes.releaseIfIdle(node)
    for (const node of moved) await this.nodes.repointPending(node)
  }

  /** rename(2) of a never-uploaded file onto an existing path replaces it: remove it from the store. */
  async #replaceForRename(dst: MountTarget, opts?: OpOptions): Promise<void> {
    const existing = await this.statIn(dst.mount, dst.rel, dst.path, opts).catch(() => undefined)
    if (!existing) return
    if (isDir(existing.mode)) throw new VfsError('EISDIR', 'rename', dst.path)
    await this.#unlink(dst, opts)
  }

  /** A mount without `cap` refuses a new entry with EPERM, but a taken name is EEXIST first, as the kernel's lookup answers. */
  async #refuseNew(t: MountTarget, cap: 'symlinks' | 'hardLinks', op: string, opts?: OpOptions): Promise<void> {
    if (t.mount.backend.capabilities[cap]) return
    const taken = await this.statIn(t.mount, t.rel, t.path, opts).then(() => true, () => false)
    throw new VfsError(taken ? 'EEXIST' : 'EPERM', op, t.path)
  }

  async symlink(target: string, path: string, opts?: OpOptions): Promise<void> {
    const t = this.#creatable(path, 'symlink')
    await this.#refuseNew(t, 'symlinks', 'symlink', opts)
    await this.journaled('symlink', t, [t.path], { target }, async () => {
      await call(() => t.mount.backend.symlink?.(target, t.rel, opts) as Promise<void>, 'symlink', t.path)
      this.changed(t)
      await this.adopt(t, opts)
    })
  }

  async readlink(path: string, opts?: OpOptions): Promise<string> {
    const r = this.resolve(path, 'readlink')
    if (r.kind === 'synthetic' || !r.mount.backend.readlink) throw new VfsError('EINVAL', 'readlink', r.path)
    const { mount, rel } = r
    return call(() => mount.backend.readlink?.(rel, opts) as Promise<string>, 'readlink', r.path)
  }

  async link(existing: string, path: string, opts?: OpOptions): Promise<void> {
    const src = this.#changeable(existing, 'link')
    const dst = this.#creatable(path, 'link')
    if (src.mount !== dst.mount) throw new VfsError('EXDEV', 'link', dst.path)
    // As the kernel's lookups: a missing source is ENOENT before the mount's EPERM.
    if (!dst.mount.backend.capabilities.hardLinks) await this.statIn(src.mount, src.rel, src.path, opts)
    await this.#refuseNew(dst, 'hardLinks', 'link', opts)
    await this.journaled('link', dst, [src.path, dst.path], undefined, () => call(() => dst.mount.backend.link?.(src.rel, dst.rel, opts) as Promise<void>, 'link', dst.path))
    // Both names now share one inode whose nlink and ctime changed: forget every cached stat.
    this.cache.invalidateTree(src.mount.point)
  }

  async chmod(path: string, mode: number, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'chmod')
    await this.journaled('chmod', t, [t.path], { mode: mode & 0o7777 }, async () => {
      const inStore = async () => {
        this.require(t, 'chmod', 'chmod', 'ENOTSUP')
        await call(() => t.mount.backend.chmod?.(t.rel, mode & 0o7777, opts) as Promise<void>, 'chmod', t.path)
      }
      await this.files.setMeta(t.mount, t.rel, { mode: mode & 0o7777 }, inStore)
      this.changed(t)
    })
  }

  async chown(path: string, uid: number, gid: number, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'chown')
    const current = await this.statIn(t.mount, t.rel, t.path, opts)
    // chown(2) with -1 keeps that id; FUSE hands us (uint32)-1.
    const u = uid === -1 || uid === 0xffffffff ? current.uid : uid
    const g = gid === -1 || gid === 0xffffffff ? current.gid : gid
    await this.journaled('chown', t, [t.path], { uid: u, gid: g }, async () => {
      const inStore = async () => {
        // chown(2) to the owner it already has changes nothing, so it succeeds even where the store
        // keeps no owners: `cp -a`, `tar x` and `mv` across mounts, run as root, chown every folder
        // they create and fail on ENOTSUP.
        if (!t.mount.backend.capabilities.chown && u === current.uid && g === current.gid) return
        this.require(t, 'chown', 'chown', 'ENOTSUP')
        await call(() => t.mount.backend.chown?.(t.rel, u, g, opts) as Promise<void>, 'chown', t.path)
      }
      await this.files.setMeta(t.mount, t.rel, { uid: u, gid: g }, inStore)
      this.changed(t)
    })
  }

  async utimens(path: string, atime: TimeSpec, mtime: TimeSpec, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'utimens')
    const now = nowNs()
    const atimeNs = atime === 'omit' ? undefined : atime === 'now' ? now : atime
    const mtimeNs = mtime === 'omit' ? undefined : mtime === 'now' ? now : mtime
    const args = { ...(atimeNs === undefined ? {} : { atimeNs: String(atimeNs) }), ...(mtimeNs === undefined ? {} : { mtimeNs: String(mtimeNs) }) }
    await this.journaled('utimens', t, [t.path], args, async () => {
      const times = { ...(atimeNs === undefined ? {} : { atimeNs }), ...(mtimeNs === undefined ? {} : { mtimeNs }) }
      const inStore = async () => {
        this.require(t, 'utimens', 'utimens', 'ENOTSUP')
        await call(() => t.mount.backend.utimens?.(t.rel, times, opts) as Promise<void>, 'utimens', t.path)
      }
      await this.files.setMeta(t.mount, t.rel, times, inStore)
      this.changed(t)
    })
  }

  async truncate(path: string, size: number, opts?: OpOptions): Promise<void> {
    if (size < 0) throw new VfsError('EINVAL', 'truncate', path)
    const t = this.#changeable(path, 'truncate')
    await this.journaled('truncate', t, [t.path], { size }, async () => {
      await this.files.truncatePath(t, size, opts)
      this.changed(t)
    })
  }

  // --- extended attributes -------------------------------------------------------------------

  /**
   * A file created here and not yet uploaded has no object in the store to hold attributes: it
   * has none (ENODATA), and cannot take one until it is closed (ENOTSUP, which cp -a and rsync
   * -X report as "not supported" rather than as a lost file).
   */
  #unstored(t: MountTarget): boolean {
    const node = this.nodes.get(t.mount, t.rel)
    return node?.staged?.isNew === true && !node.gone
  }

  async getxattr(path: string, name: string, opts?: OpOptions): Promise<Buffer> {
    const t = this.#xattrTarget(path, 'getxattr')
    if (this.#unstored(t)) throw new VfsError('ENODATA', 'getxattr', t.path)
    return call(() => t.mount.backend.getxattr?.(t.rel, name, opts) as Promise<Buffer>, 'getxattr', t.path)
  }

  async listxattr(path: string, opts?: OpOptions): Promise<string[]> {
    const r = this.resolve(path, 'listxattr')
    if (r.kind === 'synthetic' || !r.mount.backend.capabilities.xattrs || !r.mount.backend.listxattr || this.#unstored(r)) return []
    const { mount, rel } = r
    return call(() => mount.backend.listxattr?.(rel, opts) as Promise<string[]>, 'listxattr', r.path)
  }

  async setxattr(path: string, name: string, value: Buffer, flags: XattrFlags, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'setxattr')
    this.require(t, 'xattrsWritable', 'setxattr', 'ENOTSUP')
    if (this.#unstored(t)) throw new VfsError('ENOTSUP', 'setxattr', t.path)
    await this.journaled('setxattr', t, [t.path], { name, value: Buffer.from(value).toString('base64'), ...(flags ? { flags } : {}) }, async () => {
      await call(() => t.mount.backend.setxattr?.(t.rel, name, value, flags, opts) as Promise<void>, 'setxattr', t.path)
      this.changed(t)
    })
  }

  async removexattr(path: string, name: string, opts?: OpOptions): Promise<void> {
    const t = this.#changeable(path, 'removexattr')
    this.require(t, 'xattrsWritable', 'removexattr', 'ENOTSUP')
    if (this.#unstored(t)) throw new VfsError('ENODATA', 'removexattr', t.path)
    await this.journaled('removexattr', t, [t.path], { name }, async () => {
      await call(() => t.mount.backend.removexattr?.(t.rel, name, opts) as Promise<void>, 'removexattr', t.path)
      this.changed(t)
    })
  }

  #xattrTarget(path: string, op: string): MountTarget {
    const r = this.resolve(path, op)
    // No attribute exists where the store keeps none: ENODATA, as on a filesystem without them.
    if (r.kind === 'synthetic' || !r.mount.backend.capabilities.xattrs || !r.mount.backend.getxattr) throw new VfsError('ENODATA', op, r.path)
    return r
  }

  // --- files (delegated) ---------------------------------------------------------------------

  open(path: string, flags: number, opts?: OpOptions): Promise<number> {
    return this.files.open(path, flags, undefined, opts)
  }

  create(path: string, mode: number, flags: number, opts?: OpOptions): Promise<number> {
    return this.files.open(path, flags | constants.O_CREAT, mode, opts)
  }

  read(fh: number, buffer: Uint8Array, position: number, opts?: OpOptions): Promise<number> {
    return this.files.read(fh, buffer, position, opts)
  }

  write(fh: number, buffer: Uint8Array, position: number, opts?: OpOptions): Promise<number> {
    return this.files.write(fh, buffer, position, opts)
  }

  ftruncate(fh: number, size: number, opts?: OpOptions): Promise<void> {
    return this.files.ftruncate(fh, size, opts)
  }

  fstat(fh: number, opts?: OpOptions): Promise<VfsStat> {
    return this.files.fstat(fh, opts)
  }

  flush(fh: number, opts?: OpOptions): Promise<void> {
    return this.files.flush(fh, opts)
  }

  fsync(fh: number, datasync: boolean, opts?: OpOptions): Promise<void> {
    return this.files.fsync(fh, datasync, opts)
  }

  release(fh: number, opts?: OpOptions): Promise<void> {
    return this.files.release(fh, opts)
  }

  // --- helpers shared with FileOps -----------------------------------------------------------

  /** An existing entry inside a mount that `op` changes (the mount point itself is busy). */
  #changeable(path: string, op: string): MountTarget {
    const r = this.resolve(path, op)
    if (r.kind === 'synthetic') throw new VfsError('EROFS', op, r.path)
    if (r.rel === '/' && op !== 'chmod' && op !== 'chown' && op !== 'utimens' && !op.endsWith('xattr')) throw new VfsError('EBUSY', op, r.path)
    if (r.mount.readOnly || r.mount.backend.readOnlyAt?.(r.rel)) throw new VfsError('EROFS', op, r.path)
    return r
  }

  #creatable(path: string, op: string): MountTarget {
    const r = this.#resolveForCreate(path, op)
    if (r.kind === 'synthetic' || r.rel === '/') throw new VfsError('EEXIST', op, r.path)
    return this.writable(path, op)
  }

  /** Forgets cached attributes of the entry and its folder. */
  changed(t: MountTarget): void {
    this.cache.invalidate(t.path, dirname(t.path))
  }

  /** New entries belong to the caller, not to the daemon, where the store keeps owners. */
  async adopt(t: MountTarget, opts?: OpOptions): Promise<void> {
    const c = opts?.caller
    if (!c || (c.uid === this.#uid && c.gid === this.#gid) || !t.mount.backend.capabilities.chown || !t.mount.backend.chown) return
    await call(() => t.mount.backend.chown?.(t.rel, c.uid, c.gid, opts) as Promise<void>, 'chown', t.path)
  }

  get owner(): { uid: number; gid: number } {
    return { uid: this.#uid, gid: this.#gid }
  }

}

/** Runs a backend call and makes sure whatever it throws is a VfsError naming the VFS path. */
export async function call<T>(fn: () => Promise<T>, op: string, path: string): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    const e = toVfsError(err, op, path)
    if (e.path === path) throw e
    throw new VfsError(e.code, e.op, path, { cause: e.cause ?? e })
  }
}
