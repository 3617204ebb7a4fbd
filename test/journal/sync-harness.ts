/**
 * A Vfs with /local and /other (local directories, /local's opens counted), /ipfs (the embedded
 * Helia engine) and a sync context over the same engine, in a scratch folder: what the sync and
 * checkpoint tests run on without FUSE.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { createIpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { SyncIndex } from '../../src/journal/sync/sync-index.ts'
import type { SyncContext } from '../../src/journal/sync/types.ts'
import type { Backend } from '../../src/vfs/backend.ts'
import { Vfs } from '../../src/vfs/vfs.ts'

export interface SyncHarness {
  dir: string
  localRoot: string
  otherRoot: string
  vfs: Vfs
  engine: HeliaEngine
  db: Level<string, unknown>
  ctx: SyncContext
  /** Paths (mount-relative) of /local opened, in order. */
  opened: string[]
  /** Runs before each open of /local (a test's way to race a sync). */
  hooks: { beforeOpen?: (path: string) => Promise<void> }
  close(): Promise<void>
}

/** A backend whose opens are recorded: a file read by a sync is a file opened. */
function counting(backend: Backend, opened: string[], hooks: SyncHarness['hooks']): Backend {
  return {
    ...backend,
    capabilities: backend.capabilities,
    open: async (path, flags, mode, opts) => {
      await hooks.beforeOpen?.(path)
      opened.push(path)
      return (backend.open as NonNullable<Backend['open']>).call(backend, path, flags, mode, opts)
    },
  }
}

export async function startHarness(): Promise<SyncHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-sync-'))
  const localRoot = join(dir, 'local')
  const otherRoot = join(dir, 'other')
  await Promise.all([mkdir(localRoot), mkdir(otherRoot)])
  const opened: string[] = []
  const hooks: SyncHarness['hooks'] = {}
  const vfs = new Vfs({ stagingDir: join(dir, 'staging') })
  const local = createLocalBackend({ root: localRoot })
  vfs.addMount('/local', counting(local, opened, hooks))
  vfs.addMount('/other', createLocalBackend({ root: otherRoot }))
  const engine = await openHeliaEngine({ dir: join(dir, 'helia') })
  vfs.addMount('/ipfs', await createIpfsBackend({ helia: engine.helia }))
  const db = new Level<string, unknown>(join(dir, 'state'), { valueEncoding: 'json' })
  await db.open()
  const ctx: SyncContext = { vfs, blocks: engine.helia.blockstore, offline: true, index: new SyncIndex(db) }
  return {
    dir,
    localRoot,
    otherRoot,
    vfs,
    engine,
    db,
    ctx,
    opened,
    hooks,
    async close() {
      await vfs.close()
      await engine.close()
      await db.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
