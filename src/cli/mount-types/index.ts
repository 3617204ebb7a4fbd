import { z } from 'zod'
import type { Backend } from '../../vfs/backend.ts'
import { clusterSchema, clusterType } from './cluster.ts'
import type { BuildContext, MountType } from './common.ts'
import { ipfsSchema, ipfsType } from './ipfs.ts'
import { localSchema, localType } from './local.ts'
import { s3Schema, s3Type } from './s3.ts'
import { storachaSchema, storachaType } from './storacha.ts'

/** Every mount type: add a schema here and its factory below. */
export const mountSpecSchema = z.discriminatedUnion('type', [localSchema, ipfsSchema, s3Schema, storachaSchema, clusterSchema])
export type MountSpec = z.infer<typeof mountSpecSchema>

type Factories = { [T in MountSpec['type']]: MountType<Extract<MountSpec, { type: T }>> }
const FACTORIES: Factories = {
  local: localType,
  ipfs: ipfsType,
  s3: s3Type,
  storacha: storachaType,
  cluster: clusterType,
}

function factory<S extends MountSpec>(spec: S): MountType<S> {
  return FACTORIES[spec.type] as unknown as MountType<S>
}

export function createMountBackend(point: string, spec: MountSpec, ctx: BuildContext): Promise<Backend> {
  return factory(spec).create(point, spec, ctx)
}

/** What `status` and `vfs_list_mounts` show: no secrets. */
export function describeMount(spec: MountSpec): Record<string, unknown> {
  return factory(spec).describe(spec)
}
