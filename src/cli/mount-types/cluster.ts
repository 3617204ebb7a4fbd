import { z } from 'zod'
import { VfsError } from '../../vfs/errors.ts'
import { commonKeys, type MountType, onHelia } from './common.ts'

export const clusterSchema = z.strictObject({
  type: z.literal('cluster'),
  /** The cluster's REST API. Default http://127.0.0.1:9094. */
  api: z.string().url().default('http://127.0.0.1:9094'),
  /** Environment variable holding `user:password` for basic auth (never the secret itself). Default IPFS_CLUSTER_BASIC_AUTH. */
  basicAuthEnv: z.string().min(1).default('IPFS_CLUSTER_BASIC_AUTH'),
  /** Environment variable holding a bearer token. Default IPFS_CLUSTER_TOKEN. */
  tokenEnv: z.string().min(1).default('IPFS_CLUSTER_TOKEN'),
  /** Replication factors for new pins (-1: every peer). Default -1/-1. */
  replicationMin: z.number().int().min(-1).default(-1),
  replicationMax: z.number().int().min(-1).default(-1),
  /** Only pins named `<prefix><name>` are shown, and new pins are named so. Default ''. */
  prefix: z.string().default(''),
  /** Milliseconds a pinset listing is reused. Default 2000. */
  listTtlMs: z.number().int().nonnegative().default(2000),
  /** Milliseconds per REST call. Default 30000. */
  timeoutMs: z.number().int().positive().default(30_000),
  /** The IPFS engine content is added to and read from: the embedded Helia of /ipfs. */
  engine: z.literal('helia').default('helia'),
  /** Keep mtimes in UnixFS metadata (as /ipfs). Default true. */
  preserveMtime: z.boolean().default(true),
  ...commonKeys,
})

export const clusterType: MountType<z.infer<typeof clusterSchema>> = {
  async create(_point, spec, ctx) {
    if (spec.replicationMax !== -1 && (spec.replicationMin === -1 || spec.replicationMin > spec.replicationMax)) {
      throw new VfsError('EINVAL', 'mount', '/', { message: `EINVAL: /cluster: replicationMin (${spec.replicationMin}) must be at most replicationMax (${spec.replicationMax}), or both -1` })
    }
    return onHelia(ctx, false, async (engine) => {
      const { ClusterRest } = await import('../../mounts/cluster/rest.ts')
      const { createClusterBackend } = await import('../../mounts/cluster/backend.ts')
      const basic = process.env[spec.basicAuthEnv]
      const bearer = process.env[spec.tokenEnv]
      const api = new ClusterRest(spec.api, { ...(basic ? { basic } : {}), ...(bearer ? { bearer } : {}) }, spec.timeoutMs)
      return createClusterBackend({ blockstore: engine.helia.blockstore, api }, { ...spec, offline: !engine.networking })
    })
  },
  describe: (spec) => ({ type: spec.type, api: spec.api, prefix: spec.prefix, replicationMin: spec.replicationMin, replicationMax: spec.replicationMax }),
}
