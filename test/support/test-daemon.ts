/**
 * A daemon for tests: /ipfs on embedded Helia (its repository in STATE/helia, as the CLI keeps
 * it), /local over a directory, /obj over the whole-object test backend, so the VFS staging is
 * exercised through the real kernel, /cluster over the cluster REST contract double (served
 * from this process) and, with IPFS_VFS_TEST_STORACHA=1, /storacha on the upload-api stand-in (a
 * child process), both with their content in the same Helia. Prints `mounted ...` when ready, exits cleanly on SIGTERM or
 * external unmount. Usage: test-daemon.ts MOUNTPOINT STATE LOCAL OBJ
 */
import { join } from 'node:path'
import { DEFAULT_FUSE_OPTIONS, mountFuse } from '../../src/fuse/fuse-mount.ts'
import { createIpfsBackend, openHeliaEngine } from '../../src/mounts/ipfs/index.ts'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { createClusterBackend } from '../../src/mounts/cluster/backend.ts'
import { ClusterRest } from '../../src/mounts/cluster/rest.ts'
import { createClusterDouble } from './cluster-double.ts'
import { createDirObjectBackend } from './dir-object-backend.ts'
import { storachaOnStandin } from './storacha-mount.ts'
import { createS3Backend, createS3Client } from '../../src/mounts/s3/index.ts'

async function s3Mount(spec: { bucket: string } & Parameters<typeof createS3Client>[0]) {
  const client = createS3Client(spec)
  return { backend: createS3Backend({ s3: client }, { bucket: spec.bucket }), client }
}

const [mountpoint, stateDir, localRoot, objectRoot] = process.argv.slice(2) as [string, string, string, string]
const vfs = new Vfs({ stagingDir: join(stateDir, 'staging') })
// As src/cli/build-vfs.ts does for the default /ipfs mount: offline, mtimes kept.
const engine = await openHeliaEngine({ dir: join(stateDir, 'helia'), networking: false })
vfs.addMount('/ipfs', await createIpfsBackend({ helia: engine.helia }, { rootKey: '/ipfs-vfs/root', offline: true, preserveMtime: true }))
vfs.addMount('/local', createLocalBackend({ root: localRoot }))
vfs.addMount('/obj', createDirObjectBackend({ root: objectRoot }), { cacheTtlMs: 1000 })
const double = await createClusterDouble({ peers: 1, stepMs: 1 })
vfs.addMount('/cluster', createClusterBackend({ blockstore: engine.helia.blockstore, api: new ClusterRest(double.url) }, { prefix: '', replicationMin: -1, replicationMax: -1, listTtlMs: 1000 }))
// /storacha only on request (IPFS_VFS_TEST_STORACHA=1): its stand-in is a process of about 300 MB.
const storacha = process.env.IPFS_VFS_TEST_STORACHA === '1' ? await storachaOnStandin(engine.helia.blockstore, stateDir) : undefined
if (storacha !== undefined) vfs.addMount('/storacha', storacha.backend)
// /s3 only on request (IPFS_VFS_TEST_S3: JSON of createS3Client options plus `bucket`): a Swift the test started.
const s3 = process.env.IPFS_VFS_TEST_S3 ? await s3Mount(JSON.parse(process.env.IPFS_VFS_TEST_S3) as { bucket: string }) : undefined
if (s3 !== undefined) vfs.addMount('/s3', s3.backend, { cacheTtlMs: 1000 })
const mount = await mountFuse(vfs, mountpoint, DEFAULT_FUSE_OPTIONS)
process.stdout.write(`mounted ${vfs.mounts.list().map((m) => m.point).join(' ')} at ${mountpoint}\n`)
let stopping = false
const stop = async (unmount: boolean) => {
  if (stopping) return
  stopping = true
  await vfs.files.flushAll()
  if (unmount) await mount.unmount()
  await vfs.close()
  await double.close()
  await storacha?.stop()
  await engine.close()
  process.exit(0)
}
process.once('SIGTERM', () => void stop(true))
process.once('SIGINT', () => void stop(true))
mount.exited.then(() => stop(false))
