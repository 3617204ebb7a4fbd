import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createLogger } from '../log.ts'

const run = promisify(execFile)
const log = createLogger('daemon')

/**
 * At shutdown, after the uploads are flushed, with files still open through the mount: the
 * binding's lazy unmount would detach the mount but leave the FUSE connection alive until the
 * last of those files is closed, and it waits for the FUSE thread, so the daemon would never
 * exit (`systemctl stop` would end in SIGKILL). A forced unmount (umount -f: the kernel's
 * fuse_umount_begin) aborts the connection first: the holders get ENOTCONN and the daemon exits.
 * Root only; for other users this logs why and leaves things as they were.
 */
export async function abortBusyMount(mountpoint: string, openHandles: number): Promise<void> {
  if (openHandles === 0) return
  log.warn(`${mountpoint}: ${openHandles} file(s) still open at shutdown: aborting the FUSE connection (they get ENOTCONN)`)
  // -i: no umount.<type> helper; a busy mount answers EBUSY after the abort, which is expected.
  await run('umount', ['-f', '-i', mountpoint]).catch((err: { stderr?: string }) => {
    if (!/busy/i.test(err.stderr ?? '')) log.warn(`${mountpoint}: forced unmount failed: ${(err.stderr ?? String(err)).trim()}`)
  })
}
