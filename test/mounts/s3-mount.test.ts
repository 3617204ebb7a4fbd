/**
 * /s3 through the real CLI daemon and the kernel, with credentials from the environment: two
 * /s3 mounts side by side (another bucket, under a prefix), a change made behind the mount's
 * back showing after the TTL and at once after `ipfs-vfs refresh`, and s3fs (when installed)
 * mounted on the same bucket reading what we wrote the same way, and we what it wrote.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { detach, isMounted } from '../../src/fuse/stale-mount.ts'
import { NODE, ROOT, startMount, type TestMount } from '../support/mount.ts'
import { s3MountSpec, startSwift, type Swift, swiftEnv } from '../support/swift.ts'
import { ok, run } from '../support/tools.ts'

interface Ctx {
  swift: Swift
  s3: S3Client
  m: TestMount
}

const TTL = 1500
const test = suite<Ctx>('s3: through the mount', {} as Ctx)

test.before(async (ctx) => {
  ctx.swift = await startSwift()
  await ctx.swift.createBucket('main')
  await ctx.swift.createBucket('second')
  ctx.s3 = ctx.swift.client()
  ctx.m = await startMount({
    entry: 'cli',
    mounts: { '/s3': s3MountSpec(ctx.swift, 'main', { cacheTtlMs: TTL }), '/s3b': s3MountSpec(ctx.swift, 'second', { prefix: 'under/here' }) },
    env: swiftEnv(),
  })
})

test.after(async (ctx) => {
  await ctx.m?.stop()
  ctx.s3?.destroy()
  await ctx.swift?.stop()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('two /s3 mounts side by side, each on its own bucket (one under a prefix)', async ({ m, s3 }) => {
  await writeFile(join(m.mountpoint, 's3', 'same-name'), 'main bucket')
  await writeFile(join(m.mountpoint, 's3b', 'same-name'), 'second bucket')
  const a = await s3.send(new GetObjectCommand({ Bucket: 'main', Key: 'same-name' }))
  const b = await s3.send(new GetObjectCommand({ Bucket: 'second', Key: 'under/here/same-name' }))
  assert.equal([await a.Body?.transformToString(), await b.Body?.transformToString()], ['main bucket', 'second bucket'])
  assert.is(await readFile(join(m.mountpoint, 's3b', 'same-name'), 'utf8'), 'second bucket')
})

test('a change behind our back shows after the TTL; `ipfs-vfs refresh` shows it at once', async ({ m, s3 }) => {
  const dir = join(m.mountpoint, 's3', 'oob')
  await mkdir(dir)
  await writeFile(join(dir, 'a'), 'a')
  assert.equal(await readdir(dir), ['a'])
  await s3.send(new PutObjectCommand({ Bucket: 'main', Key: 'oob/b', Body: 'b' }))
  assert.equal(await readdir(dir), ['a'], 'the listing is served from the cache within the TTL')
  await sleep(TTL + 300)
  assert.equal(await readdir(dir), ['a', 'b'], 'and shows the new object after it')
  await s3.send(new PutObjectCommand({ Bucket: 'main', Key: 'oob/c', Body: 'c' }))
  assert.equal(await readdir(dir), ['a', 'b'])
  const r = await run(NODE, [join(ROOT, 'src/cli/main.ts'), 'refresh', '/s3/oob', '--state-dir', m.stateDir], { cwd: ROOT, env: { ...process.env } as Record<string, string> })
  assert.is(`${r.code} ${r.stdout}${r.stderr}`, '0 refreshed /s3/oob\n')
  assert.equal(await readdir(dir), ['a', 'b', 'c'], 'at once after refresh')
  assert.is(await readFile(join(dir, 'c'), 'utf8'), 'c')
  const bad = await run(NODE, [join(ROOT, 'src/cli/main.ts'), 'refresh', 'relative/path', '--state-dir', m.stateDir], { cwd: ROOT, env: { ...process.env } as Record<string, string> })
  assert.is(bad.code, 2, 'a path outside the VFS namespace is a usage error')
})

async function s3fsInstalled(): Promise<boolean> {
  return (await run('sh', ['-c', 'command -v s3fs'])).code === 0
}

async function withS3fs(swift: Swift, bucket: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3fs-'))
  // s3fs takes Swift's key "test:tester" from the environment (its passwd file splits on ':').
  const child: ChildProcess = spawn('s3fs', [bucket, dir, '-f', '-o', `url=${swift.endpoint}`, '-o', 'use_path_request_style', '-o', 'stat_cache_expire=1'], {
    env: { ...process.env, AWSACCESSKEYID: 'test:tester', AWSSECRETACCESSKEY: 'testing' },
    stdio: 'ignore',
  })
  try {
    for (let i = 0; i < 100 && !(await isMounted(dir)); i++) await sleep(100)
    assert.ok(await isMounted(dir), 's3fs mounted')
    await fn(dir)
  } finally {
    if (await isMounted(dir)) await ok('fusermount', ['-u', dir]).catch(() => detach(dir))
    child.kill()
    await rm(dir, { recursive: true, force: true })
  }
}

const describe = (dir: string, names: string[]) => ok('stat', ['-c', '%n %F %a %s %Y.%y', ...names], { cwd: dir }).then((s) => s.replace(/\.\d{4}-\d\d-\d\d (\d\d:\d\d:\d\d\.\d+) \S+/g, '.$1'))

test('s3fs on the same bucket reads what /s3 wrote the same way, and /s3 what s3fs wrote', async ({ m, swift }) => {
  if (!(await s3fsInstalled())) {
    process.stderr.write('s3fs not installed: interop skipped\n')
    return
  }
  const ours = join(m.mountpoint, 's3', 'compat')
  await mkdir(ours, { mode: 0o750 })
  await writeFile(join(ours, 'file.txt'), 'written through /s3\n', { mode: 0o640 })
  await symlink('file.txt', join(ours, 'link'))
  await ok('touch', ['-h', '-d', '2001-02-03 04:05:06.123456789', 'file.txt', 'link'], { cwd: ours })
  await withS3fs(swift, 'main', async (theirs) => {
    const dir = join(theirs, 'compat')
    assert.is(await describe(dir, ['file.txt', 'link']), await describe(ours, ['file.txt', 'link']), 'same type, mode, size and mtime in s3fs')
    assert.is(await readlink(join(dir, 'link')), 'file.txt')
    assert.is(await readFile(join(dir, 'file.txt'), 'utf8'), 'written through /s3\n')
    assert.is((await stat(dir)).mode & 0o7777, 0o750)
    // And the other way: written by s3fs, read through /s3 (after its TTL: it is behind our back).
    await mkdir(join(dir, 'by-s3fs'))
    await writeFile(join(dir, 'by-s3fs', 'f'), 'written by s3fs\n', { mode: 0o600 })
    await ok('touch', ['-d', '2002-03-04 05:06:07.987654321', join(dir, 'by-s3fs', 'f')])
    await symlink('f', join(dir, 'by-s3fs', 'l'))
    await sleep(TTL + 300)
    const back = join(ours, 'by-s3fs')
    assert.is(await describe(back, ['f', 'l']), await describe(join(dir, 'by-s3fs'), ['f', 'l']))
    assert.is(await readFile(join(back, 'f'), 'utf8'), 'written by s3fs\n')
    assert.is(await readlink(join(back, 'l')), 'f')
  })
})

test.run()
