/**
 * Checkpoints: a set of VFS paths synced to IPFS (incrementally, sync/to-ipfs.ts) and recorded
 * as root CIDs with the journal's sequence number and a label; diffed by CID (diff.ts) and
 * restored by materialising a root, or any path inside one, into any VFS path (sync/from-ipfs.ts).
 */
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { VfsError } from '../../vfs/errors.ts'
import { isWithin, normalizePath } from '../../vfs/paths.ts'
import { type FromIpfsResult, syncFromIpfs } from '../sync/from-ipfs.ts'
import { journalOf, mountOf, type SyncHost, syncContext } from '../sync/host.ts'
import { syncToIpfs } from '../sync/to-ipfs.ts'
import type { SyncContext, SyncOptions, SyncProgress } from '../sync/types.ts'
import { type Change, diffRoots } from './diff.ts'
import { type Checkpoint, CheckpointStore } from './store.ts'

export interface RestoreRequest {
  /** Checkpoint id or label. */
  id: string | number
  /** Only this path of the checkpoint (a root or anything inside one). Default: every root. */
  path?: string
  /** Where to put it. Default: where it was. */
  target?: string
  /** Remove what the checkpoint does not have. */
  delete?: boolean
}

export type RestoreResult = Omit<FromIpfsResult, never>

export class Checkpoints {
  readonly store: CheckpointStore
  readonly #host: SyncHost
  /** One checkpoint at a time: two would race on the sync index and on ids. */
  #tail: Promise<unknown> = Promise.resolve()

  constructor(host: SyncHost) {
    this.#host = host
    this.store = new CheckpointStore(host.db)
  }

  /** Every mount that can change: what a checkpoint without paths covers. */
  writableMounts(): string[] {
    return this.#host.vfs.mounts
      .list()
      .filter((m) => !m.readOnly && !m.backend.capabilities.readOnly)
      .map((m) => m.point)
      .sort()
  }

  create(request: { paths?: string[] | undefined; label?: string | undefined }, opts: SyncOptions = {}): Promise<Checkpoint> {
    return this.#queued(() => this.#create(request, opts))
  }

