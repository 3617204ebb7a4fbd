import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '../mounts/local.ts'
import type { Backend } from '../vfs/backend.ts'
import { Vfs } from '../vfs/vfs.ts'
import type { Config, MountSpec } from './config.ts'

/** The composition root: one backend per configured mount, each over its real client. */
async function createBackend(spec: MountSpec): Promise<Backend> {
  switch (spec.type) {
    case 'local':
      await mkdir(spec.root, { recursive: true })
      return createLocalBackend({ root: spec.root })
  }
}

export async function buildVfs(config: Config): Promise<Vfs> {
  await mkdir(config.stateDir, { recursive: true })
  const vfs = new Vfs({ stagingDir: join(config.stateDir, 'staging') })
  for (const [point, spec] of Object.entries(config.mounts)) {
    const backend = await createBackend(spec)
    const { type, readOnly, cacheTtlMs } = spec
    vfs.addMount(point, backend, { ...(readOnly === undefined ? {} : { readOnly }), ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) }, { type, ...(spec.type === 'local' ? { root: spec.root } : {}) })
  }
  return vfs
}
