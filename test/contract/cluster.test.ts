/**
 * The contract suite against /cluster: a real Helia repository for the content, and the IPFS
 * Cluster CONTRACT DOUBLE (test/support/cluster-double.ts: the documented REST API, field for
 * field; no real cluster is installable here) for the pinset, fresh per case.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClusterBackend } from '../../src/mounts/cluster/backend.ts'
import { ClusterRest } from '../../src/mounts/cluster/rest.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { createClusterDouble } from '../support/cluster-double.ts'
import { contractSuite } from './suite.ts'

contractSuite('cluster (contract double + helia)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'contract-cluster-'))
  const engine = await openHeliaEngine({ dir })
  const double = await createClusterDouble({ peers: 2, stepMs: 5 })
  const backend = createClusterBackend(
    { blockstore: engine.helia.blockstore, api: new ClusterRest(double.url) },
    { prefix: '', replicationMin: -1, replicationMax: -1, listTtlMs: 1000 },
  )
  return {
    backend,
    cleanup: async () => {
      await double.close()
      await engine.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}).run()