  #queued<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn)
    this.#tail = run.catch(() => undefined)
    return run
  }

  async #create(request: { paths?: string[] | undefined; label?: string | undefined }, opts: SyncOptions): Promise<Checkpoint> {
    const paths = [...new Set((request.paths?.length ? request.paths : this.writableMounts()).map((p) => normalizePath(p, 'checkpoint')))]
    if (paths.length === 0) throw new VfsError('EINVAL', 'checkpoint', undefined, { message: 'EINVAL: checkpoint: no writable mount to record' })
    const label = request.label ?? ''
    const ticket = await journalOf(this.#host)?.begin({ op: 'checkpoint', mount: '', paths, args: { label } })
    try {
      const roots = await this.#syncAll(await syncContext(this.#host), paths, opts)
      const cp: Checkpoint = { id: await this.store.nextId(), label, seq: ticket?.seq ?? 0, time: Date.now(), roots }
      await this.store.put(cp)
      await ticket?.end({ result: { id: cp.id } })
      return cp
    } catch (err) {
      await ticket?.end({ errno: err instanceof VfsError ? err.code : 'EIO' })
      throw err
    }
  }

  /** Syncs each path in turn; progress adds up across them. */
  async #syncAll(ctx: SyncContext, paths: string[], opts: SyncOptions): Promise<Record<string, string>> {
    const roots: Record<string, string> = {}
    const before: SyncProgress = { bytes: 0, files: 0 }
    let total: { bytes: number; files: number } | undefined
    for (const path of paths) {
      const r = await syncToIpfs(ctx, path, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        // Totals grow as each path's walk finishes: later paths are not walked yet.
        onProgress: (p) => {
          if (p.totalBytes !== undefined) total = { bytes: before.bytes + p.totalBytes, files: before.files + (p.totalFiles ?? 0) }
          opts.onProgress?.({ bytes: before.bytes + p.bytes, files: before.files + p.files, ...(total ? { totalBytes: total.bytes, totalFiles: total.files } : {}) })
        },
      })
      roots[path] = r.cid
      // What this path counted, read or reused: the next path's figures start after it.
      before.bytes = total?.bytes ?? before.bytes + r.bytes
      before.files += r.files
    }
    return roots
  }

  list(): Promise<Checkpoint[]> {
    return this.store.list()
  }

  /** A checkpoint by id, or the latest one with that label. */
  async get(ref: string | number): Promise<Checkpoint> {
    const text = String(ref)
    if (/^\d+$/.test(text)) {
      const cp = await this.store.get(Number(text))
      if (cp) return cp
    } else {
      const all = await this.store.list()
      const cp = all.filter((c) => c.label === text).at(-1)
      if (cp) return cp
    }
    throw new VfsError('ENOENT', 'checkpoint', undefined, { message: `ENOENT: no checkpoint ${text}` })
  }

  /** What changed from `a` to `b`; `b` = 'current' syncs a's paths now (incrementally) and compares with that. */
  async diff(a: string | number, b: string | number, opts: SyncOptions = {}): Promise<Change[]> {
    const from = await this.get(a)
    const ctx = await syncContext(this.#host)
    // `current` records nothing: the roots synced now are only compared.
    const to = String(b) === 'current' ? await this.#queued(() => this.#syncAll(ctx, Object.keys(from.roots), opts)) : (await this.get(b)).roots
    return diffRoots({ blocks: ctx.blocks, offline: ctx.offline, signal: opts.signal }, from.roots, to)
  }

  async restore(req: RestoreRequest, opts: SyncOptions = {}): Promise<RestoreResult> {
    const cp = await this.get(req.id)
    const ctx = await syncContext(this.#host)
    const plan = await this.#plan(ctx, cp, req)
    const total: RestoreResult = { files: 0, bytes: 0, skipped: 0, unchanged: 0, deleted: 0 }
    const paths = plan.map((p) => p.target)
    const ticket = await journalOf(this.#host)?.begin({ op: 'restore', mount: paths.length === 1 ? mountOf(this.#host, paths[0] as string) : '', paths, args: { id: cp.id, delete: req.delete === true } })
    try {
      for (const { cid, target } of plan) {
        const base = { ...total }
        const r = await syncFromIpfs(ctx, cid, target, {
          conflict: 'overwrite',
          ...(req.delete ? { delete: true } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          onProgress: (p) => opts.onProgress?.({ bytes: base.bytes + p.bytes, files: base.files + p.files }),
        })
        for (const k of Object.keys(total) as (keyof RestoreResult)[]) total[k] += r[k]
      }
      await ticket?.end({ result: { ...total } })
      return total
    } catch (err) {
      await ticket?.end({ errno: err instanceof VfsError ? err.code : 'EIO' })
      throw err
    }
  }

  /** Which CID goes where: every root in place, or one path (root or inside one) to `target` or in place. */
  async #plan(ctx: SyncContext, cp: Checkpoint, req: RestoreRequest): Promise<{ cid: CID; target: string }[]> {
    const target = req.target === undefined ? undefined : normalizePath(req.target, 'restore')
    if (req.path === undefined) {
      const roots = Object.entries(cp.roots)
      if (target !== undefined && roots.length !== 1) throw new VfsError('EINVAL', 'restore', target, { message: `EINVAL: checkpoint ${cp.id} has ${roots.length} roots: name one with --path to restore it elsewhere` })
      return roots.map(([path, cid]) => ({ cid: CID.parse(cid), target: target ?? path }))
    }
    const path = normalizePath(req.path, 'restore')
    const root = Object.keys(cp.roots)
      .filter((r) => isWithin(path, r))
      .sort((x, y) => y.length - x.length)[0]
    if (root === undefined) throw new VfsError('ENOENT', 'restore', path, { message: `ENOENT: ${path} is not in checkpoint ${cp.id}` })
    const rootCid = cp.roots[root] as string
    const rel = path === root ? '' : path.slice(root === '/' ? 1 : root.length + 1)
    let cid: CID
    try {
      cid = rel === '' ? CID.parse(rootCid) : (await exporter(`${rootCid}/${rel}`, ctx.blocks, { offline: ctx.offline })).cid
    } catch (err) {
      throw new VfsError('ENOENT', 'restore', path, { cause: err, message: `ENOENT: ${path} is not in checkpoint ${cp.id}` })
    }
    return [{ cid, target: target ?? path }]
  }

  /** Deletes the oldest checkpoints labelled `label` beyond the newest `keep`; resolves to the oldest seq still retained. */
  async prune(label: string, keep: number): Promise<number | undefined> {
    const all = await this.store.list()
    const mine = all.filter((c) => c.label === label)
    const gone = mine.slice(0, Math.max(0, mine.length - keep)).map((c) => c.id)
    await this.store.delete(gone)
    const kept = all.filter((c) => !gone.includes(c.id))
    return kept.length === 0 ? undefined : Math.min(...kept.map((c) => c.seq))
  }
}
