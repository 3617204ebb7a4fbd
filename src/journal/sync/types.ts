/**
 * What the sync engine works with: the Vfs it reads and writes through (any mount), the IPFS
 * engine's blockstore it imports into and exports from, and its incremental index.
 */
import type { AbstractSublevel } from 'abstract-level'
import type { Helia } from 'helia'
import type { Level } from 'level'
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

/** The state database (the Service's `db`; tests open their own). */
export type AnyLevel = Level<string, unknown>
export type JsonSublevel<V> = AbstractSublevel<AnyLevel, string | Buffer | Uint8Array, string, V>
