/**
 * The contract suite against /storacha: the real @storacha/client over HTTP to the real
 * @storacha/upload-api handlers on loopback (test/support/storacha-standin.ts, one per file), a
 * fresh space per case, a real Helia repository as the local blockstore, the name map in a real
 * LevelDB, reads falling back to the stand-in's trustless gateway.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { createStorachaBackend } from '../../src/mounts/storacha/backend.ts'
import { openStorachaClient } from '../../src/mounts/storacha/client.ts'
import type { NameMap } from '../../src/mounts/storacha/store.ts'
import { type StorachaStandin, startStorachaStandin } from '../support/storacha-standin.ts'
import { createTestSpace } from '../support/storacha-space.ts'
import { contractSuite } from './suite.ts'

let standin: Promise<StorachaStandin> | undefined

const test = contractSuite('storacha (upload-api stand-in + helia)', async () => {
  const s = await (standin ??= startStorachaStandin())
  const dir = await mkdtemp(join(tmpdir(), 'contract-storacha-'))
  const engine = await openHeliaEngine({ dir: join(dir, 'helia') })
  const db = new Level<string, unknown>(join(dir, 'state'), { valueEncoding: 'json' })
  await db.open()
  const sp = await createTestSpace(s.url)
  const client = await openStorachaClient({ ...sp, serviceUrl: s.url, serviceDid: s.did })
  const names = db.sublevel<string, { root: string }>('storacha-names', { valueEncoding: 'json' }).sublevel<string, { root: string }>(sp.space, { valueEncoding: 'json' })
  const backend = createStorachaBackend(
    { blockstore: engine.helia.blockstore, client, names: names as unknown as NameMap },
    { gateway: s.url, listTtlMs: 1000 },
  )
  return {
    backend,
    cleanup: async () => {
      await db.close()
      await engine.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})
test.after(async () => {
  if (standin !== undefined) await (await standin).stop()
})
test.run()
