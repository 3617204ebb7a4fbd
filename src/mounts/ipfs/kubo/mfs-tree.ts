/**
 * The mutable tree of the Kubo engine: a folder of the daemon's MFS (`mfsRoot`, default '/'), and
 * the namespace changes on it, one queue for all of them.
 *
 * Who does what. MFS holds the tree and makes every change to it (`files/cp`, `files/mv`,
 * `files/rm`); Kubo flushes each one and keeps the MFS root in its datastore, so the root is
 * persisted after every completed change by the daemon itself, and MFS roots are never garbage
 * collected by Kubo (`ipfs repo gc` keeps everything reachable from the files root), so no pin is
 * needed. The nodes we link in are built by us with the Helia engine's code (dir-edit.ts: new
 * directories and symlinks with their mode and mtime, metadata changes; ops.ts: file imports), so
 * the same content and metadata give the same CIDs in both engines. Before each change, the
 * checks POSIX asks for (EEXIST, ENOTEMPTY, EISDIR...) are made on the current tree, read block by
 * block like every read (read-side.ts).
 *
 * The queue. Changes run one at a time in this process, each on the MFS root current when its
 * turn comes. A change that replaces an entry (put over a file, rename over a file or an empty
 * folder, chmod, utimens) is two MFS calls, `files/rm` then `files/cp` or `files/mv`: js-ipfs's mv
 * and cp refuse an existing destination (Kubo's mv would replace a file in one call, but not an
 * empty folder). Through ipfs-vfs that is atomic (reads keep the root the change started from
 * until it is done); a reader outside ipfs-vfs (`ipfs files ls`) can see the name missing in
 * between, and if the second call fails the old entry is linked back.
 * Once a change has started calling MFS it is not cut short by the caller's deadline (a half-done
 * replacement would lose the entry); it has a fixed timeout of its own.
 */
import { CID } from 'multiformats/cid'
import type { Mtime } from 'ipfs-unixfs'
import { nowNs } from '../../../vfs/backend.ts'
import { VfsError } from '../../../vfs/errors.ts'
import { createLogger } from '../../../log.ts'
import { checkSignal, errno } from '../errors.ts'
import { makeDir, makeSymlink, type MetaChange, setMeta } from '../dir-edit.ts'
import { DEFAULT_DIR_MODE, toMtime } from '../import-settings.ts'
import { type DagContext, findLink, isEmptyDir, loadNode, type ReadOptions, resolvePath, type TreeNode } from '../nodes.ts'
import { parentAndName } from '../ops.ts'
import { splitPath } from '../tree.ts'
import { type KuboConnection, rpcError, rpcErrno } from './rpc.ts'

const log = createLogger('ipfs:kubo')

/** How long one MFS call of a started change may take. */
const MUTATION_TIMEOUT_MS = 60_000

export class MfsTree {
  readonly ctx: DagContext
  readonly conn: KuboConnection
  /** The MFS folder shown at the mount point. */
  readonly mfsRoot: string
  readonly #rootTtlMs: number
  #root: { node: TreeNode; at: number } | undefined
  #tail: Promise<unknown> = Promise.resolve()
  #changing = false

  private constructor(ctx: DagContext, conn: KuboConnection, mfsRoot: string, rootTtlMs: number) {
    this.ctx = ctx
    this.conn = conn
    this.mfsRoot = mfsRoot
    this.#rootTtlMs = rootTtlMs
  }

