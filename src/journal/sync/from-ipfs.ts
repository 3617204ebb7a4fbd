/**
 * `sync from-ipfs`: materialises a UnixFS DAG into any VFS path, streaming each file from the
 * exporter into the Vfs (create, write, chmod, utimens, release), folders made before their
 * content and given their mode and mtime after it (adding entries would move the mtime again).
 *
 * What is already there: a folder is merged into; a file or symlink that differs is a conflict,
 * answered by `conflict`: `fail` (the default: EEXIST, and nothing is written: checked before
 * anything changes), `skip` (keep it) or `overwrite`. A file whose stat matches the sync index's
 * record of this very CID is already right and is left alone (so a restore rewrites only what
 * changed). `delete` removes what the DAG does not have.
 */
import * as dagPB from '@ipld/dag-pb'
import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { fromMtime } from '../../mounts/ipfs/import-settings.ts'
import { type EntryType, entryType } from '../../vfs/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import { dirname, joinPath, normalizePath } from '../../vfs/paths.ts'
import type { VfsStat } from '../../vfs/vfs.ts'
import { createLogger } from '../../log.ts'
import { ProgressMeter } from './progress.ts'
import { matches } from './sync-index.ts'
import type { SyncContext, SyncOptions } from './types.ts'
import { makeParents, removeTree, setMeta, writeVfsFile } from './vfs-io.ts'

const log = createLogger('sync')

export type Conflict = 'fail' | 'skip' | 'overwrite'

export interface FromIpfsOptions extends SyncOptions {
  conflict?: Conflict
  /** Remove what is at the target but not in the DAG. */
  delete?: boolean
}

export interface FromIpfsResult {
  /** Files written. */
  files: number
  /** Bytes written. */
  bytes: number
  /** Entries left as they were because of `conflict: skip`. */
  skipped: number
  /** Files already equal to the DAG's (by the sync index), not rewritten. */
  unchanged: number
  /** Entries removed (`delete`, or replaced by an entry of another type). */
  deleted: number
}

type Kind = 'dir' | 'file' | 'symlink' | 'other'

function kindOf(entry: UnixFSEntry): Kind {
  if (entry.type === 'directory') return 'dir'
  if (entry.type === 'file') return entry.unixfs.type === 'symlink' ? 'symlink' : 'file'
  if (entry.type === 'raw' || entry.type === 'identity') return 'file'
  return 'other'
}

function modeOf(entry: UnixFSEntry): number {
  return entry.type === 'file' || entry.type === 'directory' ? (entry.unixfs.mode ?? (entry.type === 'directory' ? 0o755 : 0o644)) & 0o7777 : 0o644
}

function mtimeOf(entry: UnixFSEntry): bigint | undefined {
  return (entry.type === 'file' || entry.type === 'directory') && entry.unixfs.mtime !== undefined ? fromMtime(entry.unixfs.mtime) : undefined
}

const asKind = (t: EntryType): Kind => t

class Materialiser {
  readonly #ctx: SyncContext
  readonly #opts: FromIpfsOptions
  readonly #meter: ProgressMeter
  readonly result: FromIpfsResult = { files: 0, bytes: 0, skipped: 0, unchanged: 0, deleted: 0 }

  constructor(ctx: SyncContext, opts: FromIpfsOptions) {
    this.#ctx = ctx
    this.#opts = opts
    this.#meter = new ProgressMeter(opts)
  }

