import { execFile } from 'node:child_process'
import { closeSync, writeSync } from 'node:fs'
import { promisify } from 'node:util'
import { createLogger } from '../log.ts'

const run = promisify(execFile)
const log = createLogger('daemon')

/**
 * The environment variable naming a file descriptor on which the mount helper waits for the
 * daemon's readiness line (`ready <pid>`): it returns to mount(8) only once the mount answers.
 */
export const READY_FD_ENV = 'IPFS_VFS_READY_FD'

/**
 * Tells systemd (Type=notify) a state change through `systemd-notify`: Node has no Unix datagram
 * sockets. The message carries our pid (`--pid`), so systemd credits the daemon, not the
 * short-lived systemd-notify; the units set NotifyAccess=all for that.
 */
async function sdNotify(...assignments: string[]): Promise<void> {
  if (!process.env.NOTIFY_SOCKET) return
  try {
    await run('systemd-notify', [`--pid=${process.pid}`, ...assignments], { timeout: 10_000 })
  } catch (err) {
    log.warn(`systemd-notify ${assignments.join(' ')} failed`, err)
  }
}

/** The mount answers and the control socket serves: tell the mount helper and systemd. */
export async function notifyReady(status: string): Promise<void> {
  const raw = process.env[READY_FD_ENV]
  if (raw !== undefined) {
    delete process.env[READY_FD_ENV]
    const fd = Number(raw)
    try {
      writeSync(fd, `ready ${process.pid}\n`)
      closeSync(fd)
    } catch (err) {
      log.warn(`readiness fd ${raw} not writable`, err)
    }
  }
  await sdNotify('--ready', `--status=${status}`)
}

/** Stopping: systemd shows it while pending uploads are flushed. */
export async function notifyStopping(why: string): Promise<void> {
  await sdNotify('STOPPING=1', `--status=stopping (${why}): flushing pending uploads`)
}
