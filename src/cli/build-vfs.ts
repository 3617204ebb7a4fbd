import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { HeliaEngine } from '../mounts/ipfs/index.ts'
import { createLocalBackend } from '../mounts/local.ts'
import type { Backend } from '../vfs/backend.ts'
import { Vfs } from '../vfs/vfs.ts'
import type { Config, MountSpec } from './config.ts'

type Engines = Map<string, { engine: Promise<HeliaEngine>; users: number }>

/**
 * Every ipfs mount of one daemon shares one Helia repository (one LevelDB has one writer); each
 * mount keeps its own tree root under its own key. The last mount to close stops Helia.
 */
async function useEngine(engines: Engines, dir: string, networking: boolean): Promise<{ engine: HeliaEngine; release(): Promise<void> }> {
  // Loaded on first use: Helia costs about 100 MiB of memory that a daemon without /ipfs should not pay.
  const { openHeliaEngine } = await import('../mounts/ipfs/index.ts')
  let entry = engines.get(dir)
  if (!entry) {
    entry = { engine: openHeliaEngine({ dir, networking }), users: 0 }
    engines.set(dir, entry)
  }
  entry.users++
  const held = entry
  const engine = await held.engine
  return {
    engine,
    async release() {
      if (--held.users === 0) {
        engines.delete(dir)
        await engine.close()
      }
    },
  }
}

/** The composition root: one backend per configured mount, each over its real client. */
async function createBackend(point: string, spec: MountSpec, stateDir: string, engines: Engines): Promise<Backend> {
  switch (spec.type) {
    case 'local':
      await mkdir(spec.root, { recursive: true })
      return createLocalBackend({ root: spec.root })
    case 'ipfs': {
      const { engine, release } = await useEngine(engines, join(stateDir, 'helia'), spec.networking)
      try {
        const rootKey = point === '/ipfs' ? '/ipfs-vfs/root' : `/ipfs-vfs/root${point}`
        const { createIpfsBackend } = await import('../mounts/ipfs/index.ts')
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
    }
  }
}

function describe(spec: MountSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'local':
      return { type: spec.type, root: spec.root }
    case 'ipfs':
      return { type: spec.type, engine: spec.engine, networking: spec.networking }
  }
}

export async function buildVfs(config: Config): Promise<Vfs> {
  await mkdir(config.stateDir, { recursive: true })
  const vfs = new Vfs({ stagingDir: join(config.stateDir, 'staging') })
  const engines: Engines = new Map()
  try {
    for (const [point, spec] of Object.entries(config.mounts)) {
      const backend = await createBackend(point, spec, config.stateDir, engines)
      const { readOnly, cacheTtlMs } = spec
      vfs.addMount(point, backend, { ...(readOnly === undefined ? {} : { readOnly }), ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) }, describe(spec))
    }
  } catch (err) {
    await vfs.close()
    throw err
  }
  return vfs
}
