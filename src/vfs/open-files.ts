import { constants } from 'node:fs'
import type { CallOptions, OpenFlags, RandomAccessFile, Reader, Stat } from './backend.ts'
import { S_IFREG } from './backend.ts'
import { VfsError, toVfsError } from './errors.ts'
import type { OpJournal } from './journal-hook.ts'
import type { Mount } from './mount-table.ts'
import { dirname, isWithin, rebase } from './paths.ts'
import { type StagedFile, type StagedMeta, Staging } from './staging.ts'
import type { WriteSession } from './write-session.ts'

/**
 * One path of a whole-object mount that has open handles or a staged copy. Handles point at the
 * node, not at a path, so a rename moves every handle with it.
 */
export interface ObjectNode {
  mount: Mount
  rel: string
  staged: StagedFile | undefined
  /** Handles open on this node. */
  refs: number
  /** Removed (unlink, or replaced by a rename) while open: keep serving handles, never upload. */
  gone: boolean
}

/**
 * Handle state. A whole-object handle carries a sticky error: after a failed upload every later
 * flush and fsync on it answers the same code (mountpoint-s3's FileHandleState).
 */
export type Handle =
  | { kind: 'random'; mount: Mount; rel: string; file: RandomAccessFile; session?: WriteSession | undefined }
  | { kind: 'object'; node: ObjectNode; writable: boolean; reader: Reader | undefined; error: VfsError | undefined; session?: WriteSession | undefined }

const MAX_HANDLES = 0xffff_fff0

export class HandleTable {
  readonly #handles = new Map<number, Handle>()
  #next = 1

  add(handle: Handle): number {
    while (this.#handles.has(this.#next) || this.#next === 0) this.#next = (this.#next % MAX_HANDLES) + 1
    const fh = this.#next
    this.#next = (this.#next % MAX_HANDLES) + 1
    this.#handles.set(fh, handle)
    return fh
  }

  get(fh: number, op: string): Handle {
    const handle = this.#handles.get(fh)
    if (!handle) throw new VfsError('EBADF', op, undefined, { message: `EBADF: ${op}: no open handle ${fh}` })
    return handle
  }

  delete(fh: number): void {
    this.#handles.delete(fh)
  }

  get size(): number {
    return this.#handles.size
  }

  values(): IterableIterator<Handle> {
    return this.#handles.values()
  }
}

/** The staged copies and open nodes of whole-object mounts, keyed by mount and path. */
export class ObjectNodes {
  readonly staging: Staging
  /** Where acknowledged staged files are recorded until their upload succeeds (set by the Vfs). */
  journal: OpJournal | undefined
  readonly #nodes = new Map<string, ObjectNode>()
  /** One upload or materialisation at a time per node. */
  readonly #locks = new WeakMap<ObjectNode, Promise<unknown>>()

  constructor(stagingDir: string) {
    this.staging = new Staging(stagingDir)
  }

  get(mount: Mount, rel: string): ObjectNode | undefined {
    return this.#nodes.get(key(mount, rel))
  }

  acquire(mount: Mount, rel: string): ObjectNode {
    const k = key(mount, rel)
    let node = this.#nodes.get(k)
    if (!node) {
      node = { mount, rel, staged: undefined, refs: 0, gone: false }
      this.#nodes.set(k, node)
    }
    node.refs++
    return node
  }

  /** Drops the node once no handle holds it and nothing is left to upload. */
  async releaseIfIdle(node: ObjectNode): Promise<void> {
    if (node.refs > 0 || (node.staged?.dirty && !node.gone)) return
    if (this.#nodes.get(key(node.mount, node.rel)) === node) this.#nodes.delete(key(node.mount, node.rel))
    const staged = node.staged
    node.staged = undefined
    // A copy that goes (uploaded, or its file removed) must not come back at the next start.
    if (staged?.pendingRecorded) await this.journal?.removePendingUpload(staged.localPath)
    await staged?.discard()
  }

  /** Runs `fn` alone for this node (materialising or uploading its staged copy). */
  exclusive<T>(node: ObjectNode, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(node) ?? Promise.resolve()
    const next = prev.then(fn, fn)
    this.#locks.set(
      node,
      next.catch(() => {}),
    )
    return next
  }

  /**
   * The staged copy, made on first need: empty for new or truncated files (an upload of the
   * backend's when it can take one, staging.ts), else fetched.
   */
  ensureStaged(node: ObjectNode, meta: () => Promise<StagedMeta>, source: () => Promise<Reader> | undefined, opts?: CallOptions): Promise<StagedFile> {
    return this.exclusive(node, async () => {
      if (node.staged) return node.staged
      const reader = await source()
      try {
        const { backend } = node.mount
        const upload = reader ? undefined : backend.createUpload?.call(backend, opts)
        node.staged = upload ? await this.staging.createUpload(await meta(), upload) : await this.staging.create(await meta(), reader, opts)
      } finally {
        await reader?.close()
      }
      if (reader) node.staged.isNew = false
      return node.staged
    })
  }

