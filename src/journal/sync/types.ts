/**
 * What the sync engine works with: the Vfs it reads and writes through (any mount), the IPFS
 * engine's blockstore it imports into and exports from, and its incremental index.
 */
import type { AbstractLevel, AbstractSublevel } from 'abstract-level'
import type { Helia } from 'helia'
import type { Vfs } from '../../vfs/vfs.ts'
import type { SyncIndex } from './sync-index.ts'

/** The blockstore of the IPFS engine (Helia's, for now). */
export type IpfsBlocks = Pick<Helia['blockstore'], 'get' | 'put' | 'has'>

export interface SyncContext {
  readonly vfs: Vfs
  readonly blocks: IpfsBlocks
  /** Reads never wait on the network: a missing block fails at once. */
  readonly offline: boolean
  readonly index: SyncIndex
}

/** What long operations report while they run (docs/CONTROL.md). */
export interface SyncProgress {
  bytes: number
  files: number
  totalBytes?: number
  totalFiles?: number
}

export interface SyncOptions {
  signal?: AbortSignal
  onProgress?: (progress: SyncProgress) => void
}

/** The state database, or any level with string keys (tests pass their own). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLevel = AbstractLevel<any, string, unknown>
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonSublevel<V> = AbstractSublevel<any, any, string, V>
