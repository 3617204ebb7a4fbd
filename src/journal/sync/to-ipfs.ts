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
import type { CID } from 'multiformats/cid'
import { CID as CIDClass } from 'multiformats/cid'
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
  const { signal } = opts
  const meter = new ProgressMeter(opts)
  const entries: SourceEntry[] = []
  for await (const entry of walkVfs(ctx.vfs, root, signal)) entries.push(entry)
  const files = entries.filter((e) => e.type === 'file')
  meter.totals(
    files.reduce((n, e) => n + e.stat.size, 0),
    files.length,
  )
  const known = await ctx.index.load(root)
  const jobs = new Map<string, FileJob>()
  const candidates: ImportCandidate[] = []
  for (const entry of entries) {
    const candidatePath = entry.rel === '' ? ROOT : `${ROOT}/${entry.rel}`
    const meta = { mode: entry.stat.mode & 0o7777, mtime: toMtime(entry.stat.mtimeNs) }
    if (entry.type === 'dir') candidates.push({ path: candidatePath, ...meta })
    else if (entry.type === 'symlink') candidates.push({ path: candidatePath, link: await ctx.vfs.readlink(entry.path, { signal }), mtime: meta.mtime } as ImportCandidate)
    else if (entry.type === 'file') {
      const cached = known.get(entry.path)
      jobs.set(candidatePath, { entry, cached: matches(cached, keyOf(entry)) && (await ctx.blocks.has(CIDClass.parse(cached.cid))) ? cached : undefined })
      // The importer never reads this content: our file builder streams the Vfs file itself, or not at all.
      candidates.push({ path: candidatePath, content: [], ...meta })
    }
    // Sockets, fifos and devices have no UnixFS form: left out, as `ipfs add` does.
  }
  let bytes = 0
  let reused = 0
  const base = syncImportOptions()
  const buildFile = async (file: { path?: string | undefined; originalPath?: string | undefined }): Promise<InProgressImportResult> => {
    signal?.throwIfAborted()
    const job = jobs.get(file.path ?? '')
    if (job === undefined) throw new VfsError('EIO', 'sync', `${root}/${file.path}`)
    if (job.cached !== undefined) {
      reused++
      meter.add(job.entry.stat.size, 1)
      job.result = job.cached
      return { cid: CIDClass.parse(job.cached.cid), path: file.path, size: BigInt(job.cached.tsize), originalPath: file.originalPath } as InProgressImportResult
    }
    const { stat } = job.entry
    const imported = await importFile(
      { content: readVfsFile(ctx.vfs, job.entry.path, signal, (n) => ((bytes += n), meter.add(n)), stat.size), mode: stat.mode & 0o7777, mtime: toMtime(stat.mtimeNs) },
      ctx.blocks,
      base,
    )
    meter.add(0, 1)
    job.result = { ...keyRecord(job.entry), cid: imported.cid.toString(), tsize: Number(imported.size) }
    return { cid: imported.cid, path: file.path, size: imported.size, unixfs: imported.unixfs, originalPath: file.originalPath } as InProgressImportResult
  }
  let last: CID | undefined
  for await (const out of importer(candidates, ctx.blocks, { ...base, fileImportConcurrency: FILE_CONCURRENCY, fileBuilder: buildFile })) last = out.cid
  if (last === undefined) throw new VfsError('EIO', 'sync', root, { message: `EIO: sync ${root}: nothing to import` })
  const seen = new Set(files.map((f) => f.path))
  await ctx.index.update(
    [...jobs.values()].flatMap((j) => (j.result === undefined || j.result === j.cached ? [] : [[j.entry.path, j.result] as [string, IndexEntry]])),
    [...known.keys()].filter((p) => !seen.has(p)),
  )
  meter.done()
  return { cid: last.toString(), files: files.length, bytes, reused }
}

function keyOf(entry: SourceEntry): { size: number; mtimeNs: bigint; mode: number } {
  return { size: entry.stat.size, mtimeNs: entry.stat.mtimeNs, mode: entry.stat.mode & 0o7777 }
}

function keyRecord(entry: SourceEntry): Pick<IndexEntry, 'size' | 'mtimeNs' | 'mode'> {
  return { size: entry.stat.size, mtimeNs: entry.stat.mtimeNs.toString(), mode: entry.stat.mode & 0o7777 }
}
