/**
 * /s3 when the store misbehaves, on a real S3 server (OpenStack Swift s3api) behind a proxy
 * written for the tests (test/support/s3-proxy.ts): a dead endpoint answers EIO and a silent one
 * ETIMEDOUT within the configured timeout; 503s on 10% of requests are retried (the SDK's
 * standard strategy, exponential backoff) so a 200 MiB tree goes in and out with every hash
 * equal; the server stopped in the middle of a multipart upload gives cp a clear error and
 * leaves no object (the old one stays); an upload whose close failed is resumed by the journal
 * at the next start.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createS3Backend, createS3Client } from '../../src/mounts/s3/index.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { NODE, ROOT, startMount } from '../support/mount.ts'
import { startS3Proxy } from '../support/s3-proxy.ts'
import { s3MountSpec, startSwift, type Swift, swiftEnv } from '../support/swift.ts'
import { run, sha256 } from '../support/tools.ts'

interface Ctx {
  swift: Swift
  s3: S3Client
  scratch: string
}

const test = suite<Ctx>('s3: faults', {} as Ctx)

test.before(async (ctx) => {
  ctx.swift = await startSwift()
  ctx.s3 = ctx.swift.client()
  ctx.scratch = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-faults-'))
})

test.after(async (ctx) => {
  ctx.s3?.destroy()
  await ctx.swift?.stop()
  if (ctx.scratch) await rm(ctx.scratch, { recursive: true, force: true })
})

async function codeAndTime(p: Promise<unknown>): Promise<{ code: string; ms: number }> {
  const t0 = Date.now()
  try {
    await p
    return { code: 'ok', ms: Date.now() - t0 }
  } catch (err) {
    return { code: err instanceof VfsError ? err.code : String(err), ms: Date.now() - t0 }
  }
}

test('a dead endpoint answers EIO, a silent one ETIMEDOUT, each within the configured timeout', async () => {
  // A port nobody listens on, and a server that accepts and never answers.
  const dead = createServer()
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
  const deadPort = (dead.address() as { port: number }).port
  await new Promise((r) => dead.close(r))
  const sockets: Socket[] = []
  const silent = createServer((s) => void sockets.push(s))
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const silentPort = (silent.address() as { port: number }).port
  try {
    for (const [port, want] of [[deadPort, 'EIO'], [silentPort, 'ETIMEDOUT']] as const) {
      const client = createS3Client({ endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 3, timeoutMs: 1500 })
      const b = createS3Backend({ s3: client }, { bucket: 'nobucket', timeoutMs: 1500 })
      try {
        const r = await codeAndTime(b.stat('/x'))
        assert.is(r.code, want, `port ${port}`)
        assert.ok(r.ms < 1500 + 1500, `answered in ${r.ms} ms`)
      } finally {
        client.destroy()
      }
    }
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise((r) => silent.close(r))
  }
})

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

/** "path sha256" of every file below `dir`, sorted: one string to compare. */
async function hashes(dir: string): Promise<string> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)))
  const lines: string[] = []
  for (const f of files.sort()) lines.push(`${f} ${await sha256(join(dir, f))}`)
  return lines.join('\n')
}

test('503 on 10% of requests: a 200 MiB tree copied in and out, every hash equal', async (ctx) => {
  await ctx.swift.createBucket('flaky')
  const proxy = await startS3Proxy(ctx.swift.port, { failRate: 0.1 })
  const src = join(ctx.scratch, 'tree')
  // 2 x 40 MiB (multipart), 10 x 8 MiB (single PUT), 100 x 400 KiB: 200 MiB.
  await mkdir(join(src, 'big'), { recursive: true })
  await mkdir(join(src, 'mid'))
  await mkdir(join(src, 'small/deeper'), { recursive: true })
  for (let i = 0; i < 2; i++) await writeFile(join(src, 'big', `b${i}`), randomBytes(40 << 20))
  for (let i = 0; i < 10; i++) await writeFile(join(src, 'mid', `m${i}`), randomBytes(8 << 20))
  for (let i = 0; i < 100; i++) await writeFile(join(src, i % 2 ? 'small' : 'small/deeper', `s${i}`), randomBytes(400 << 10))
  // Generous deadlines: Swift's proxy is one Python process, and on a loaded 2-core machine a HEAD
  // queued behind its 8 MiB transfers can take longer than 20 s, which is not what this test is about.
  const m = await startMount({
    entry: 'cli',
    mounts: { '/s3': s3MountSpec(ctx.swift, 'flaky', { endpoint: proxy.endpoint, maxAttempts: 10, timeoutMs: 60_000 }) },
    config: { fuse: { opTimeoutMs: 120_000 } },
    env: swiftEnv(),
  })
  const t0 = Date.now()
  try {
    const s3dir = join(m.mountpoint, 's3')
    const want = await hashes(src)
    const cpIn = await run('cp', ['-r', src, join(s3dir, 'tree')], { timeoutMs: 600_000 })
    assert.is(`${cpIn.code} ${cpIn.stderr}`, '0 ', 'cp into /s3')
    const out = join(ctx.scratch, 'out')
    const cpOut = await run('cp', ['-r', join(s3dir, 'tree'), out], { timeoutMs: 600_000 })
    assert.is(`${cpOut.code} ${cpOut.stderr}`, '0 ', 'cp out of /s3')
    assert.is(await hashes(out), want)
    assert.ok(proxy.stats.injected > 20, `503s injected: ${proxy.stats.injected} of ${proxy.stats.requests}`)
    if (process.env.S3_TEST_TIMES) process.stderr.write(`200 MiB in and out through 10% 503s: ${Date.now() - t0} ms, ${proxy.stats.injected}/${proxy.stats.requests} injected\n`)
  } catch (err) {
    // The daemon's logger writes asynchronously: give its last lines a moment to arrive.
    await new Promise((r) => setTimeout(r, 500))
    if (process.env.S3_TEST_LOGS) await writeFile(process.env.S3_TEST_LOGS, m.logs())
    if (err instanceof Error) err.message += `\n--- daemon log ---\n${m.logs().slice(-4000)}`
    throw err
  } finally {
    await m.stop()
    await proxy.close()
  }
})