  /** Uploads the staged copy if it changed since the last upload. */
  upload(node: ObjectNode, opts?: CallOptions): Promise<void> {
    return this.exclusive(node, async () => {
      const staged = node.staged
      if (!staged?.dirty || node.gone) return
      const put = node.mount.backend.put
      if (!put) throw new VfsError('EROFS', 'flush', node.rel)
      const version = staged.version
      const upload = staged.upload
      if (!upload) {
        await staged.sync()
        await this.#recordPending(node, staged, false)
      }
      const { mode, uid, gid, mtimeNs } = staged.meta
      try {
        if (upload) await upload.commit(node.rel, { size: staged.size, mode, uid, gid, mtimeNs }, opts)
        else await put.call(node.mount.backend, node.rel, { localPath: staged.localPath, size: staged.size, mode, uid, gid, mtimeNs }, opts)
      } catch (err) {
        // The caller hears of the failure, but the bytes stay owed to the store: durably now, in a
        // local copy (an upload's bytes are read back into one).
        if (await staged.stageLocally().then(() => true, () => false)) await staged.sync().then(() => this.#recordPending(node, staged, true)).catch(() => {})
        // An upload whose bytes cannot be read back (the store lost a piece) has nothing left to
        // keep: the copy goes with the last handle, and the path shows what the store has.
        else staged.dirty = false
        throw toVfsError(err, 'flush', node.rel)
      }
      staged.isNew = false
      if (staged.version === version) {
        staged.dirty = false
        if (staged.pendingRecorded) await this.journal?.removePendingUpload(staged.localPath)
        staged.pendingRecorded = false
      }
    })
  }

  /**
   * Before an upload (so before fsync or close is acknowledged) the journal learns that the
   * staged copy is owed to the store, so a daemon killed during the upload, or after a failed
   * one, uploads it at the next start. The record and the copy's name reach the kernel before the
   * upload starts, which is all a kill -9 needs; they are fsynced (`durable`) when the upload
   * failed. A successful fsync or close has nothing left to make durable here: its upload is
   * finished before it is answered, and the store keeps it.
   */
  async #recordPending(node: ObjectNode, staged: StagedFile, durable: boolean): Promise<void> {
    const journal = this.journal
    if (!journal) return
    if (durable && !staged.dirSynced) {
      await this.staging.syncDir()
      staged.dirSynced = true
    }
    const { mode, uid, gid, mtimeNs } = staged.meta
    // Only the running hash: reading a large copy back would delay the fsync.
    const xxh3 = staged.hash.digest(staged.size) ?? ''
    await journal.addPendingUpload({ mount: node.mount.point, rel: node.rel, localPath: staged.localPath, size: staged.size, xxh3, mode, uid, gid, mtimeNs: String(mtimeNs) }, durable)
    staged.pendingRecorded = true
  }

  /** A staged copy with a recorded pending upload that moved (rename): the record follows it. */
  async repointPending(node: ObjectNode): Promise<void> {
    const staged = node.staged
    if (staged?.pendingRecorded && !node.gone) await this.#recordPending(node, staged, true)
  }

  /** Staged files not yet in the backend, directly inside `dir` of `mount` (for listings). */
  newChildren(mount: Mount, dir: string): ObjectNode[] {
    const out: ObjectNode[] = []
    for (const node of this.#nodes.values()) {
      if (node.mount === mount && !node.gone && node.staged?.isNew && node.rel !== '/' && dirname(node.rel) === dir) out.push(node)
    }
    return out
  }

  /** Re-keys the nodes at or below `from` to `to`; a node that `to` replaces is marked gone. Returns the moved and the replaced nodes. */
  rename(mount: Mount, from: string, to: string): { moved: ObjectNode[]; replaced: ObjectNode[] } {
    const moved: ObjectNode[] = []
    const replaced: ObjectNode[] = []
    for (const [k, node] of this.#nodes) {
      if (node.mount !== mount) continue
      if (isWithin(node.rel, from)) moved.push(node)
      else if (isWithin(node.rel, to)) {
        node.gone = true
        replaced.push(node)
      } else continue
      this.#nodes.delete(k)
    }
    for (const node of moved) {
      node.rel = rebase(node.rel, from, to)
      this.#nodes.set(key(mount, node.rel), node)
    }
    return { moved, replaced }
  }

  /** Marks the node at `rel` removed: open handles keep their bytes, nothing is uploaded. */
  remove(mount: Mount, rel: string): ObjectNode | undefined {
    const node = this.#nodes.get(key(mount, rel))
    if (!node) return undefined
    node.gone = true
    this.#nodes.delete(key(mount, rel))
    return node
  }

  all(): ObjectNode[] {
    return [...this.#nodes.values()]
  }
}

function key(mount: Mount, rel: string): string {
  return `${mount.id}:${rel}`
}

/**
 * The stat of a staged file as it stands now (size and times of the local copy). A store that
 * keeps no atime reports the mtime in its place, and so does its staged copy: otherwise a file
 * still open (the kernel sends release after close(2) returns) would show an atime it is about to
 * lose.
 */
export function stagedStat(staged: StagedFile, base: Stat | undefined, keepsAtime: boolean): Stat {
  const { mode, uid, gid, mtimeNs } = staged.meta
  const atimeNs = keepsAtime ? staged.meta.atimeNs : mtimeNs
  return {
    mode: S_IFREG | (mode & 0o7777),
    size: staged.size,
    uid,
    gid,
    nlink: 1,
    ...(base?.ino === undefined ? {} : { ino: base.ino }),
    atimeNs,
    mtimeNs,
    ctimeNs: mtimeNs > (base?.ctimeNs ?? 0n) ? mtimeNs : (base?.ctimeNs ?? mtimeNs),
  }
}

/** O_ACCMODE is 3 on Linux; node's fs.constants does not carry it. */
const O_ACCMODE = 3

export function parseOpenFlags(flags: number): OpenFlags {
  const acc = flags & O_ACCMODE
  return {
    read: acc === constants.O_RDONLY || acc === constants.O_RDWR,
    write: acc === constants.O_WRONLY || acc === constants.O_RDWR,
    append: (flags & constants.O_APPEND) !== 0,
    create: (flags & constants.O_CREAT) !== 0,
    exclusive: (flags & constants.O_EXCL) !== 0,
    truncate: (flags & constants.O_TRUNC) !== 0,
  }
}
