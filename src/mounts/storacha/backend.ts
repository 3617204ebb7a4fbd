/**
 * /storacha: a Storacha space through @storacha/client, each upload a top-level entry
 * (store.ts), its blocks built in the local blockstore (the shared Helia repository) with
 * /ipfs's import settings. A file written here is imported and uploaded as a CAR on close; a
 * top-level folder is one upload of one UnixFS directory, re-uploaded (new root, old upload
 * removed) on every change inside it. Reads come from the local blockstore when it has the
 * blocks, otherwise from the trustless gateway, each block verified against its CID (blocks.ts).
 * See src/mounts/roots/backend.ts for the folder model and its errnos.
 */
import type { Backend } from '../../vfs/backend.ts'
import type { BlockStore } from '../ipfs/cache.ts'
import { createRootsBackend, type RootsBackendInit } from '../roots/backend.ts'
import { gatewayBlocks } from './blocks.ts'
import type { StorachaClient } from './client.ts'
import { type NameMap, StorachaStore, type StorachaStoreInit } from './store.ts'

export interface StorachaBackendComponents {
  /** The local blockstore (Helia's). */
  blockstore: BlockStore
  client: StorachaClient
  /** The name map: a sublevel of the journal's state, for this space. */
  names: NameMap
}

export interface StorachaBackendInit extends StorachaStoreInit, RootsBackendInit {
  /** The trustless gateway reads fall back to; undefined: local blocks only. */
  gateway?: string
  /** Per block fetched from the gateway (ms). Default 30 s. */
  gatewayTimeoutMs?: number
}

export function createStorachaBackend(c: StorachaBackendComponents, init: StorachaBackendInit): Backend {
  const blockstore = gatewayBlocks(c.blockstore, init.gateway, init.gatewayTimeoutMs)
  const store = new StorachaStore(c.client, c.names, blockstore, init)
  return createRootsBackend({ blockstore, store }, init)
}
