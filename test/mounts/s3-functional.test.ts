/**
 * The functional suite (test/functional) and the reference model (test/model) on /s3, a bucket of
 * a real S3 server (OpenStack Swift s3api, test/support/swift.ts): in-process on the Vfs, and
 * through the kernel (the test daemon mounts /s3 when IPFS_VFS_TEST_S3 names the server). What
 * each case says reached the store is read back with the SDK, past every cache. Fewer model runs
 * than on /local: every step is several S3 requests (S3_MODEL_RUNS, S3_MODEL_MOUNT_RUNS).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { createS3Backend, createS3Client } from '../../src/mounts/s3/index.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { functionalSuite } from '../functional/suite.ts'
import { checkModel, runSettings } from '../model/harness.ts'
import { createDirObjectBackend } from '../support/dir-object-backend.ts'
import { mountTarget, type Target, vfsFs } from '../support/fs-like.ts'
import { bucketStore, startSwift } from '../support/swift.ts'

const swift = await startSwift()
const sdk = swift.client()
let buckets = 0

async function bucket(): Promise<string> {
  const name = `fn${process.pid}-${++buckets}`
  await swift.createBucket(name)
  return name
}

/** /local, /obj (the suite's root case lists both) and /s3, in this process. */
async function vfsTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-fn-'))
  await Promise.all([mkdir(join(dir, 'local')), mkdir(join(dir, 'obj'))])
  const b = await bucket()
  const client = createS3Client({ ...swift.clientConfig(), timeoutMs: 20_000 })
  const vfs = new Vfs({ stagingDir: join(dir, 'staging') })
  vfs.addMount('/local', createLocalBackend({ root: join(dir, 'local') }))
  vfs.addMount('/obj', createDirObjectBackend({ root: join(dir, 'obj') }), { cacheTtlMs: 1000 })
  vfs.addMount('/s3', createS3Backend({ s3: client }, { bucket: b }), { cacheTtlMs: 1000 })
  const fs = vfsFs(vfs)
  return {
    fs,
    vfs,
    localRoot: join(dir, 'local'),
    objectRoot: join(dir, 'obj'),
    ipfsRoot: () => Promise.reject(new Error('no /ipfs here')),
    cidOf: () => Promise.reject(new Error('no /ipfs here')),
    store: (mount, folder) => (mount === 's3' ? bucketStore(sdk, b, folder) : undefined),
    close: async () => {
      await fs.close()
      client.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The test daemon through FUSE, with /s3 on a fresh bucket of this Swift. */
async function fuseTarget(): Promise<Target> {
  const b = await bucket()
  const t = await mountTarget({ env: { IPFS_VFS_TEST_S3: JSON.stringify({ ...swift.clientConfig(), bucket: b }) } })
  return { ...t, store: (mount, folder) => (mount === 's3' ? bucketStore(sdk, b, folder) : undefined) }
}

const inProcess = functionalSuite('in-process Vfs, /s3 on Swift s3api', vfsTarget, ['s3'])
const throughFuse = functionalSuite('FUSE mount (node:fs), /s3 on Swift s3api', fuseTarget, ['s3'])

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback)
const { seed, maxLength } = runSettings('vfs')
const model = suite<{ vfs?: Target; fuse?: Target }>('model: /s3 on Swift s3api', {})
model.after(async (ctx) => {
  await ctx.vfs?.close()
  await ctx.fuse?.close()
  sdk.destroy()
  await swift.stop()
})
model('in-process: random sequences match the model', async (ctx) => {
  ctx.vfs = await vfsTarget()
  await checkModel({ fs: ctx.vfs.fs, mount: 's3', numRuns: env('S3_MODEL_RUNS', 25), maxLength, seed, label: 'vfs /s3' })
})
model('through FUSE: random sequences match the model', async (ctx) => {
  ctx.fuse = await fuseTarget()
  await checkModel({ fs: ctx.fuse.fs, mount: 's3', numRuns: env('S3_MODEL_MOUNT_RUNS', 10), maxLength, seed, label: 'mount /s3' })
})

inProcess.run()
throughFuse.run()
model.run()
