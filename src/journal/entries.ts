/**
 * The records of the journal and their keys in its LevelDB sublevel. Keys sort as they should
 * (sequence numbers zero-padded), so ranges are key ranges:
 *   e!<seq>            an entry's intent (written once, before the operation)
 *   o!<seq>            its outcome (after; a separate small record, so an entry is written once)
 *   i!<seq>            an intent whose outcome is not written yet (what recovery looks at)
 *   h!<path>\0<seq>    history index: one key per path an entry names
 *   p!<staged name>    a pending upload (an acknowledged staged file not yet in its store)
 *   t!<path>           a tracked subtree (its history survives compaction)
 *   m!recovery         the last recovery report; m!floor the highest sequence ever compacted
 */
import type { PendingUpload } from '../vfs/journal-hook.ts'

export type { PendingUpload }

export type EntryStatus = 'intent' | 'ok' | 'error' | 'recovered'

export interface JournalEntry {
  seq: number
  /** When the intent was written (ms since the epoch). */
  time: number
  mount: string
  op: string
  paths: string[]
  args?: Record<string, unknown>
  /** intent: not finished (yet, or ever: see recovery); ok / error: its outcome; recovered: settled by recovery. */
  status: EntryStatus
  /** When the outcome was written. */
  endTime?: number
  errno?: string
  result?: Record<string, unknown>
  /** What recovery did with an unfinished intent. */
  recovery?: RecoveryAction
}

/** The part of an entry written after the operation. */
export type Outcome = Pick<JournalEntry, 'status' | 'endTime' | 'errno' | 'result' | 'recovery'>

export type RecoveryAction = 'reapplied' | 'confirmed' | 'rolled-back' | 'failed'

export interface RecoveryDetail {
  kind: 'intent' | 'upload' | 'staged'
  seq?: number
  op?: string
  path?: string
  action: RecoveryAction | 'resumed' | 'discarded' | 'kept'
  errno?: string
  message?: string
}

/** What the last start did to leave the state consistent. */
export interface RecoveryReport {
  time: number
  /** Pending uploads of acknowledged staged files put into their store. */
  resumedUploads: number
  /** Pending uploads that failed again (kept for the next start). */
  failedUploads: number
  /** Unfinished intents settled as not applied (or undone). */
  rolledBack: number
  /** Unfinished intents applied again. */
  reapplied: number
  /** Unfinished intents whose effect was found already in place. */
  confirmed: number
  /** Staged files no acknowledgment covers, removed. */
  discardedStaged: number
  /** Unfinished intents on a mount this start does not have (another config): left for one that has it. */
  kept: number
  details: RecoveryDetail[]
}

const SEQ_WIDTH = 15

export function seqKey(seq: number): string {
  return String(seq).padStart(SEQ_WIDTH, '0')
}

export const KEY = {
  entry: (seq: number) => `e!${seqKey(seq)}`,
  outcome: (seq: number) => `o!${seqKey(seq)}`,
  intent: (seq: number) => `i!${seqKey(seq)}`,
  history: (path: string, seq: number) => `h!${path}\u0000${seqKey(seq)}`,
  pending: (name: string) => `p!${name}`,
  tracked: (path: string) => `t!${path}`,
  recovery: 'm!recovery',
  floor: 'm!floor',
} as const

/** Key range of one prefix ('e!', 'i!', 'p!', 't!'). */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix}\uffff` }
}

/** History keys of `path` itself and of everything below it. */
export function historyRanges(path: string): { gte: string; lt: string }[] {
  const self = { gte: `h!${path}\u0000`, lt: `h!${path}\u0001` }
  if (path === '/') return [{ gte: 'h!/', lt: 'h!0' }]
  return [self, { gte: `h!${path}/`, lt: `h!${path}0` }]
}

export function seqOfHistoryKey(key: string): number {
  return Number(key.slice(key.lastIndexOf('\u0000') + 1))
}
