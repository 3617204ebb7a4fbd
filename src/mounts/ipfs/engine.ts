/**
 * The embedded IPFS engine: Helia over a repository directory (the state dir's `helia/`), blocks
 * in `blocks/` (blockstore-fs, one file per block), everything else (the /ipfs root CID, pins) in
 * `datastore/` (LevelDB).
 *
 * Offline by default: Helia is never started, so libp2p, bitswap and the HTTP gateways are never
 * created and nothing listens or dials (BACKENDS.md §5 measured 0 outbound connections). The
 * backend passes `offline: true` to every read as well, so a block that is not in the repository
 * fails at once instead of waiting for a network that is not there. `networking: true` starts
 * Helia (libp2p with its default services, bitswap, trustless gateways) so /.cid/ paths can fetch
 * what is missing; the backend is then told to read online.
 *
 * Garbage collection: Helia deletes blocks only when `helia.gc()` is called, and never pinned ones:
 * the /ipfs tree's root is pinned once its changes are idle (root-pin.ts).
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { LevelDatastore } from 'datastore-level'
import { createHelia, createHeliaLight, type Helia } from 'helia'
import { createLogger } from '../../log.ts'
import { VfsError } from '../../vfs/errors.ts'

const log = createLogger('ipfs')

export interface HeliaEngineOptions {
  /** The repository directory; created when missing. */
  dir: string
  /** Start libp2p, bitswap and gateway retrieval. Default false: no network at all. */
  networking?: boolean
}

export interface HeliaEngine {
  readonly helia: Helia
  /** Whether reads may go to the network (what `networking` asked for). */
  readonly networking: boolean
  /** Stops Helia when it was started and closes both stores; idempotent. */
  close(): Promise<void>
}

export async function openHeliaEngine(options: HeliaEngineOptions): Promise<HeliaEngine> {
  const networking = options.networking ?? false
  const blockstore = new FsBlockstore(join(options.dir, 'blocks'))
  const datastore = new LevelDatastore(join(options.dir, 'datastore'))
  try {
    await mkdir(options.dir, { recursive: true })
    await blockstore.open()
    await datastore.open()
  } catch (err) {
    await closeQuietly(blockstore, datastore)
    // LevelDB takes a lock: a second daemon on the same state directory ends up here.
    throw new VfsError('EIO', 'openHeliaEngine', options.dir, { cause: err, message: `EIO: cannot open the Helia repository in ${options.dir}: ${(err as Error).message}` })
  }
  // createHeliaLight has no block brokers and no libp2p: offline is structural, not a flag.
  const helia: Helia = networking ? createHelia({ blockstore, datastore }) : createHeliaLight({ blockstore, datastore })
  if (networking) {
    try {
      await helia.start()
    } catch (err) {
      await closeQuietly(blockstore, datastore)
      throw new VfsError('EIO', 'openHeliaEngine', options.dir, { cause: err, message: `EIO: cannot start Helia networking: ${(err as Error).message}` })
    }
  }
  let closing: Promise<void> | undefined
  return {
    helia,
    networking,
    close: () => {
      closing ??= (async () => {
        if (networking) await helia.stop()
        await closeQuietly(blockstore, datastore)
      })()
      return closing
    },
  }
}

async function closeQuietly(blockstore: FsBlockstore, datastore: LevelDatastore): Promise<void> {
  for (const store of [datastore, blockstore]) {
    try {
      await store.close()
    } catch (err) {
      log.warn('closing the Helia repository', err)
    }
  }
}
