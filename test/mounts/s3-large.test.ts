/**
 * The expensive /s3 case, on its own: a 1 GiB file copied into /s3 through the kernel (staged,
 * then a multipart upload of 128 parts of 8 MiB, 4 in flight) and read back through the mount
 * (ranged GETs with read-ahead): the same sha256 both ways and in the bucket, which holds it as
 * one multipart object. S3_TEST_TIMES=1 prints how long each half took.
 */
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { withMount } from '../support/mount.ts'
import { s3MountSpec, startSwift, swiftEnv } from '../support/swift.ts'
import { clean, sha256 } from '../support/tools.ts'

const test = suite('s3: 1 GiB through the mount')
const SIZE = 1 << 30

/** 1 GiB of random bytes (incompressible), written in 1 MiB blocks. */
async function bigFile(path: string): Promise<void> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < SIZE >> 20; i++) yield randomBytes(1 << 20)
  }
  await pipeline(chunks(), createWriteStream(path))
}

test('cp of 1 GiB into /s3 and back: same sha256 everywhere; stored as a multipart object', async () => {
  const swift = await startSwift()
  const scratch = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-large-'))
  const s3 = swift.client()
  try {
    await swift.createBucket('large')
    const src = join(scratch, 'big.bin')
    await bigFile(src)
    const want = await sha256(src)
    await withMount({ entry: 'cli', mounts: { '/s3': s3MountSpec(swift, 'large') }, env: swiftEnv() }, async (m) => {
      const t0 = Date.now()
      await clean('cp', [src, join(m.mountpoint, 's3', 'big.bin')], { timeoutMs: 900_000 })
      const t1 = Date.now()
      assert.is(await sha256(join(m.mountpoint, 's3', 'big.bin')), want, 'read back through the mount')
      const t2 = Date.now()
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'large', Key: 'big.bin' }))
      assert.is(head.ContentLength, SIZE)
      assert.match(head.ETag ?? '', /-128"$/, 'a multipart upload of 128 parts')
      const got = await s3.send(new GetObjectCommand({ Bucket: 'large', Key: 'big.bin' }))
      const h = createHash('sha256')
      for await (const chunk of got.Body as AsyncIterable<Uint8Array>) h.update(chunk)
      assert.is(h.digest('hex'), want, 'the bucket holds the same bytes')
      if (process.env.S3_TEST_TIMES) process.stderr.write(`1 GiB: cp in ${t1 - t0} ms, sha256 through the mount ${t2 - t1} ms\n`)
    })
  } finally {
    s3.destroy()
    await swift.stop()
    await rm(scratch, { recursive: true, force: true })
  }
})

test.run()
