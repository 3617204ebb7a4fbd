/**
 * The contract suite against /ipfs on embedded Helia, a fresh repository per case, twice:
 * - preserveMtime on (the default). The suite cannot express two things this backend does
 *   honestly, so the run sees them as not declared (methods removed, capability false) and
 *   test/mounts/ipfs.test.ts covers them instead:
 *     utimens: the mtime persists, an atime cannot (UnixFS has none); the suite's utimens case
 *       requires both, and `Capabilities.utimens` is one flag for both.
 *     xattrs: one read-only attribute (`user.ipfs.cid`); the suite's xattr case requires
 *       arbitrary user.* attributes to be settable once `xattrs` is declared.
 * - preserveMtime off (CIDs equal to plain `ipfs add`): utimens is then really not offered, and
 *   the suite checks that it refuses.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import type { Backend, Capabilities } from '../../src/vfs/backend.ts'
import { type BackendFactory, contractSuite } from './suite.ts'

const METHODS: Partial<Record<keyof Capabilities, (keyof Backend)[]>> = {
  utimens: ['utimens'],
  xattrs: ['getxattr', 'setxattr', 'listxattr', 'removexattr'],
}

/** The same backend with `hidden` capabilities undeclared and their methods absent. */
function without(backend: Backend, hidden: (keyof Capabilities)[]): Backend {
  const view: Backend = Object.create(backend)
  Object.defineProperty(view, 'capabilities', { value: Object.freeze({ ...backend.capabilities, ...Object.fromEntries(hidden.map((c) => [c, false])) }) })
  for (const cap of hidden) for (const m of METHODS[cap] ?? []) Object.defineProperty(view, m, { value: undefined })
  return view
}

function factory(preserveMtime: boolean, hidden: (keyof Capabilities)[]): BackendFactory {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'contract-ipfs-'))
    const engine = await openHeliaEngine({ dir })
    const backend = await createIpfsBackend({ helia: engine.helia }, { preserveMtime })
    return {
      backend: without(backend, hidden),
      cleanup: async () => {
        await engine.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
}

contractSuite('ipfs (helia)', factory(true, ['utimens', 'xattrs'])).run()
contractSuite('ipfs (helia, preserveMtime off)', factory(false, ['xattrs'])).run()
