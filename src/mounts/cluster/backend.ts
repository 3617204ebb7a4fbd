/**
 * /cluster: an IPFS Cluster pinset through its REST API (rest.ts), each pin a top-level entry
 * (store.ts), its content in the local IPFS engine's blockstore (Helia). Writing adds the content
 * to that blockstore with /ipfs's import settings and pins the root with the configured
 * replication and the file's name; reading reads the blocks from the same blockstore (offline
 * unless the engine has networking); unlink unpins. See src/mounts/roots/backend.ts for the
 * folder model (a top-level folder is pinned as one UnixFS directory).
 *
 * With a Kubo engine the same shape works with Kubo's blockstore (`block/get`, `block/put`) in
 * place of Helia's: the cluster's own IPFS peers then fetch the content from that Kubo node.
 */
import type { CID } from 'multiformats/cid'
import type { CallOptions } from '../../vfs/backend.ts'
import { toVfsError } from '../../vfs/errors.ts'
import type { BlockStore } from '../ipfs/cache.ts'
import { createRootsBackend, type RootsBackend, type RootsBackendInit } from '../roots/backend.ts'
import type { ClusterRest } from './rest.ts'
import { ClusterStore, type ClusterStoreInit } from './store.ts'

export interface ClusterBackend extends RootsBackend {
  /** Pins an existing CID under `name` (`ipfs-vfs cluster pin`). */
  pin(cid: CID, name: string, opts?: CallOptions): Promise<void>
}

export function createClusterBackend(components: { blockstore: BlockStore; api: ClusterRest }, init: ClusterStoreInit & RootsBackendInit): ClusterBackend {
  const store = new ClusterStore(components.api, init)
  const backend = createRootsBackend({ blockstore: components.blockstore, store }, init)
  return {
    ...backend,
    pin: async (cid, name, opts) => {
      try {
        await store.pinExisting(cid, name, opts)
      } catch (err) {
        throw toVfsError(err, 'cluster.pin', `/${name}`)
      }
    },
  }
}