test('the server stopped during a multipart upload: cp fails with EIO, no object appears, the old one stays', async (ctx) => {
  await ctx.swift.createBucket('stopped')
  await ctx.s3.send(new PutObjectCommand({ Bucket: 'stopped', Key: 'big.bin', Body: 'the old version' }))
  const proxy = await startS3Proxy(ctx.swift.port)
  const src = join(ctx.scratch, 'stopped.bin')
  await writeFile(src, randomBytes(48 << 20))
  const m = await startMount({ entry: 'cli', mounts: { '/s3': s3MountSpec(ctx.swift, 'stopped', { endpoint: proxy.endpoint, maxAttempts: 2, timeoutMs: 3000, cacheTtlMs: 0 }) }, env: swiftEnv() })
  try {
    let parts = 0
    proxy.onRequest((req) => {
      // The third part on its way: the server goes down under it.
      if (req.method === 'PUT' && /partNumber=/.test(req.url ?? '') && ++parts === 3) void ctx.swift.stopProxy()
    })
    const t0 = Date.now()
    const cp = await run('cp', [src, join(m.mountpoint, 's3', 'big.bin')], { timeoutMs: 120_000 })
    const ms = Date.now() - t0
    assert.is(cp.code, 1, 'cp fails')
    assert.match(cp.stderr, /failed to close .*: (Input\/output error|Connection timed out)/, cp.stderr)
    const st = await run('stat', [join(m.mountpoint, 's3', 'other')], { timeoutMs: 60_000 })
    assert.is(st.code, 1)
    assert.match(st.stderr, /Input\/output error|Connection timed out/, `while the server is down: ${st.stderr}`)
    proxy.onRequest(undefined)
    await ctx.swift.startProxy()
    const old = await ctx.s3.send(new GetObjectCommand({ Bucket: 'stopped', Key: 'big.bin' }))
    assert.is(await old.Body?.transformToString(), 'the old version', 'the object is the old one, not a part of the new')
    if (process.env.S3_TEST_TIMES) process.stderr.write(`server stopped mid-upload: cp failed after ${ms} ms\n`)
  } finally {
    await m.stop()
    await proxy.close()
    await ctx.swift.startProxy().catch(() => {})
  }
})

test('a close whose upload failed (server down) is uploaded by the journal at the next start', async (ctx) => {
  await ctx.swift.createBucket('resume')
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-resume-'))
  const spec = s3MountSpec(ctx.swift, 'resume', { maxAttempts: 2, timeoutMs: 3000 })
  const body = 'acknowledged, then kept through a dead store\n'.repeat(1000)
  let m = await startMount({ entry: 'cli', dir, mounts: { '/s3': spec }, env: swiftEnv() })
  try {
    await mkdir(join(m.mountpoint, 's3', 'd'))
    // Opened and written while the store answers; it goes down before the close uploads.
    const fh = await open(join(m.mountpoint, 's3', 'd', 'kept.txt'), 'w')
    await fh.write(body)
    await ctx.swift.stopProxy()
    const err = await fh.close().then(() => 'ok', (e: NodeJS.ErrnoException) => e.code)
    assert.ok(err === 'EIO' || err === 'ETIMEDOUT', `close reports the failed upload: ${err}`)
    const status = await run(NODE, [join(ROOT, 'src/cli/main.ts'), 'journal', 'status', '--state-dir', m.stateDir], { cwd: ROOT, env: { ...process.env } as Record<string, string> })
    assert.match(status.stdout, /pending uploads: 1\n/, status.stdout + status.stderr)
    m.child.kill('SIGKILL')
    await new Promise<void>((resolve) => (m.child.exitCode !== null || m.child.signalCode !== null ? resolve() : m.child.once('exit', () => resolve())))
    await m.stop()
    await ctx.swift.startProxy()
    await ctx.s3.send(new HeadObjectCommand({ Bucket: 'resume', Key: 'd/kept.txt' })).then(
      () => assert.unreachable('nothing uploaded before the restart'),
      () => {},
    )
    m = await startMount({ entry: 'cli', dir, mounts: { '/s3': spec }, env: swiftEnv() })
    const got = await ctx.s3.send(new GetObjectCommand({ Bucket: 'resume', Key: 'd/kept.txt' }))
    assert.is(sha(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array()))), sha(body))
    assert.is(await readFile(join(m.mountpoint, 's3', 'd', 'kept.txt'), 'utf8'), body)
  } finally {
    await m.stop()
    await ctx.swift.startProxy().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
