/**
 * A /storacha backend on the stand-in (storacha-standin.ts) for the test targets: a fresh space,
 * the name map in a LevelDB of its own, blocks in the given Helia blockstore.
 */
import { join } from 'node:path'
import { Level } from 'level'
import type { BlockStore } from '../../src/mounts/ipfs/cache.ts'
import { createStorachaBackend } from '../../src/mounts/storacha/backend.ts'
import { openStorachaClient } from '../../src/mounts/storacha/client.ts'
import type { NameMap } from '../../src/mounts/storacha/store.ts'
import type { Backend } from '../../src/vfs/backend.ts'
import { startStorachaStandin } from './storacha-standin.ts'
import { createTestSpace } from './storacha-space.ts'

export async function storachaOnStandin(blockstore: BlockStore, stateDir: string): Promise<{ backend: Backend; stop(): Promise<void> }> {
  const standin = await startStorachaStandin()
  const db = new Level<string, unknown>(join(stateDir, 'storacha-test-state'), { valueEncoding: 'json' })
  try {
    await db.open()
    const sp = await createTestSpace(standin.url)
    const client = await openStorachaClient({ ...sp, serviceUrl: standin.url, serviceDid: standin.did })
    const names = db.sublevel<string, { root: string }>('storacha-names', { valueEncoding: 'json' })
    const backend = createStorachaBackend({ blockstore, client, names: names as unknown as NameMap }, { gateway: standin.url, listTtlMs: 1000 })
    return {
      backend,
      stop: async () => {
        await db.close()
        await standin.stop()
      },
    }
  } catch (err) {
    await db.close()
    await standin.stop()
    throw err
  }
}
