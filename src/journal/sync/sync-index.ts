/**
 * The incremental index of `sync to-ipfs`: VFS path of a file → the (size, mtime, mode) it had
 * when it was imported and the CID it gave. A file whose stat still shows the same three is not
 * read again; its CID is taken from here (as git's index and rsync's quick check do: a change
 * that keeps size and mtime to the nanosecond is not seen). Mode is part of the key because
 * UnixFS stores it in the node: a chmod changes the CID without touching the bytes.
 *
 * Directories are not indexed: their nodes are rebuilt from their children on every sync, which
 * costs hashing their blocks, not reading any file.
 */
import type { AnyLevel, JsonSublevel } from './types.ts'

export interface IndexEntry {
  size: number
  /** st_mtime in nanoseconds, as a decimal string (JSON has no bigint). */
  mtimeNs: string
  /** Permission bits (st_mode & 07777). */
  mode: number
  cid: string
  /** The DAG size the importer reports (the link's Tsize in the parent directory). */
  tsize: number
}

export interface FileKey {
  size: number
  mtimeNs: bigint
  mode: number
}

export function matches(entry: IndexEntry | undefined, key: FileKey): entry is IndexEntry {
  return entry !== undefined && entry.size === key.size && entry.mtimeNs === key.mtimeNs.toString() && entry.mode === key.mode
}

export class SyncIndex {
  readonly #db: JsonSublevel<IndexEntry>

  constructor(db: AnyLevel) {
    this.#db = db.sublevel<string, IndexEntry>('sync-index', { valueEncoding: 'json' })
  }

  /** Every entry at `root` or below it, by path (one range read). */
  async load(root: string): Promise<Map<string, IndexEntry>> {
    const found = new Map<string, IndexEntry>()
    const self = await this.#db.get(root)
    if (self !== undefined) found.set(root, self)
    // Keys below root share the prefix `root/`; '0' is the byte after '/'.
    const prefix = root === '/' ? '/' : `${root}/`
    for await (const [key, value] of this.#db.iterator({ gte: prefix, lt: `${prefix.slice(0, -1)}0` })) found.set(key, value)
    return found
  }

  get(path: string): Promise<IndexEntry | undefined> {
    return this.#db.get(path)
  }

  /** Records what a sync saw and forgets what it no longer saw, in one batch. */
  async update(puts: Iterable<[string, IndexEntry]>, dels: Iterable<string> = []): Promise<void> {
    const ops: ({ type: 'put'; key: string; value: IndexEntry } | { type: 'del'; key: string })[] = []
    for (const [key, value] of puts) ops.push({ type: 'put', key, value })
    for (const key of dels) ops.push({ type: 'del', key })
    if (ops.length > 0) await this.#db.batch(ops)
  }
}
