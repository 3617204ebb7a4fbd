import { execFile } from 'node:child_process'
import { readFile, statfs } from 'node:fs/promises'
import { promisify } from 'node:util'
import { createLogger } from '../log.ts'

const run = promisify(execFile)
const log = createLogger('fuse')

/** Detaches a FUSE mount: fusermount as any user, umount -l as root; the first that works wins. */
export async function detach(mountpoint: string): Promise<void> {
  const attempts: [string, string[]][] = [
    ['fusermount', ['-uz', mountpoint]],
    ['fusermount3', ['-uz', mountpoint]],
    ['umount', ['-l', mountpoint]],
  ]
  let last: unknown
  for (const [cmd, args] of attempts) {
    try {
      await run(cmd, args)
      return
    } catch (err) {
      last = err
    }
  }
  throw new Error(`could not unmount ${mountpoint}`, { cause: last })
}

/** True when /proc/self/mountinfo lists `mountpoint` as a mount point. */
export async function isMounted(mountpoint: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '')
  const escaped = mountpoint.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)
  return info.split('\n').some((line) => line.split(' ')[4] === escaped)
}

/**
 * A daemon that died leaves its mount behind, answering ENOTCONN ("Transport endpoint is not
 * connected") to everything. That is not an error for the next start: detach it and go on.
 * Probed with statfs, which always asks the daemon: the kernel answers a stat of the mount's
 * root from its attribute cache for attrTimeout after the daemon died, as if it were alive.
 */
export async function clearStaleMount(mountpoint: string): Promise<boolean> {
  try {
    await statfs(mountpoint)
    return false
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOTCONN') return false
  }
  log.info(`${mountpoint}: clearing a stale mount left by a daemon that is gone`)
  await detach(mountpoint)
  return true
}
