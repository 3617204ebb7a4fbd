import { join } from 'node:path'
import { z } from 'zod'
import { commonKeys, type MountType } from './common.ts'

export const ipfsSchema = z.strictObject({
  type: z.literal('ipfs'),
  /** helia: embedded, its repository in the state directory. */
  engine: z.literal('helia').default('helia'),
  /** Start libp2p so content can be fetched from and provided to the network. Default false. */
  networking: z.boolean().default(false),
  /** Keep mtimes in UnixFS metadata (then CIDs differ from a plain `ipfs add`). Default true. */
  preserveMtime: z.boolean().default(true),
  ...commonKeys,
})

export const ipfsType: MountType<z.infer<typeof ipfsSchema>> = {
  async create(point, spec, ctx) {
    const { engine, release } = await ctx.engines.helia(join(ctx.stateDir, 'helia'), spec.networking)
    try {
      const rootKey = point === '/ipfs' ? '/ipfs-vfs/root' : `/ipfs-vfs/root${point}`
      const { createIpfsBackend } = await import('../../mounts/ipfs/index.ts')
      const backend = await createIpfsBackend({ helia: engine.helia }, { rootKey, offline: !engine.networking, preserveMtime: spec.preserveMtime })
      return {
        ...backend,
        close: async () => {
          await backend.close?.()
          await release()
        },
      }
    } catch (err) {
      await release()
      throw err
    }
  },
  describe: (spec) => ({ type: spec.type, engine: spec.engine, networking: spec.networking }),
}
