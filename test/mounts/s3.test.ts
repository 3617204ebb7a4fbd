/**
 * The /s3 backend on a real S3 server (OpenStack Swift s3api, test/support/swift.ts), through
 * its own calls and request counters: ranged reads (a small read is one small GET; a sequential
 * reader gets a growing window of parallel parts), single and multipart uploads, multipart copy,
 * paginated listings (files and folders over several pages), s3fs's metadata both ways, the TTL
 * of what it caches and `forget`, folders kept when their last entry goes, two buckets side by side.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createS3Backend, createS3Client, type S3Backend, type S3BackendInit } from '../../src/mounts/s3/index.ts'
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../src/vfs/backend.ts'
import { rejects } from '../contract/helpers.ts'
import { startSwift, type Swift } from '../support/swift.ts'

interface Ctx {
  swift: Swift
  sdk: S3Client
  client: S3Client
  tmp: string
  n: number
}

const test = suite<Ctx>('s3 backend on Swift', { n: 0 } as Ctx)

test.before(async (ctx) => {
  ctx.swift = await startSwift()
  ctx.sdk = ctx.swift.client()
  ctx.client = createS3Client({ ...ctx.swift.clientConfig(), timeoutMs: 20_000 })
  ctx.tmp = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-'))
})

test.after(async (ctx) => {
  ctx.client?.destroy()
  ctx.sdk?.destroy()
  await ctx.swift?.stop()
  if (ctx.tmp) await rm(ctx.tmp, { recursive: true, force: true })
})

async function fresh(ctx: Ctx, init: Partial<S3BackendInit> = {}): Promise<{ b: S3Backend; bucket: string }> {
  const bucket = `b${process.pid}-${++ctx.n}`
  await ctx.swift.createBucket(bucket)
  return { b: createS3Backend({ s3: ctx.client }, { bucket, ...init }), bucket }
}

async function put(ctx: Ctx, b: S3Backend, path: string, bytes: Buffer, mode = 0o644): Promise<void> {
  const localPath = join(ctx.tmp, `put-${++ctx.n}`)
  await writeFile(localPath, bytes)
  await b.put?.(path, { localPath, size: bytes.length, mode: S_IFREG | mode, mtimeNs: 1_700_000_000_000_000_001n, uid: 1000, gid: 1000 })
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

test('a small read is one GET of just its bytes; a sequential reader gets the object in few, growing parts', async (ctx) => {
  const { b } = await fresh(ctx)
  const data = randomBytes(24 << 20)
  await put(ctx, b, '/big', data)
  const r = await b.openReader?.('/big')
  if (!r) throw new Error('no reader')
  b.counters.get = 0
  b.counters.bytesRead = 0
  const small = Buffer.alloc(4096)
  assert.is(await r.read(small, 10 << 20), 4096)
  assert.ok(small.equals(data.subarray(10 << 20, (10 << 20) + 4096)))
  assert.equal([b.counters.get, b.counters.bytesRead], [1, 4096], 'one ranged GET of 4 KiB, not the 24 MiB object')
  await r.close()
  const seq = await b.openReader?.('/big')
  if (!seq) throw new Error('no reader')
  b.counters.get = 0
  const out = Buffer.alloc(data.length)
  for (let pos = 0; pos < data.length; pos += 128 << 10) assert.is(await seq.read(out.subarray(pos, pos + (128 << 10)), pos), 128 << 10)
  assert.is(await seq.read(Buffer.alloc(10), data.length), 0, 'nothing past the end')
  await seq.close()
  assert.is(sha(out), sha(data))
  assert.ok(b.counters.get <= 12, `192 reads of 128 KiB made ${b.counters.get} GETs`)
})

test('single PUT below the threshold, multipart with parallel parts above (S3-style ETag); multipart copy on rename', async (ctx) => {
  const { b, bucket } = await fresh(ctx, { multipartThreshold: 5 << 20, partSize: 5 << 20, multipartCopyThreshold: 6 << 20 })
  await put(ctx, b, '/small', randomBytes(1 << 20))
  const big = randomBytes((12 << 20) + 5)
  await put(ctx, b, '/big', big, 0o600)
  assert.equal([b.counters.put, b.counters.multipartUploads, b.counters.parts], [1, 1, 3])
  const head = await ctx.sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: 'big' }))
  assert.match(head.ETag ?? '', /-3"$/, 'a multipart ETag')
  assert.is(head.Metadata?.mode, String(S_IFREG | 0o600))
  await b.rename?.('/big', '/moved')
  assert.is(b.counters.multipartCopies, 1)
  const got = await ctx.sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'moved' }))
  assert.is(sha(await (got.Body?.transformToByteArray() ?? new Uint8Array())), sha(big))
  const st = await b.stat('/moved')
  assert.equal([st.mode, st.size, st.mtimeNs], [S_IFREG | 0o600, big.length, 1_700_000_000_000_000_001n], 'metadata kept by the multipart copy')
  await rejects(b.stat('/big'), 'ENOENT')
})

test('listings are paginated: 260 files and 130 folders over pages of 100, with and without a delimiter', async (ctx) => {
  const { b, bucket } = await fresh(ctx, { listPageSize: 100 })
  const keys: string[] = []
  for (let i = 0; i < 260; i++) keys.push(`d/f${String(i).padStart(4, '0')}`)
  for (let i = 0; i < 130; i++) keys.push(`d/s${String(i).padStart(4, '0')}/x`)
  for (let i = 0; i < keys.length; i += 16) await Promise.all(keys.slice(i, i + 16).map((Key) => ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x'.repeat(5000) }))))
  const entries = await b.list('/d')
  assert.is(entries.length, 390)
  assert.is(entries.filter((e) => e.type === 'dir').length, 130)
  assert.is(new Set(entries.map((e) => e.name)).size, 390, 'no name twice')
  assert.ok(b.counters.list >= 4, 'several pages')
  await b.rename?.('/d', '/e')
  assert.is((await b.list('/e')).length, 390, 'a folder rename moves every key, page by page')
  await rejects(b.list('/d'), 'ENOENT')
})

test("s3fs's metadata both ways: mode/uid/gid/mtime headers, symlinks, objects with none", async (ctx) => {
  const { b, bucket } = await fresh(ctx)
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'by-s3fs', Body: 'hello', Metadata: { mode: String(S_IFREG | 0o600), uid: '1234', gid: '4321', mtime: '1600000000' } }))
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'link', Body: 'by-s3fs', Metadata: { mode: String(S_IFLNK | 0o777), mtime: '1600000000' } }))
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'no metadata' }))
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/', Body: '', ContentType: 'application/x-directory', Metadata: { mode: String(S_IFDIR | 0o700) } }))
  const s = await b.stat('/by-s3fs')
  assert.equal([s.mode, s.uid, s.gid, s.mtimeNs, s.size], [S_IFREG | 0o600, 1234, 4321, 1_600_000_000_000_000_000n, 5])
  assert.is((await b.stat('/link')).mode, S_IFLNK | 0o777)
  assert.is(await b.readlink?.('/link'), 'by-s3fs')
  const plain = await b.stat('/plain')
  assert.is(plain.mode, S_IFREG | 0o644, 'no metadata: a 0644 file')
  assert.is((await b.stat('/dir')).mode, S_IFDIR | 0o700)
  assert.is((await b.list('/')).map((e) => `${e.name}:${e.type}`).join(' '), 'by-s3fs:file dir:dir link:symlink plain:file')
  await b.chmod?.('/plain', 0o640)
  await b.utimens?.('/plain', { mtimeNs: 1_650_000_000_123_456_789n })
  const head = await ctx.sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: 'plain' }))
  assert.equal([head.Metadata?.mode, head.Metadata?.mtime], [String(S_IFREG | 0o640), '1650000000.123456789'], "written with s3fs's names and formats")
})

test('changes behind our back show after the TTL, at once after forget; our own changes at once', async (ctx) => {
  const { b, bucket } = await fresh(ctx, { cacheTtlMs: 400 })
  await rejects(b.stat('/oob'), 'ENOENT')
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'oob', Body: 'x' }))
  await rejects(b.stat('/oob'), 'ENOENT', '/oob')
  await new Promise((r) => setTimeout(r, 450))
  assert.is((await b.stat('/oob')).size, 1, 'seen after the TTL')
  await rejects(b.stat('/oob2'), 'ENOENT')
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'oob2', Body: 'xy' }))
  b.forget?.('/oob2')
  assert.is((await b.stat('/oob2')).size, 2, 'seen at once after forget (ipfs-vfs refresh)')
  await put(ctx, b, '/own', Buffer.from('abc'))
  assert.is((await b.stat('/own')).size, 3, 'our own put at once')
})

test('a folder with no marker is kept when its last entry goes; chmod of it makes a marker', async (ctx) => {
  const { b, bucket } = await fresh(ctx)
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'implicit/only', Body: 'x' }))
  await ctx.sdk.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/only', Body: 'x' }))
  await b.unlink('/implicit/only')
  assert.is((await b.list('/implicit')).length, 0, 'still there, empty')
  await b.chmod?.('/other', 0o700)
  const head = await ctx.sdk.send(new HeadObjectCommand({ Bucket: bucket, Key: 'other/' }))
  assert.is(head.Metadata?.mode, String(S_IFDIR | 0o700))
  await rejects(b.rmdir('/other'), 'ENOTEMPTY', '/other')
  assert.is(b.link, undefined, 'no hard links: the VFS answers EPERM')
  assert.is(b.capabilities.hardLinks, false)
})

test('two buckets side by side: each mount sees its own', async (ctx) => {
  const one = await fresh(ctx)
  const two = await fresh(ctx, { prefix: 'sub' })
  await put(ctx, one.b, '/a', Buffer.from('one'))
  await put(ctx, two.b, '/a', Buffer.from('two'))
  assert.is((await one.b.stat('/a')).size, 3)
  assert.is((await two.b.stat('/a')).size, 3)
  const got = await ctx.sdk.send(new GetObjectCommand({ Bucket: two.bucket, Key: 'sub/a' }))
  assert.is(await got.Body?.transformToString(), 'two', 'under the prefix, in its own bucket')
  const absent = await ctx.sdk.send(new HeadObjectCommand({ Bucket: one.bucket, Key: 'sub/a' })).then(() => 'there', () => 'absent')
  assert.is(absent, 'absent')
})

test('health: ok while the bucket answers; a missing bucket or a dead endpoint is the error status shows', async (ctx) => {
  const { b } = await fresh(ctx)
  await b.health?.()
  const missing = createS3Backend({ s3: ctx.client }, { bucket: `gone${process.pid}` })
  await rejects(missing.health?.() ?? Promise.resolve(), ['ENOENT', 'EIO'])
  const deadClient = createS3Client({ ...ctx.swift.clientConfig(), endpoint: 'http://127.0.0.1:9', timeoutMs: 2_000, maxAttempts: 1 })
  try {
    const dead = createS3Backend({ s3: deadClient }, { bucket: 'any' })
    await rejects(dead.health?.() ?? Promise.resolve(), ['EIO', 'ETIMEDOUT'])
  } finally {
    deadClient.destroy()
  }
})

test.run()
