/**
 * The real daemon (src/cli/daemon.ts: Service with the journal, control socket, FUSE) over
 * /local, /ipfs (embedded Helia in the state directory) and /obj, the whole-object test store
 * (test/support/dir-object-backend.ts), which no config can describe.
 * Usage: journal-daemon.ts MOUNTPOINT STATE LOCAL OBJ (as test-daemon.ts).
 *
 * Test-only fault injection, read by this script and nowhere else:
 *   IPFS_VFS_TEST_CRASH_AFTER_INTENT=OP[:TEXT]  SIGKILL this process as soon as the intent of an
 *       operation OP (on a path containing TEXT) is written, before the operation is applied
 *   IPFS_VFS_TEST_FAIL_PUT=TEXT                 every put into /obj of a path containing TEXT
 *       fails with EIO (an unreachable store)
 *   IPFS_VFS_TEST_JOURNAL=off                   run without the journal (config journal.enabled false)
 */
import { parseConfig } from '../../src/cli/config.ts'
import { Daemon } from '../../src/cli/daemon.ts'
import type { PutSource } from '../../src/vfs/backend.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { createDirObjectBackend } from '../support/dir-object-backend.ts'

const [mountpoint, stateDir, localRoot, objectRoot] = process.argv.slice(2) as [string, string, string, string]
const journalOff = process.env.IPFS_VFS_TEST_JOURNAL === 'off'
const config = parseConfig(JSON.stringify({ mounts: { '/local': { type: 'local', root: localRoot }, '/ipfs': { type: 'ipfs' } }, ...(journalOff ? { journal: { enabled: false } } : {}) }), '(journal-daemon)', { stateDir })

const failPut = process.env.IPFS_VFS_TEST_FAIL_PUT
const daemon = await Daemon.start(config, mountpoint, {
  prepare: async (vfs) => {
    const store = createDirObjectBackend({ root: objectRoot })
    if (failPut) {
      const put = store.put?.bind(store) as (path: string, source: PutSource) => Promise<void>
      store.put = async (path: string, source: PutSource) => {
        if (path.includes(failPut)) throw new VfsError('EIO', 'put', path, { message: `EIO: put ${path}: IPFS_VFS_TEST_FAIL_PUT` })
        return put(path, source)
      }
    }
    vfs.addMount('/obj', store, { cacheTtlMs: 1000 })
  },
})

const crash = process.env.IPFS_VFS_TEST_CRASH_AFTER_INTENT
if (crash && daemon.service.journal) {
  const [op, text = ''] = crash.split(':')
  daemon.service.journal.afterIntent = (entry) => {
    if (entry.op === op && entry.paths.some((p) => p.includes(text))) process.kill(process.pid, 'SIGKILL')
  }
}
process.stdout.write(`mounted ${daemon.service.vfs.mounts.list().map((m) => m.point).join(' ')} at ${daemon.fuse.mountpoint}\n`)
process.exit(await daemon.serve())