  get #signal(): AbortSignal | undefined {
    return this.#opts.signal
  }

  async load(cid: CID): Promise<UnixFSEntry> {
    return exporter(cid, this.#ctx.blocks, { offline: this.#ctx.offline, signal: this.#signal })
  }

  async #stat(path: string): Promise<VfsStat | undefined> {
    return this.#ctx.vfs.stat(path, { signal: this.#signal }).catch((err: unknown) => {
      if (err instanceof VfsError && err.code === 'ENOENT') return undefined
      throw err
    })
  }

  /** True when the file at `path` is known (sync index) to hold exactly `cid`. */
  async #sameFile(path: string, stat: VfsStat, cid: CID): Promise<boolean> {
    const known = await this.#ctx.index.get(path)
    return matches(known, { size: stat.size, mtimeNs: stat.mtimeNs, mode: stat.mode & 0o7777 }) && known.cid === cid.toString()
  }

  /** conflict=fail: walks the DAG against the target first, so a conflict changes nothing. */
  async check(entry: UnixFSEntry, path: string): Promise<void> {
    this.#signal?.throwIfAborted()
    const stat = await this.#stat(path)
    if (stat === undefined) return
    const kind = kindOf(entry)
    const have = asKind(entryType(stat.mode))
    if (kind === 'dir' && have === 'dir') {
      if (entry.type !== 'directory') return
      for await (const child of entry.entries({ offline: this.#ctx.offline, signal: this.#signal })) await this.check(await this.load(child.cid), joinPath(path, child.name))
      return
    }
    if (kind === 'file' && have === 'file' && (await this.#sameFile(path, stat, entry.cid))) return
    if (kind === 'symlink' && have === 'symlink' && (await this.#ctx.vfs.readlink(path)) === symlinkTarget(entry)) return
    throw new VfsError('EEXIST', 'sync', path, { message: `EEXIST: ${path} exists and differs (conflict: fail; use skip or overwrite)` })
  }

  /** `tsize` is the link's Tsize in the parent (known for all but the root). */
  async put(entry: UnixFSEntry, path: string, tsize?: bigint): Promise<void> {
    this.#signal?.throwIfAborted()
    const kind = kindOf(entry)
    if (kind === 'other') {
      log.warn(`sync: ${path}: ${entry.cid} is not UnixFS, left out`)
      return
    }
    let stat = await this.#stat(path)
    if (stat !== undefined && asKind(entryType(stat.mode)) !== kind) {
      if (this.#opts.conflict === 'skip') return void this.result.skipped++
      this.result.deleted += await removeTree(this.#ctx.vfs, path, this.#signal)
      stat = undefined
    }
    if (kind === 'dir') return this.#putDir(entry, path, stat)
    if (kind === 'symlink') return this.#putSymlink(entry, path, stat)
    return this.#putFile(entry, path, stat, tsize)
  }

  async #putDir(entry: UnixFSEntry, path: string, stat: VfsStat | undefined): Promise<void> {
    const vfs = this.#ctx.vfs
    if (entry.type !== 'directory') return
    if (stat === undefined) await vfs.mkdir(path, 0o700, { signal: this.#signal })
    const names = new Set<string>()
    for await (const child of entry.entries({ offline: this.#ctx.offline, signal: this.#signal })) {
      names.add(child.name)
      await this.put(await this.load(child.cid), joinPath(path, child.name), child.size)
    }
    if (this.#opts.delete) {
      for (const e of await vfs.readdir(path, { signal: this.#signal })) {
        if (e.name === '.' || e.name === '..' || names.has(e.name)) continue
        this.result.deleted += await removeTree(vfs, joinPath(path, e.name), this.#signal)
      }
    }
    await setMeta(vfs, path, modeOf(entry), mtimeOf(entry), this.#signal)
  }

  async #putSymlink(entry: UnixFSEntry, path: string, stat: VfsStat | undefined): Promise<void> {
    const target = symlinkTarget(entry)
    const vfs = this.#ctx.vfs
    if (stat !== undefined) {
      if ((await vfs.readlink(path, { signal: this.#signal })) === target) return void this.result.unchanged++
      if (this.#opts.conflict === 'skip') return void this.result.skipped++
      await vfs.unlink(path, { signal: this.#signal })
    }
    await vfs.symlink(target, path, { signal: this.#signal })
    await setMeta(vfs, path, undefined, mtimeOf(entry), this.#signal)
    this.result.files++
  }

  async #putFile(entry: UnixFSEntry, path: string, stat: VfsStat | undefined, tsize: bigint | undefined): Promise<void> {
    if (entry.type === 'directory' || entry.type === 'object') return
    if (stat !== undefined) {
      if (await this.#sameFile(path, stat, entry.cid)) {
        this.result.unchanged++
        this.#meter.add(stat.size, 1)
        return
      }
      if (this.#opts.conflict === 'skip') return void this.result.skipped++
    }
    const mode = modeOf(entry)
    const mtimeNs = mtimeOf(entry)
    const content = entry.content({ offline: this.#ctx.offline, signal: this.#signal })
    const written = await writeVfsFile(this.#ctx.vfs, path, content, { mode, ...(mtimeNs === undefined ? {} : { mtimeNs }) }, this.#signal, (n) => this.#meter.add(n))
    this.result.files++
    this.result.bytes += written
    this.#meter.add(0, 1)
    await this.#remember(path, entry, mode, mtimeNs, written, tsize)
  }

  /**
   * Records the file just written in the sync index when a sync of it would give this very CID
   * (its mount kept the mode and the exact mtime): then the next checkpoint does not read it again.
   */
  async #remember(path: string, entry: UnixFSEntry, mode: number, mtimeNs: bigint | undefined, size: number, tsize: bigint | undefined): Promise<void> {
    if (mtimeNs === undefined) return
    const stat = await this.#stat(path)
    if (stat === undefined || stat.size !== size || (stat.mode & 0o7777) !== mode || stat.mtimeNs !== mtimeNs) return
    await this.#ctx.index.update([[path, { size, mtimeNs: mtimeNs.toString(), mode, cid: entry.cid.toString(), tsize: Number(tsize ?? dagSize(entry)) }]])
  }

  done(): void {
    this.#meter.done()
  }
}

/** What the importer reports as a file's size (its block plus its links' Tsizes): the Tsize a parent would link it with. */
function dagSize(entry: UnixFSEntry): number {
  if (entry.type !== 'file') return entry.type === 'raw' || entry.type === 'identity' ? entry.node.byteLength : 0
  return dagPB.encode(entry.node).byteLength + entry.node.Links.reduce((n, l) => n + (l.Tsize ?? 0), 0)
}

function symlinkTarget(entry: UnixFSEntry): string {
  return entry.type === 'file' ? new TextDecoder().decode(entry.unixfs.data ?? new Uint8Array()) : ''
}

export async function syncFromIpfs(ctx: SyncContext, cid: CID, path: string, opts: FromIpfsOptions = {}): Promise<FromIpfsResult> {
  const target = normalizePath(path, 'sync')
  const m = new Materialiser(ctx, opts)
  const root = await m.load(cid)
  if ((opts.conflict ?? 'fail') === 'fail') await m.check(root, target)
  if (target !== '/') await makeParents(ctx.vfs, dirname(target), opts.signal)
  await m.put(root, target)
  m.done()
  return m.result
}
