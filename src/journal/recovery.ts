import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createLogger } from '../log.ts'
import type { Backend, XattrFlags } from '../vfs/backend.ts'
import { hashFile } from '../vfs/content-hash.ts'
import { toVfsError } from '../vfs/errors.ts'
import type { Vfs } from '../vfs/vfs.ts'
import type { JournalEntry, RecoveryAction, RecoveryDetail, RecoveryReport } from './entries.ts'
import type { Journal, StoredPendingUpload } from './journal.ts'

const log = createLogger('journal')

type Settled = { action: RecoveryAction; errno?: string; message?: string }

/**
 * Leaves the state consistent after the last run ended, however it ended. Runs before anything
 * is served. In this order:
 * 1. pending uploads (staged files whose fsync or close was acknowledged) are put into their
 *    store; one that fails again stays pending for the next start;
 * 2. every other file in the staging folder was never acknowledged: removed (the store keeps
 *    the content it had, which is what a crash before fsync may leave);
 * 3. intents without an outcome, oldest first: re-applied when the operation is idempotent and
 *    its effect is not in place (a redo log), confirmed when it is, rolled back otherwise.
 */
export async function recover(journal: Journal, vfs: Vfs, stagingDir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { time: Date.now(), resumedUploads: 0, failedUploads: 0, rolledBack: 0, reapplied: 0, confirmed: 0, discardedStaged: 0, kept: 0, details: [] }
  const uploaded = new Set<string>()
  const keep = new Set<string>()
  for (const upload of await journal.pendingUploads()) {
    const detail = await resumeUpload(journal, vfs, upload)
    report.details.push(detail)
    if (detail.action === 'resumed') {
      report.resumedUploads++
      uploaded.add(`${upload.mount}\u0000${upload.rel}`)
    } else {
      report.failedUploads++
      keep.add(upload.localPath)
    }
  }
  for (const name of await readdir(stagingDir).catch(() => [] as string[])) {
    const file = join(stagingDir, name)
    if (keep.has(file)) continue
    await rm(file, { force: true, recursive: true })
    report.discardedStaged++
  }
  if (report.discardedStaged) report.details.push({ kind: 'staged', action: 'discarded', message: `${report.discardedStaged} staged file(s) never acknowledged by fsync or close` })
  for (const entry of await journal.unfinished()) {
    const path = entry.paths.join(' -> ')
    if (entry.mount !== '' && !vfs.mounts.get(entry.mount)) {
      // A CLI call without the daemon may run with another config: not ours to settle.
      report.kept++
      report.details.push({ kind: 'intent', seq: entry.seq, op: entry.op, path, action: 'kept', message: `no mount at ${entry.mount} in this configuration: left for a start that has it` })
      continue
    }
    const settled = await settle(entry, vfs, uploaded).catch((err: unknown): Settled => ({ action: 'failed', errno: toVfsError(err, entry.op).code, message: String((err as Error).message ?? err) }))
    await journal.settle(entry, settled.action, settled.errno)
    if (settled.action === 'reapplied') report.reapplied++
    else if (settled.action === 'confirmed') report.confirmed++
    else report.rolledBack++
    report.details.push({ kind: 'intent', seq: entry.seq, op: entry.op, path, action: settled.action, ...(settled.errno ? { errno: settled.errno } : {}), ...(settled.message ? { message: settled.message } : {}) })
  }
  await journal.saveRecovery(report)
  const done = report.resumedUploads + report.failedUploads + report.reapplied + report.confirmed + report.rolledBack + report.discardedStaged + report.kept
  if (done) log.warn(`recovery: ${summary(report)}`)
  else log.info('recovery: nothing to do')
  return report
}

export function summary(r: RecoveryReport): string {
  return `${r.resumedUploads} upload(s) resumed, ${r.failedUploads} failed, ${r.reapplied} operation(s) re-applied, ${r.confirmed} confirmed, ${r.rolledBack} rolled back, ${r.discardedStaged} unacknowledged staged file(s) discarded${r.kept ? `, ${r.kept} kept for another configuration` : ''}`
}

async function resumeUpload(journal: Journal, vfs: Vfs, upload: StoredPendingUpload): Promise<RecoveryDetail> {
  const path = upload.rel === '/' ? upload.mount : `${upload.mount}${upload.rel}`
  const base = { kind: 'upload' as const, path }
  const backend = vfs.mounts.get(upload.mount)?.backend
  if (!backend?.put) return { ...base, action: 'failed', errno: 'ENOENT', message: `no writable mount at ${upload.mount}: kept for the next start` }
  const st = await stat(upload.localPath).catch(() => undefined)
  if (!st) {
    await journal.removePendingUpload(upload.localPath)
    return { ...base, action: 'failed', errno: 'ENOENT', message: `staged copy ${upload.localPath} is gone` }
  }
  const xxh3 = await hashFile(upload.localPath)
  try {
    await backend.put(upload.rel, { localPath: upload.localPath, size: st.size, mode: upload.mode, uid: upload.uid, gid: upload.gid, mtimeNs: BigInt(upload.mtimeNs) })
  } catch (err) {
    const e = toVfsError(err, 'put', path)
    log.error(`pending upload of ${path} failed again: kept for the next start`, e)
    return { ...base, action: 'failed', errno: e.code, message: e.message }
  }
  await journal.removePendingUpload(upload.localPath)
  await rm(upload.localPath, { force: true })
  // Writes after the acknowledged fsync may have reached the staged copy too: the newer bytes win.
  // Records written before the switch to xxh3 carry `sha256` and no `xxh3`: nothing to compare.
  const changed = typeof upload.xxh3 === 'string' && upload.xxh3 && xxh3 !== upload.xxh3 ? `; content changed after the acknowledgment (${st.size} bytes uploaded)` : ''
  return { ...base, action: 'resumed', message: `${st.size} bytes, xxh3 ${xxh3}${changed}` }
}

