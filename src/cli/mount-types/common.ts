import { join } from 'node:path'
import { z } from 'zod'
import type { HeliaEngine } from '../../mounts/ipfs/index.ts'
import type { Backend } from '../../vfs/backend.ts'
import type { StateDb } from '../service.ts'
import type { EngineRegistry } from './engines.ts'

/** Keys every mount type accepts. */
export const commonKeys = {
  /** Refuse every change with EROFS. Default: what the backend declares. */
  readOnly: z.boolean().optional(),
  /** Milliseconds a stat or listing is served from the VFS cache. Default: 0 for local. */
  cacheTtlMs: z.number().int().nonnegative().optional(),
}

/** What a mount type's factory may use besides its own spec. */
export interface BuildContext {
  stateDir: string
  /** Shared IPFS engines: one per repository, closed when the last user releases it. */
  engines: EngineRegistry
  /** The state LevelDB (`service.db`), when built by a Service: a mount keeps its records in its own sublevel. */
  db?: StateDb
}

/** One kind of mount: its config schema, its factory over the real client, and a secret-free description. */
export interface MountType<Spec extends { type: string }> {
  create(point: string, spec: Spec, ctx: BuildContext): Promise<Backend>
  describe(spec: Spec): Record<string, unknown>
}

/**
 * Builds a backend on the state directory's shared Helia engine; closing the backend releases the
 * engine (the last user stops it), and so does a failure to build it.
 */
export async function onHelia(ctx: BuildContext, networking: boolean, build: (engine: HeliaEngine) => Promise<Backend>): Promise<Backend> {
  const { engine, release } = await ctx.engines.helia(join(ctx.stateDir, 'helia'), networking)
  try {
    const backend = await build(engine)
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
