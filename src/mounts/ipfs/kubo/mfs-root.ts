/**
 * The Kubo engine's tree lives in the daemon's MFS: a folder (`mfsRoot`, default '/') whose
 * contents are the mount's. This is the tree's root record (tree.ts's RootRecord): a change is
 * computed by the Helia engine's own code (ops.ts, dir-edit.ts: the same nodes, the same CIDs,
 * the same folder mtimes and HAMT rules), its new nodes written to the daemon (`block/put`,
 * `dag/import`), and then linked into MFS:
 * - `mfsRoot` a subfolder: the folder itself is replaced (`files/rm` then `files/cp` of the new
 *   root);
 * - `mfsRoot` '/': the MFS root itself cannot be replaced, so each top-level entry that differs is
 *   (`files/rm`, `files/cp`); the MFS root's own node is then MFS's (js-ipfs stamps its mtime on
 *   every change, Kubo keeps it).
 * MFS edits only the folder that holds what is replaced. Had MFS made every edit (`files/mv` deep
 * in the tree), folder mtimes would be the daemon's: js-ipfs stamps every folder above a change
 * with the current time, which `rsync -a` and `cp -a` then see as lost times.
 *
 * Kubo flushes each MFS call and keeps the MFS root in its datastore, so the root is persisted by
 * the daemon after every completed change; MFS is the daemon's GC root (`ipfs repo gc` keeps what
 * the files root reaches), so no pin is needed. The root published after a change is what MFS
 * then reports (`files/stat`), the CID `user.ipfs.cid` gives on '/'.
 *
 * Replacing is `files/rm` then `files/cp`: a reader outside ipfs-vfs (`ipfs files ls`) can see the
 * name missing in between; reads through ipfs-vfs keep the root the change started from until it
 * is done. If the `cp` fails, the old entry is linked back. A change that has started calling MFS
 * is not cut short by the caller's deadline (a half-done replacement would lose the entry); each
 * call has a fixed timeout of its own.
 */
import { CID } from 'multiformats/cid'
import { nowNs } from '../../../vfs/backend.ts'
import { VfsError } from '../../../vfs/errors.ts'
import { createLogger } from '../../../log.ts'
import { makeDir } from '../dir-edit.ts'
import { DEFAULT_DIR_MODE, toMtime } from '../import-settings.ts'
import { type DagContext, listLinks, loadNode, type ReadOptions, type TreeNode } from '../nodes.ts'
import type { RootRecord } from '../tree.ts'
import { type KuboConnection, rpcError, rpcErrno } from './rpc.ts'

const log = createLogger('ipfs:kubo')

/** How long one MFS call of a started change may take. */
const MUTATION_TIMEOUT_MS = 60_000

export class MfsRoot implements RootRecord {
  readonly ctx: DagContext
  readonly conn: KuboConnection
  /** The MFS folder shown at the mount point. */
  readonly mfsRoot: string
  readonly #rootTtlMs: number
  #root: { node: TreeNode; at: number } | undefined
  #changing = false

  private constructor(ctx: DagContext, conn: KuboConnection, mfsRoot: string, rootTtlMs: number) {
    this.ctx = ctx
    this.conn = conn
    this.mfsRoot = mfsRoot
    this.#rootTtlMs = rootTtlMs
  }