  /** The tree at `mfsRoot`, created (with its parents) when missing; EIO when it is not a folder. */
  static async open(ctx: DagContext, conn: KuboConnection, mfsRoot: string, rootTtlMs: number): Promise<MfsTree> {
    const tree = new MfsTree(ctx, conn, mfsRoot, rootTtlMs)
    try {
      await conn.client.files.stat(mfsRoot, { signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS) })
    } catch (err) {
      if (rpcErrno(err) !== 'ENOENT') throw rpcError(err, `files/stat ${mfsRoot}`)
      const mtime = ctx.settings.preserveMtime ? toMtime(nowNs()) : undefined
      const dir = await makeDir(ctx, { mode: DEFAULT_DIR_MODE, mtime })
      await conn.client.files.mkdir(mfsRoot.slice(0, mfsRoot.lastIndexOf('/')) || '/', { parents: true }).catch(() => {})
      await tree.#call('files/cp', () => conn.client.files.cp(`/ipfs/${dir.cid}`, mfsRoot, { signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS) }))
    }
    const root = await tree.root({}, true)
    if (root.kind !== 'dir') throw new VfsError('EIO', 'open', '/', { message: `EIO: the MFS path ${mfsRoot} of ${conn.api} is not a folder` })
    return tree
  }

  /** The MFS path of a backend path. */
  mfs(path: string): string {
    if (this.mfsRoot === '/') return path
    return path === '/' ? this.mfsRoot : `${this.mfsRoot}${path}`
  }

  /**
   * The tree's root node. Our own changes refresh it when they complete; changes made by others
   * (`ipfs files ...` beside the mount) show after at most rootTtlMs.
   */
  async root(opts: ReadOptions, fresh = false): Promise<TreeNode> {
    const kept = this.#root
    // While a change is between its MFS calls (rm, then cp), MFS holds a tree no POSIX call would
    // leave: reads keep the root the change started from until it is done.
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

  /** The time a change stamps on what it creates (none without preserveMtime). */
  touch(): Mtime | undefined {
    return this.ctx.settings.preserveMtime ? toMtime(nowNs()) : undefined
  }

  /** Runs `fn` in turn, on the root current when its turn comes; the root is read again after it. */
  change(opts: ReadOptions, fn: (root: TreeNode) => Promise<void>): Promise<void> {
    const run = async (): Promise<void> => {
      checkSignal(opts)
      const root = await this.root(opts, true)
      this.#changing = true
      try {
        await fn(root)
      } finally {
        this.#changing = false
        this.#root = undefined
        await this.root({}).catch((err: unknown) => log.warn('reading the MFS root after a change', err))
      }
    }
    const result = this.#tail.then(run)
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** Resolves once every change queued so far has finished. */
  async drain(): Promise<void> {
    await this.#tail
  }

  async #call(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (err) {
      throw rpcError(err, what)
    }
  }

  /**
   * Options for every MFS change. js-ipfs re-encodes each folder it edits as CIDv0 unless told
   * otherwise; Kubo keeps each folder's own CID version (and its commands take no such option).
   */
  #edit(): { signal: AbortSignal; cidVersion?: 1 } {
    return { signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS), ...(this.conn.dialect === 'js-ipfs' ? { cidVersion: 1 as const } : {}) }
  }

  cp(cid: CID, path: string): Promise<void> {
    return this.#call(`files/cp ${path}`, () => this.conn.client.files.cp(`/ipfs/${cid}`, this.mfs(path), this.#edit()))
  }

  rm(path: string, recursive: boolean): Promise<void> {
    return this.#call(`files/rm ${path}`, () => this.conn.client.files.rm(this.mfs(path), { recursive, ...this.#edit() }))
  }

  mv(from: string, to: string): Promise<void> {
    return this.#call(`files/mv ${from}`, () => this.conn.client.files.mv(this.mfs(from), this.mfs(to), this.#edit()))
  }

  /** `path` (holding `old`) now holds `cid`: rm then cp, and the old entry linked back if the cp fails. */
  async replace(path: string, old: TreeNode, cid: CID): Promise<void> {
    await this.rm(path, old.kind === 'dir')
    try {
      await this.cp(cid, path)
    } catch (err) {
      await this.cp(old.cid, path).catch((again: unknown) => log.error(`linking ${old.cid} back at ${path} after a failed replacement`, again))
      throw err
    }
  }
}

async function dirAt(tree: MfsTree, root: TreeNode, parts: string[], opts: ReadOptions): Promise<TreeNode> {
  const dir = await resolvePath(tree.ctx, root, parts, opts)
  if (dir.kind !== 'dir') throw errno('ENOTDIR')
  return dir
}

/** Links a node made by `make` at a new name; EEXIST when the name is taken. */
function create(tree: MfsTree, path: string, opts: ReadOptions, make: () => Promise<TreeNode>): Promise<void> {
  if (path === '/') return Promise.reject(errno('EEXIST'))
  const { dir, name } = parentAndName(path)
  return tree.change(opts, async (root) => {
    const parent = await dirAt(tree, root, dir, opts)
    if ((await findLink(tree.ctx, parent, name, opts)) !== undefined) throw errno('EEXIST')
    await tree.cp((await make()).cid, path)
  })
}

export function mkdir(tree: MfsTree, path: string, mode: number, opts: ReadOptions): Promise<void> {
  return create(tree, path, opts, () => makeDir(tree.ctx, { mode: mode & 0o7777, mtime: tree.touch() }, opts))
}

export function symlink(tree: MfsTree, target: string, path: string, opts: ReadOptions): Promise<void> {
  return create(tree, path, opts, () => makeSymlink(tree.ctx, target, tree.touch(), opts))
}

