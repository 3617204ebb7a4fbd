import { z } from 'zod'
import type { Backend } from '../../vfs/backend.ts'
import { commonKeys, type BuildContext, type MountType, onHelia } from './common.ts'

/** helia: embedded, its repository in the state directory. */
const heliaSchema = z.strictObject({
  type: z.literal('ipfs'),
  engine: z.literal('helia').default('helia'),
  /** Start libp2p so content can be fetched from and provided to the network. Default false. */
  networking: z.boolean().default(false),
  /** Keep mtimes in UnixFS metadata (then CIDs differ from a plain `ipfs add`). Default true. */
  preserveMtime: z.boolean().default(true),
  ...commonKeys,
})

/** kubo: a Kubo daemon's MFS through its RPC API (kubo-rpc-client). */
const kuboSchema = z.strictObject({
  type: z.literal('ipfs'),
  engine: z.literal('kubo'),
  /** The daemon's RPC API. Default http://127.0.0.1:5001. */
  api: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL of the RPC API' }).default('http://127.0.0.1:5001'),
  /** The MFS folder shown at the mount point. Default '/': the daemon's whole MFS. */
  mfsRoot: z
    .string()
    .regex(/^\/([^/]+(\/[^/]+)*)?$/, 'an absolute MFS path without a trailing slash')
    .default('/'),
  /** Keep mtimes in UnixFS metadata, as the Helia engine does. Default true. */
  preserveMtime: z.boolean().default(true),
  ...commonKeys,
})

export const ipfsSchema = z.discriminatedUnion('engine', [heliaSchema, kuboSchema], { error: "engine: expected 'helia' or 'kubo'" })

type IpfsSpec = z.infer<typeof ipfsSchema>

function createHelia(point: string, spec: z.infer<typeof heliaSchema>, ctx: BuildContext): Promise<Backend> {
  return onHelia(ctx, spec.networking, async (engine) => {
    const rootKey = point === '/ipfs' ? '/ipfs-vfs/root' : `/ipfs-vfs/root${point}`
    const { createIpfsBackend } = await import('../../mounts/ipfs/index.ts')
    return createIpfsBackend({ helia: engine.helia }, { rootKey, offline: !engine.networking, preserveMtime: spec.preserveMtime })
  })
}

async function createKubo(spec: z.infer<typeof kuboSchema>): Promise<Backend> {
  const { connectKubo, createKuboBackend } = await import('../../mounts/ipfs/kubo/index.ts')
  const kubo = await connectKubo(spec.api)
  return createKuboBackend({ kubo }, { mfsRoot: spec.mfsRoot, preserveMtime: spec.preserveMtime })
}

export const ipfsType: MountType<IpfsSpec> = {
  create: (point, spec, ctx) => (spec.engine === 'kubo' ? createKubo(spec) : createHelia(point, spec, ctx)),
  describe: (spec) =>
    spec.engine === 'kubo'
      ? { type: spec.type, engine: spec.engine, api: spec.api, mfsRoot: spec.mfsRoot }
      : { type: spec.type, engine: spec.engine, networking: spec.networking },
}