  /** The folder at `mfsRoot`, created (with its parents) when missing; EIO when it is not a folder. */
  static async open(ctx: DagContext, conn: KuboConnection, mfsRoot: string, rootTtlMs: number): Promise<MfsRoot> {
    const record = new MfsRoot(ctx, conn, mfsRoot, rootTtlMs)
    try {
      await conn.client.files.stat(mfsRoot, { signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS) })
    } catch (err) {
      if (rpcErrno(err) !== 'ENOENT') throw rpcError(err, `files/stat ${mfsRoot}`)
      const mtime = ctx.settings.preserveMtime ? toMtime(nowNs()) : undefined
      const dir = await makeDir(ctx, { mode: DEFAULT_DIR_MODE, mtime })
      await conn.client.files.mkdir(mfsRoot.slice(0, mfsRoot.lastIndexOf('/')) || '/', { parents: true }).catch(() => {})
      await record.#cp(dir.cid, mfsRoot)
    }
    const root = await record.root({}, true)
    if (root.kind !== 'dir') throw new VfsError('EIO', 'open', '/', { message: `EIO: the MFS path ${mfsRoot} of ${conn.api} is not a folder` })
    return record
  }

  /**
   * The tree's root node. A change refreshes it when it completes and reads keep the root a change
   * started from while it runs; otherwise changes made by others (`ipfs files ...` beside the
   * mount) show after at most rootTtlMs.
   */
  async root(opts: ReadOptions, fresh = false): Promise<TreeNode> {
    const kept = this.#root
    if (!fresh && kept !== undefined && (this.#changing || Date.now() - kept.at < this.#rootTtlMs)) return kept.node
    let cid: CID
    try {
      cid = (await this.conn.client.files.stat(this.mfsRoot, { signal: opts.signal })).cid
    } catch (err) {
      throw rpcError(err, `files/stat ${this.mfsRoot}`)
    }
    const node = await loadNode(this.ctx, CID.asCID(cid) ?? CID.parse(cid.toString()), opts)
    this.#root = { node, at: Date.now() }
    return node
  }

  current(opts: ReadOptions): Promise<TreeNode> {
    return this.root(opts, true)
  }

  latest(opts: ReadOptions): Promise<TreeNode> {
    return this.root(opts, !this.#changing)
  }

  async save(root: TreeNode, previous: TreeNode): Promise<TreeNode> {
    this.#changing = true
    try {
      if (this.mfsRoot !== '/') await this.#replace(this.mfsRoot, previous.cid, root.cid)
      else await this.#swapEntries(previous, root)
    } finally {
      this.#changing = false
      this.#root = undefined
    }
    return this.root({}, true)
  }

  /** MFS's root '/' gets the top-level entries of `root` that differ from those of `previous`. */
  async #swapEntries(previous: TreeNode, root: TreeNode): Promise<void> {
    const entries = async (dir: TreeNode): Promise<Map<string, CID>> => {
      const out = new Map<string, CID>()
      for await (const link of listLinks(this.ctx, dir)) out.set(link.Name ?? '', link.Hash)
      return out
    }
    const [before, after] = await Promise.all([entries(previous), entries(root)])
    for (const name of before.keys()) if (!after.has(name)) await this.#rm(`/${name}`)
    for (const [name, cid] of after) {
      const old = before.get(name)
      if (old === undefined) await this.#cp(cid, `/${name}`)
      else if (!old.equals(cid)) await this.#replace(`/${name}`, old, cid)
    }
  }

  /** The entry at `path` (holding `old`) now holds `cid`; the old one linked back if that fails. */
  async #replace(path: string, old: CID, cid: CID): Promise<void> {
    await this.#rm(path)
    try {
      await this.#cp(cid, path)
    } catch (err) {
      await this.#cp(old, path).catch((again: unknown) => log.error(`linking ${old} back at ${path} after a failed replacement`, again))
      throw err
    }
  }

  /**
   * Options for every MFS change. js-ipfs re-encodes each folder it edits as CIDv0 unless told
   * otherwise; Kubo keeps each folder's own CID version (and its commands take no such option).
   */
  #edit(): { signal: AbortSignal; cidVersion?: 1 } {
    return { signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS), ...(this.conn.dialect === 'js-ipfs' ? { cidVersion: 1 as const } : {}) }
  }

  async #cp(cid: CID, path: string): Promise<void> {
    try {
      await this.conn.client.files.cp(`/ipfs/${cid}`, path, this.#edit())
    } catch (err) {
      throw rpcError(err, `files/cp ${path}`)
    }
  }

  async #rm(path: string): Promise<void> {
    try {
      await this.conn.client.files.rm(path, { recursive: true, ...this.#edit() })
    } catch (err) {
      throw rpcError(err, `files/rm ${path}`)
    }
  }

  /**
   * The MFS root's own mode or mtime, which no `files/cp` can replace: Kubo's `files/chmod` and
   * `files/touch`; a daemon without them for '/' (js-ipfs) answers EPERM.
   */
  async rootMeta(change: { mode?: number; mtime?: { secs: bigint; nsecs?: number } }): Promise<void> {
    if (this.conn.dialect !== 'kubo') throw Object.assign(new Error(`${this.conn.agent} cannot change the metadata of the MFS root`), { code: 'EPERM' })
    const calls: string[] = []
    if (change.mode !== undefined) calls.push(`files/chmod?arg=${change.mode.toString(8).padStart(4, '0')}&arg=/`)
    if (change.mtime !== undefined) calls.push(`files/touch?arg=/&mtime=${change.mtime.secs}&mtime-nsecs=${change.mtime.nsecs ?? 0}`)
    try {
      for (const call of calls) {
        const res = await fetch(new URL(`/api/v0/${call}`, this.conn.api), { method: 'POST', signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS) })
        if (!res.ok) throw Object.assign(new Error(`${this.conn.agent} refused ${call.split('?')[0]} on the MFS root: ${res.status} ${await res.text()}`), { code: 'EPERM' })
      }
    } finally {
      this.#root = undefined
    }
  }
}