async function exists(backend: Backend, rel: string): Promise<boolean> {
  try {
    await backend.stat(rel)
    return true
  } catch (err) {
    if (toVfsError(err, 'stat').code === 'ENOENT') return false
    throw err
  }
}

/** Runs `fn` and calls the operation re-applied, or failed with its errno. */
async function redo(fn: (() => Promise<void>) | undefined): Promise<Settled> {
  if (!fn) return { action: 'rolled-back', message: 'the store cannot do this operation: left as it was' }
  try {
    await fn()
    return { action: 'reapplied' }
  } catch (err) {
    const e = toVfsError(err, 'redo')
    return { action: 'failed', errno: e.code, message: e.message }
  }
}

async function settle(entry: JournalEntry, vfs: Vfs, uploaded: Set<string>): Promise<Settled> {
  const targets = entry.paths.map((p) => {
    try {
      const r = vfs.resolve(p, entry.op)
      return r.kind === 'mount' ? r : undefined
    } catch {
      return undefined
    }
  })
  const [t, t2] = targets
  if (!t || (entry.paths.length > 1 && !t2)) return { action: 'rolled-back', message: 'no mount holds this path now: left as it was' }
  const b = t.mount.backend
  const a = entry.args ?? {}
  switch (entry.op) {
    case 'mkdir':
      return (await exists(b, t.rel)) ? { action: 'confirmed' } : redo(() => b.mkdir(t.rel, Number(a.mode ?? 0o755)))
    case 'rmdir':
      return (await exists(b, t.rel)) ? redo(() => b.rmdir(t.rel)) : { action: 'confirmed' }
    case 'unlink':
      return (await exists(b, t.rel)) ? redo(() => b.unlink(t.rel)) : { action: 'confirmed' }
    case 'rename': {
      const to = t2 as NonNullable<typeof t2>
      const [from, dst] = [await exists(b, t.rel), await exists(b, to.rel)]
      // A copy-then-delete rename stopped half way has both names: finishing it is the redo.
      if (from) return redo(b.rename && (() => b.rename?.(t.rel, to.rel) as Promise<void>))
      return dst ? { action: 'confirmed' } : { action: 'rolled-back', errno: 'ENOENT', message: 'neither name exists' }
    }
    case 'symlink':
      return (await exists(b, t.rel)) ? { action: 'confirmed' } : redo(b.symlink && (() => b.symlink?.(String(a.target), t.rel) as Promise<void>))
    case 'link': {
      const to = t2 as NonNullable<typeof t2>
      return (await exists(b, to.rel)) ? { action: 'confirmed' } : redo(b.link && (() => b.link?.(t.rel, to.rel) as Promise<void>))
    }
    case 'write':
      return settleWrite(entry, t.mount.point, t.rel, b, uploaded)
    case 'truncate':
      if (b.capabilities.writes !== 'randomWrite') return { action: 'rolled-back', message: 'object stores truncate through a staged copy: the store keeps the content it had' }
      return redo(b.truncate && (() => b.truncate?.(t.rel, Number(a.size)) as Promise<void>))
    case 'chmod':
      return redo(b.chmod && (() => b.chmod?.(t.rel, Number(a.mode)) as Promise<void>))
    case 'chown':
      return redo(b.chown && (() => b.chown?.(t.rel, Number(a.uid), Number(a.gid)) as Promise<void>))
    case 'utimens': {
      const times = { ...(a.atimeNs === undefined ? {} : { atimeNs: BigInt(String(a.atimeNs)) }), ...(a.mtimeNs === undefined ? {} : { mtimeNs: BigInt(String(a.mtimeNs)) }) }
      return redo(b.utimens && (() => b.utimens?.(t.rel, times) as Promise<void>))
    }
    case 'setxattr':
      return redo(b.setxattr && (() => b.setxattr?.(t.rel, String(a.name), Buffer.from(String(a.value), 'base64'), a.flags as XattrFlags) as Promise<void>))
    case 'removexattr': {
      const r = await redo(b.removexattr && (() => b.removexattr?.(t.rel, String(a.name)) as Promise<void>))
      return r.errno === 'ENODATA' ? { action: 'confirmed' } : r
    }
    default:
      return { action: 'rolled-back', message: `no recovery for ${entry.op}: left as it was` }
  }
}

/**
 * A write session the crash cut short. Written-through files (/local) hold what reached them;
 * object stores hold the last acknowledged content (a pending upload resumed above) or what they
 * had before: the unacknowledged staged copy was discarded.
 */
function settleWrite(entry: JournalEntry, mount: string, rel: string, b: Backend, uploaded: Set<string>): Settled {
  if (b.capabilities.writes === 'randomWrite') return { action: 'confirmed', message: 'written through: bytes written before the crash are in the file' }
  if (uploaded.has(`${mount}\u0000${rel}`)) return { action: 'confirmed', message: 'the acknowledged content was uploaded from its staged copy' }
  return { action: 'rolled-back', message: `changes not acknowledged by fsync or close were discarded (#${entry.seq})` }
}
