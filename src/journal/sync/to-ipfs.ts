/**
 * `sync to-ipfs`: imports a VFS subtree (any mount) into the IPFS engine and returns its root CID.
 *
 * The DAG is exactly what @helia/unixfs's `addAll` builds for the same tree (test/journal/
 * sync.test.ts checks it): the same importer with /ipfs's settings (src/mounts/ipfs/import-
 * settings.ts), fed folders before their content, names in byte order, each entry with its mode and
 * mtime. The importer builds the folders (plain or HAMT shards, by its own rules); only the
 * file builder is ours: a file whose (path, size, mtime, mode) is in the index is not read, its
 * CID comes from there; any other file is streamed from the Vfs through the importer.
 */
import { importer, importFile, type ImportCandidate, type InProgressImportResult } from 'ipfs-unixfs-importer'
import { CID } from 'multiformats/cid'
import { fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../../mounts/ipfs/import-settings.ts'
import { VfsError } from '../../vfs/errors.ts'
import { normalizePath } from '../../vfs/paths.ts'
import { ProgressMeter } from './progress.ts'
import { type IndexEntry, matches } from './sync-index.ts'
import type { SyncContext, SyncOptions } from './types.ts'
import { readVfsFile } from './vfs-io.ts'
import { type SourceEntry, walkVfs } from './walk.ts'

export interface ToIpfsResult {
  cid: string
  /** Files in the tree. */
  files: number
  /** Bytes read and imported (files not in the index). */
  bytes: number
  /** Files whose CID came from the index, unread. */
  reused: number
}

/** The importer's options for a sync: /ipfs's settings, always with mtimes (a restore needs them). */
export function syncImportOptions(): ReturnType<typeof fileImportOptions> {
  return fileImportOptions(KUBO_UNIXFS_V1_2025, {})
}

/**
 * How many files are imported at once (each holds one open file and at most about a chunk of
 * memory). Small files are latency-bound (open, read, close, two block writes each), so more at
 * once keeps the thread pool busy.
 */
const FILE_CONCURRENCY = 16
/** Where the tree's root sits in the importer's paths; its name reaches no block. */
const ROOT = 'root'

interface FileJob {
  entry: SourceEntry
  cached: IndexEntry | undefined
  result?: IndexEntry
}

/** Walks taken again when an entry vanishes between the walk and its read. */
const ATTEMPTS = 3

/**
 * Syncs `path`. A sync is a snapshot of what its walk found: an entry removed before it was read
 * makes the walk start again (the index makes that cheap), at most ATTEMPTS times.
 */
export async function syncToIpfs(ctx: SyncContext, path: string, opts: SyncOptions = {}): Promise<ToIpfsResult> {
  const root = normalizePath(path, 'sync')
  for (let attempt = 1; ; attempt++) {
    try {
      return await syncOnce(ctx, root, opts)
    } catch (err) {
      const vanished = err instanceof VfsError && err.code === 'ENOENT' && err.path !== root
      if (!vanished || attempt >= ATTEMPTS || opts.signal?.aborted) throw err
    }
  }
}

async function syncOnce(ctx: SyncContext, root: string, opts: SyncOptions): Promise<ToIpfsResult> {
  const run = new SyncRun(ctx, root, opts)
  const entries: SourceEntry[] = []
  for await (const entry of walkVfs(ctx.vfs, root, opts.signal)) entries.push(entry)
  const candidates = await run.plan(entries)
  let last: CID | undefined
  const options = { ...syncImportOptions(), fileImportConcurrency: FILE_CONCURRENCY, fileBuilder: (f: ImporterFile) => run.buildFile(f) }
  for await (const out of importer(candidates, ctx.blocks, options)) last = out.cid
  if (last === undefined) throw new VfsError('EIO', 'sync', root, { message: `EIO: sync ${root}: nothing to import` })
  await run.saveIndex()
  return { cid: last.toString(), ...run.counts }
}

/** What the importer hands our file builder. */
interface ImporterFile {
  path?: string | undefined
  originalPath?: string | undefined
}

/** One sync: the plan (candidates and file jobs), the file builder the importer calls, the counts, the index update. */
class SyncRun {
  readonly #ctx: SyncContext
  readonly #root: string
  readonly #signal: AbortSignal | undefined
  readonly #meter: ProgressMeter
  readonly #jobs = new Map<string, FileJob>()
  #known = new Map<string, IndexEntry>()
  readonly counts = { files: 0, bytes: 0, reused: 0 }

  constructor(ctx: SyncContext, root: string, opts: SyncOptions) {
    this.#ctx = ctx
    this.#root = root
    this.#signal = opts.signal
    this.#meter = new ProgressMeter(opts)
  }

  /** The importer's candidates, in walk order; a file job per file, with its index record when still valid. */
  async plan(entries: SourceEntry[]): Promise<ImportCandidate[]> {
    const files = entries.filter((e) => e.type === 'file')
    this.counts.files = files.length
    this.#meter.totals(
      files.reduce((n, e) => n + e.stat.size, 0),
      files.length,
    )
    this.#known = await this.#ctx.index.load(this.#root)
    const candidates: ImportCandidate[] = []
    for (const entry of entries) {
      const path = entry.rel === '' ? ROOT : `${ROOT}/${entry.rel}`
      const meta = { mode: entry.stat.mode & 0o7777, mtime: toMtime(entry.stat.mtimeNs) }
      if (entry.type === 'dir') candidates.push({ path, ...meta })
      else if (entry.type === 'symlink') candidates.push({ path, link: await this.#ctx.vfs.readlink(entry.path, { signal: this.#signal }), mtime: meta.mtime } as ImportCandidate)
      else if (entry.type === 'file') {
        this.#jobs.set(path, { entry, cached: await this.#reusable(entry) })
        // The importer never reads this content: buildFile streams the Vfs file itself, or not at all.
        candidates.push({ path, content: [], ...meta })
      }
      // Sockets, fifos and devices have no UnixFS form: left out, as `ipfs add` does.
    }
    return candidates
  }

  /** The index record of a file whose size, mtime and mode are unchanged and whose blocks are still here. */
  async #reusable(entry: SourceEntry): Promise<IndexEntry | undefined> {
    const cached = this.#known.get(entry.path)
    if (!matches(cached, keyOf(entry))) return undefined
    return (await this.#ctx.blocks.has(CID.parse(cached.cid))) ? cached : undefined
  }

  async buildFile(file: ImporterFile): Promise<InProgressImportResult> {
    this.#signal?.throwIfAborted()
    const job = this.#jobs.get(file.path ?? '')
    if (job === undefined) throw new VfsError('EIO', 'sync', `${this.#root}/${file.path}`)
    if (job.cached !== undefined) {
      this.counts.reused++
      this.#meter.add(job.entry.stat.size, 1)
      job.result = job.cached
      return { cid: CID.parse(job.cached.cid), path: file.path, size: BigInt(job.cached.tsize), originalPath: file.originalPath } as InProgressImportResult
    }
    const { stat, path } = job.entry
    const onBytes = (n: number) => {
      this.counts.bytes += n
      this.#meter.add(n)
    }
    const content = readVfsFile(this.#ctx.vfs, path, this.#signal, onBytes, stat.size)
    const imported = await importFile({ content, mode: stat.mode & 0o7777, mtime: toMtime(stat.mtimeNs) }, this.#ctx.blocks, syncImportOptions())
    this.#meter.add(0, 1)
    job.result = { ...keyRecord(job.entry), cid: imported.cid.toString(), tsize: Number(imported.size) }
    return { cid: imported.cid, path: file.path, size: imported.size, unixfs: imported.unixfs, originalPath: file.originalPath } as InProgressImportResult
  }

  /** Records the files imported now and forgets the paths this walk no longer found. */
  async saveIndex(): Promise<void> {
    const jobs = [...this.#jobs.values()]
    const seen = new Set(jobs.map((j) => j.entry.path))
    await this.#ctx.index.update(
      jobs.flatMap((j) => (j.result === undefined || j.result === j.cached ? [] : [[j.entry.path, j.result] as [string, IndexEntry]])),
      [...this.#known.keys()].filter((p) => !seen.has(p)),
    )
    this.#meter.done()
  }
}

function keyOf(entry: SourceEntry): { size: number; mtimeNs: bigint; mode: number } {
  return { size: entry.stat.size, mtimeNs: entry.stat.mtimeNs, mode: entry.stat.mode & 0o7777 }
}

function keyRecord(entry: SourceEntry): Pick<IndexEntry, 'size' | 'mtimeNs' | 'mode'> {
  return { size: entry.stat.size, mtimeNs: entry.stat.mtimeNs.toString(), mode: entry.stat.mode & 0o7777 }
}
