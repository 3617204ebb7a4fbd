import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Vfs } from '../vfs/vfs.ts'
import type { Config } from './config.ts'
import type { StateDb } from './service.ts'
import { EngineRegistry } from './mount-types/engines.ts'
import type { BuildContext } from './mount-types/common.ts'
import { createMountBackend, describeMount, type MountSpec } from './mount-types/index.ts'

/**
 * The composition root: one backend per configured mount, each over its real client. `engines`
 * is shared with the caller (the Service's sync engine opens the same Helia repository).
 */
export async function buildVfs(config: Config, engines: EngineRegistry = new EngineRegistry(), db?: StateDb): Promise<Vfs> {
  await mkdir(config.stateDir, { recursive: true })
  const vfs = new Vfs({ stagingDir: join(config.stateDir, 'staging') })
  const ctx: BuildContext = { stateDir: config.stateDir, engines, ...(db === undefined ? {} : { db }) }
  try {
    for (const [point, spec] of Object.entries(config.mounts)) await mountSpec(vfs, point, spec, ctx)
  } catch (err) {
    await vfs.close()
    throw err
  }
  return vfs
}

/** Creates the backend of one mount spec and adds it at `point` (also for mounts added at run time). */
export async function mountSpec(vfs: Vfs, point: string, spec: MountSpec, ctx: BuildContext): Promise<void> {
  const backend = await createMountBackend(point, spec, ctx)
  const { readOnly, cacheTtlMs } = spec
  try {
    vfs.addMount(point, backend, { ...(readOnly === undefined ? {} : { readOnly }), ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) }, describeMount(spec))
  } catch (err) {
    await backend.close?.()
    throw err
  }
}
