import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Vfs } from '../vfs/vfs.ts'
import type { Config } from './config.ts'
import { EngineRegistry } from './mount-types/engines.ts'
import { createMountBackend, describeMount } from './mount-types/index.ts'

/** The composition root: one backend per configured mount, each over its real client. */
export async function buildVfs(config: Config): Promise<Vfs> {
  await mkdir(config.stateDir, { recursive: true })
  const vfs = new Vfs({ stagingDir: join(config.stateDir, 'staging') })
  const ctx = { stateDir: config.stateDir, engines: new EngineRegistry() }
  try {
    for (const [point, spec] of Object.entries(config.mounts)) {
      const backend = await createMountBackend(point, spec, ctx)
      const { readOnly, cacheTtlMs } = spec
      vfs.addMount(point, backend, { ...(readOnly === undefined ? {} : { readOnly }), ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) }, describeMount(spec))
    }
  } catch (err) {
    await vfs.close()
    throw err
  }
  return vfs
}
