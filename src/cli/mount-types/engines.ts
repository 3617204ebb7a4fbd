import type { HeliaEngine } from '../../mounts/ipfs/index.ts'

export interface HeldEngine {
  engine: HeliaEngine
  release(): Promise<void>
}

/**
 * Every ipfs mount of one daemon shares one Helia repository (one LevelDB has one writer); each
 * mount keeps its own tree root under its own key. The last user to release it stops Helia.
 */
export class EngineRegistry {
  readonly #engines = new Map<string, { engine: Promise<HeliaEngine>; users: number }>()

  async helia(dir: string, networking: boolean): Promise<HeldEngine> {
    // Loaded on first use: Helia costs about 100 MiB of memory that a daemon without /ipfs should not pay.
    const { openHeliaEngine } = await import('../../mounts/ipfs/index.ts')
    let entry = this.#engines.get(dir)
    if (!entry) {
      entry = { engine: openHeliaEngine({ dir, networking }), users: 0 }
      this.#engines.set(dir, entry)
    }
    entry.users++
    const held = entry
    const engine = await held.engine
    return {
      engine,
      release: async () => {
        if (--held.users === 0) {
          this.#engines.delete(dir)
          await engine.close()
        }
      },
    }
  }
}
