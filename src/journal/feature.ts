import { join } from 'node:path'
import type { ControlMethods } from '../control/protocol.ts'
import type { Vfs } from '../vfs/vfs.ts'
import { Journal } from './journal.ts'
import { journalMethods } from './methods.ts'
import { recover } from './recovery.ts'
import type { JournalDb } from './store.ts'

/** What the journal needs from the Service that carries it (src/cli/service.ts). */
export interface JournalHost {
  readonly vfs: Vfs
  readonly stateDir: string
  /** The journal's own sublevel of the state database (JSON values). */
  readonly db: JournalDb
  register(methods: ControlMethods): void
  onClose(fn: () => Promise<void>): void
}

/**
 * Opens the journal, settles what the last run left unfinished (recovery, before anything is
 * served), then hooks it into the Vfs so every mutating operation is recorded from here on.
 */
export async function startJournal(host: JournalHost): Promise<Journal> {
  const journal = await Journal.open(host.db)
  await recover(journal, host.vfs, join(host.stateDir, 'staging'))
  host.vfs.journal = journal
  host.register(journalMethods(journal))
  // Runs after the shutdown flush of pending uploads, whose records it waits for. Write sessions
  // still open end here, so the next start does not take them for interrupted ones.
  host.onClose(async () => {
    for (const h of host.vfs.files.handles.values()) void h.session?.ticket.end({ result: { ...h.session.result(undefined, undefined), openAtShutdown: true } })
    await journal.drain()
  })
  return journal
}
