import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createDirObjectBackend } from '../support/dir-object-backend.ts'
import { contractSuite } from './suite.ts'

contractSuite('dir-object', async () => {
  const root = await mkdtemp(join(tmpdir(), 'contract-dir-object-'))
  return { backend: createDirObjectBackend({ root }), cleanup: () => rm(root, { recursive: true, force: true }) }
}).run()

// The counters the VFS staging tests rely on: one put per finished file, reads counted per call.
const counting = suite('dir-object: call counters')
counting('one put, one openReader, reads counted; resetCounters', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dir-object-counters-'))
  try {
    const b = createDirObjectBackend({ root })
    const localPath = join(root, 'staged')
    await writeFile(localPath, 'abc')
    await b.put?.('/f', { localPath, size: 3, mode: 0o100644, mtimeNs: 1_000_000_000n, uid: 0, gid: 0 })
    const r = await b.openReader?.('/f')
    await r?.read(Buffer.alloc(2), 0)
    await r?.read(Buffer.alloc(2), 2)
    await r?.close()
    assert.equal([b.counters.put, b.counters.openReader, b.counters.read, b.counters.stat], [1, 1, 2, 0])
    b.resetCounters()
    assert.is(b.counters.put, 0)
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
counting.run()
