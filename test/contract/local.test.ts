import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { contractSuite } from './suite.ts'

contractSuite('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'contract-local-'))
  return { backend: createLocalBackend({ root }), cleanup: () => rm(root, { recursive: true, force: true }) }
}).run()
