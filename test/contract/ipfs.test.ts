/**
 * The contract suite against /ipfs on embedded Helia, a fresh repository per case, twice:
 * with preserveMtime on (the default: mtime kept, no atime — UnixFS has none — and one
 * read-only xattr, user.ipfs.cid) and off (CIDs equal to a plain `ipfs add`; utimens is then not
 * offered, and the suite checks that it refuses).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { type BackendFactory, contractSuite } from './suite.ts'

function factory(preserveMtime: boolean): BackendFactory {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'contract-ipfs-'))
    const engine = await openHeliaEngine({ dir })
    const backend = await createIpfsBackend({ helia: engine.helia }, { preserveMtime })
    return {
      backend,
      cleanup: async () => {
        await engine.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}

contractSuite('ipfs (helia)', factory(true)).run()
contractSuite('ipfs (helia, preserveMtime off)', factory(false)).run()