/** unlink(2) (`dirs` false: a directory is EISDIR) or rmdir(2) (`dirs` true: ENOTDIR, ENOTEMPTY). */
export function remove(tree: MfsTree, path: string, dirs: boolean, opts: ReadOptions): Promise<void> {
  const { dir, name } = parentAndName(path)
  return tree.change(opts, async (root) => {
    const parent = await dirAt(tree, root, dir, opts)
    const link = await findLink(tree.ctx, parent, name, opts)
    if (link === undefined) throw errno('ENOENT')
    const node = await loadNode(tree.ctx, link.Hash, opts, link)
    if (!dirs && node.kind === 'dir') throw errno('EISDIR')
    if (dirs && node.kind !== 'dir') throw errno('ENOTDIR')
    if (dirs && !isEmptyDir(node)) throw errno('ENOTEMPTY')
    await tree.rm(path, dirs)
  })
}

/** rename(2): the checks of the Helia engine's rename (ops.ts), then one `files/mv` (after an `rm` of what it replaces). */
export function rename(tree: MfsTree, from: string, to: string, opts: ReadOptions): Promise<void> {
  const src = parentAndName(from)
  const dst = parentAndName(to)
  return tree.change(opts, async (root) => {
    const node = await resolvePath(tree.ctx, root, [...src.dir, src.name], opts)
    if (from === to) return
    if (to.startsWith(`${from}/`)) throw errno('EINVAL')
    const target = await dirAt(tree, root, dst.dir, opts)
    const existing = await findLink(tree.ctx, target, dst.name, opts)
    if (existing !== undefined) {
      const old = await loadNode(tree.ctx, existing.Hash, opts, existing)
      if (node.kind === 'dir' && old.kind !== 'dir') throw errno('ENOTDIR')
      if (node.kind !== 'dir' && old.kind === 'dir') throw errno('EISDIR')
      if (old.kind === 'dir' && !isEmptyDir(old)) throw errno('ENOTEMPTY')
      await tree.rm(to, old.kind === 'dir')
    }
    await tree.mv(from, to)
  })
}

/**
 * chmod/utimens: the node with its metadata changed (dir-edit.ts's setMeta, as the Helia engine
 * does it), linked in place of the old one. The MFS root itself cannot be replaced by `files/cp`:
 * there Kubo's own `files/chmod` and `files/touch` are asked, and a daemon without them (js-ipfs
 * fails both on '/') answers EPERM.
 */
export function changeMeta(tree: MfsTree, path: string, change: (node: TreeNode) => MetaChange, opts: ReadOptions): Promise<void> {
  return tree.change(opts, async (root) => {
    const node = await resolvePath(tree.ctx, root, splitPath(path), opts)
    const wanted = change(node)
    const changed = await setMeta(tree.ctx, node, wanted, opts)
    if (changed.cid.equals(node.cid)) return
    if (tree.mfs(path) !== '/') return tree.replace(path, node, changed.cid)
    await nativeMeta(tree, wanted)
  })
}

async function nativeMeta(tree: MfsTree, change: MetaChange): Promise<void> {
  if (tree.conn.dialect !== 'kubo') throw errno('EPERM', `${tree.conn.agent} cannot change the metadata of the MFS root`)
  const calls: string[] = []
  if (change.mode !== undefined) calls.push(`files/chmod?arg=${change.mode.toString(8).padStart(4, '0')}&arg=/`)
  if (change.mtime !== undefined && change.mtime !== null) calls.push(`files/touch?arg=/&mtime=${change.mtime.secs}&mtime-nsecs=${change.mtime.nsecs ?? 0}`)
  for (const call of calls) {
    const res = await fetch(new URL(`/api/v0/${call}`, tree.conn.api), { method: 'POST', signal: AbortSignal.timeout(MUTATION_TIMEOUT_MS) })
    if (!res.ok) throw errno('EPERM', `${tree.conn.agent} refused ${call.split('?')[0]} on the MFS root: ${res.status} ${await res.text()}`)
  }
}

/**
 * Links an imported file at `path`, replacing a file there (a directory there is EISDIR). The
 * parent is checked again in the queue: it may have gone while the file was imported.
 */
export function linkFile(tree: MfsTree, path: string, cid: CID, opts: ReadOptions): Promise<void> {
  const { dir, name } = parentAndName(path)
  return tree.change(opts, async (root) => {
    const parent = await dirAt(tree, root, dir, opts)
    const link = await findLink(tree.ctx, parent, name, opts)
    if (link === undefined) return tree.cp(cid, path)
    const old = await loadNode(tree.ctx, link.Hash, opts, link)
    if (old.kind === 'dir') throw errno('EISDIR')
    if (!old.cid.equals(cid)) await tree.replace(path, old, cid)
  })
}

/** The folder a new file at `path` goes into, checked (on the root as it is now) before its import starts. */
export async function checkParent(tree: MfsTree, path: string, opts: ReadOptions): Promise<void> {
  await dirAt(tree, await tree.root(opts, true), parentAndName(path).dir, opts)
}
