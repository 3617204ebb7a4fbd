import { vfsMethods } from '../control/vfs-methods.ts'
import { operationsFeature } from '../ops/feature.ts'
import { refreshFeature } from './commands/refresh.ts'
import { startJournal } from '../journal/feature.ts'
import type { JournalDb } from '../journal/store.ts'
import { checkpointsFeature } from '../journal/checkpoints/feature.ts'
import { syncFeature } from '../journal/sync/feature.ts'
import { clusterFeature } from './commands/cluster.ts'
import type { Service } from './service.ts'

/**
 * The features a Service carries besides the Vfs (journal, sync, checkpoints, runtime mounts,
 * status...): each registers its control methods and close hooks. Run once by Service.open, in
 * this order, before anything is served.
 */
type Feature = (service: Service) => Promise<void>

/** The write-ahead journal in its own sublevel: recovery runs here, before anything is served. */
async function journalFeature(service: Service): Promise<void> {
  if (service.config.journal?.enabled === false) return
  const db = service.db.sublevel<string, unknown>('journal', { valueEncoding: 'json' }) as unknown as JournalDb
  service.journal = await startJournal({ vfs: service.vfs, stateDir: service.config.stateDir, db, register: (m) => service.register(m), onClose: (fn) => service.onClose(fn) })
}

// operationsFeature first: it mounts the persisted runtime mounts, which journal recovery may owe uploads to.
export const FEATURES: Feature[] = [operationsFeature, journalFeature, vfsMethods, clusterFeature, refreshFeature, syncFeature, (s) => checkpointsFeature(s, s.config.checkpoints)]
