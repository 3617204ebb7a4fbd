/**
 * What the Vfs tells a write-ahead journal. src/journal implements it and the Vfs never imports
 * src/journal: the journal is handed in (`vfs.journal = ...`) by whoever composes the two.
 * Without one the Vfs journals nothing and behaves exactly as before.
 */

/** An operation about to be applied. */
export interface OpIntent {
  /** POSIX-style name: mkdir, rmdir, unlink, rename, write (a write session), truncate, chmod, ... */
  op: string
  /** The mount point the operation changes ('' when it spans none, e.g. a checkpoint). */
  mount: string
  /** Absolute VFS paths the operation names (rename and link: source, then target). */
  paths: string[]
  /** Plain JSON arguments: enough to re-apply the operation after a crash. */
  args?: Record<string, unknown>
}

/** How an operation ended. */
export interface OpOutcome {
  /** The POSIX code it failed with; absent on success. */
  errno?: string
  /** Plain JSON results (a write session: ranges written, size and xxh3 content hash at close). */
  result?: Record<string, unknown>
  /** Write the outcome to disk (fsync) before end() resolves. */
  sync?: boolean
}

export interface OpTicket {
  readonly seq: number
  /**
   * Records the outcome. Never rejects (a journal failure is logged, not turned into a failure
   * of an operation that already happened); resolves once the record is written.
   */
  end(outcome?: OpOutcome): Promise<void>
}

/** A staged file whose content was acknowledged (fsync or close) but is not yet in its store. */
export interface PendingUpload {
  /** The mount point, e.g. /obj. */
  mount: string
  /** Path inside the mount (what `put` takes). */
  rel: string
  /** The staged copy under the state directory. */
  localPath: string
  size: number
  /**
   * Content hash (XXH3-64 hex, src/vfs/content-hash.ts) of the staged bytes when they were
   * acknowledged ('' when the writes came out of order). Records from before carry `sha256`
   * instead (ignored).
   */
  xxh3: string
  mode: number
  uid: number
  gid: number
  /** Decimal string: JSON has no bigint. */
  mtimeNs: string
}

export interface OpJournal {
  /** Records the intent; resolves once it is written (before the operation may be applied). */
  begin(intent: OpIntent): Promise<OpTicket>
  /** Records a staged file owed to its store (replacing its earlier record); `sync`: on disk (fsync) before it resolves. */
  addPendingUpload(upload: PendingUpload, sync: boolean): Promise<void>
  /** The staged file `localPath` is in its store: forget it. */
  removePendingUpload(localPath: string): Promise<void>
}
