import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { VfsError } from '../../vfs/errors.ts'
import { commonKeys, type MountType, onHelia } from './common.ts'

export const storachaSchema = z.strictObject({
  type: z.literal('storacha'),
  /** The space (did:key:...) shown here. */
  space: z.string().startsWith('did:key:'),
  /** The agent's private key: a file holding it, else the environment variable STORACHA_KEY. */
  keyFile: z.string().min(1).optional(),
  /** The proof (base64 delegation of the space to the agent): a file, else STORACHA_PROOF. */
  proofFile: z.string().min(1).optional(),
  /** The upload service. Default the public one. */
  service: z.string().url().default('https://up.storacha.network'),
  /** The service's DID. Default did:web:up.storacha.network. */
  serviceDid: z.string().startsWith('did:').default('did:web:up.storacha.network'),
  /** Where receipts are polled. Default `<service>/receipt/`. */
  receipts: z.string().url().optional(),
  /** The trustless gateway reads fall back to. Default https://storacha.link. */
  gateway: z.string().url().default('https://storacha.link'),
  /** Milliseconds a listing of the space is reused. Default 2000. */
  listTtlMs: z.number().int().nonnegative().default(2000),
  /** Keep mtimes in UnixFS metadata (as /ipfs). Default true. */
  preserveMtime: z.boolean().default(true),
  ...commonKeys,
})

type Spec = z.infer<typeof storachaSchema>

async function secret(file: string | undefined, env: string, what: string): Promise<string> {
  if (file !== undefined) return (await readFile(file, 'utf8')).trim()
  const v = process.env[env]
  if (v === undefined || v.trim() === '') throw new VfsError('EACCES', 'mount', '/', { message: `EACCES: /storacha needs ${what}: set ${env} or the mount's ${what === 'the agent key' ? 'keyFile' : 'proofFile'}` })
  return v.trim()
}

export const storachaType: MountType<Spec> = {
  async create(_point, spec, ctx) {
    if (ctx.db === undefined) throw new VfsError('EINVAL', 'mount', '/', { message: 'EINVAL: /storacha keeps its names in the state database, which this build has not opened' })
    const key = await secret(spec.keyFile, 'STORACHA_KEY', 'the agent key')
    const proof = await secret(spec.proofFile, 'STORACHA_PROOF', 'the proof')
    const { openStorachaClient } = await import('../../mounts/storacha/client.ts')
    const client = await openStorachaClient({ key, proof, space: spec.space, serviceUrl: spec.service, serviceDid: spec.serviceDid, ...(spec.receipts === undefined ? {} : { receiptsUrl: spec.receipts }) }).catch((err: unknown) => {
      throw new VfsError('EACCES', 'mount', '/', { cause: err, message: `EACCES: /storacha: ${(err as Error).message}` })
    })
    const db = ctx.db
    return onHelia(ctx, false, async (engine) => {
      const { createStorachaBackend } = await import('../../mounts/storacha/backend.ts')
      const names = db.sublevel('storacha-names', { valueEncoding: 'json' }).sublevel(spec.space, { valueEncoding: 'json' })
      return createStorachaBackend({ blockstore: engine.helia.blockstore, client, names: names as never }, { gateway: spec.gateway, listTtlMs: spec.listTtlMs, preserveMtime: spec.preserveMtime })
    })
  },
  describe: (spec) => ({ type: spec.type, space: spec.space, service: spec.service, gateway: spec.gateway }),
}
