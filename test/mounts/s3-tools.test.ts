/**
 * /s3 through the kernel with ordinary tools, on a real S3 server (OpenStack Swift s3api, see
 * test/support/swift.ts), the daemon being the real CLI with credentials from the environment:
 * cp -a + diff -r, rsync -a, tar x, git clone + fsck, vim's save, sqlite3, ln (EPERM). One Swift
 * and one mount for the file, a fresh folder per scenario, the same work done natively to compare.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startMount, type TestMount } from '../support/mount.ts'
import { s3MountSpec, startSwift, type Swift, swiftEnv } from '../support/swift.ts'
import { assertSameTree, clean, listing, makeTree, ok, run, toolEnv } from '../support/tools.ts'

interface Ctx {
  swift: Swift
  s3: S3Client
  m: TestMount
  native: string
  seq: number
}

const BUCKET = 'tools'
const test = suite<Ctx>('s3: ordinary tools through the mount', { seq: 0 } as Ctx)

test.before(async (ctx) => {
  ctx.swift = await startSwift()
  await ctx.swift.createBucket(BUCKET)
  ctx.s3 = ctx.swift.client()
  ctx.native = await mkdtemp(join(tmpdir(), 'ipfs-vfs-s3-native-'))
  ctx.m = await startMount({ entry: 'cli', mounts: { '/s3': s3MountSpec(ctx.swift, BUCKET) }, env: swiftEnv() })
})

test.after(async (ctx) => {
  await ctx.m?.stop()
  ctx.s3?.destroy()
  await ctx.swift?.stop()
  if (ctx.native) await rm(ctx.native, { recursive: true, force: true })
})

/** A fresh folder on /s3 and one natively for a scenario; the daemon's log on failure. */
async function scenario(ctx: Ctx, fn: (dirs: { s3: string; native: string; name: string }) => Promise<void>): Promise<void> {
  const name = `t${++ctx.seq}`
  const dirs = { s3: join(ctx.m.mountpoint, 's3', name), native: join(ctx.native, name), name }
  await mkdir(dirs.s3)
  await mkdir(dirs.native)
  const t0 = Date.now()
  try {
    await fn(dirs)
    if (process.env.S3_TEST_TIMES) process.stderr.write(`${name}: ${Date.now() - t0} ms\n`)
  } catch (err) {
    const logs = ctx.m.logs().trim()
    if (err instanceof Error && logs) err.message += `\n--- daemon log ---\n${logs.slice(-4000)}`
    throw err
  }
}

test('cp -a of a tree: diff -r clean, same modes, sizes and mtimes; s3fs metadata in the bucket', (ctx) =>
  scenario(ctx, async (d) => {
    await makeTree(join(d.native, 'src'), { symlinks: true, hardLinks: false })
    await mkdir(join(d.native, 'copy'))
    await clean('cp', ['-a', 'src', join(d.native, 'copy')], { cwd: d.native })
    await clean('cp', ['-a', 'src', d.s3], { cwd: d.native })
    await assertSameTree(join(d.native, 'src'), join(d.s3, 'src'))
    assert.is(await listing(join(d.s3, 'src')), await listing(join(d.native, 'copy', 'src')))
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${d.name}/src/run.sh` }))
    const uid = String(process.getuid?.() ?? 0)
    assert.equal(head.Metadata, { mode: String(0o100755), uid, gid: String(process.getgid?.() ?? 0), mtime: '981173106.123456789' })
    const link = await ctx.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${d.name}/src/link` }))
    assert.is(link.Metadata?.mode, String(0o120777), 'a symlink is an object with S_IFLNK in its mode, as s3fs keeps it')
    const marker = await ctx.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${d.name}/src/empty dir/` }))
    assert.is(marker.ContentType, 'application/x-directory', 'an empty folder is a dir/ marker')
  }))

test('ln answers EPERM (S3 has no hard links) and leaves nothing behind', (ctx) =>
  scenario(ctx, async (d) => {
    await writeFile(join(d.s3, 'a'), 'x')
    const r = await run('ln', ['a', 'b'], { cwd: d.s3 })
    assert.match(`${r.code} ${r.stderr}`, /^1 .*Operation not permitted/)
    assert.equal(await readdir(d.s3), ['a'])
  }))

test('rsync -a into /s3 and back out: same tree; a second rsync transfers nothing', (ctx) =>
  scenario(ctx, async (d) => {
    await makeTree(join(d.native, 'src'), { symlinks: true, hardLinks: false })
    await clean('rsync', ['-a', 'src/', join(d.s3, 'in/')], { cwd: d.native })
    await clean('rsync', ['-a', join(d.s3, 'in/'), 'out/'], { cwd: d.native })
    await assertSameTree(join(d.native, 'src'), join(d.native, 'out'))
    assert.is(await listing(join(d.native, 'out')), await listing(join(d.native, 'src')))
    const again = await ok('rsync', ['-a', '--itemize-changes', 'src/', join(d.s3, 'in/')], { cwd: d.native })
    assert.is(again, '', 'nothing to transfer the second time')
  }))

test('tar x of a package: same tree, restored mtimes', (ctx) =>
  scenario(ctx, async (d) => {
    await makeTree(join(d.native, 'pkg'), { symlinks: true, hardLinks: false })
    await ok('tar', ['cf', 'pkg.tar', 'pkg'], { cwd: d.native })
    await mkdir(join(d.native, 'x'))
    await clean('tar', ['xf', join(d.native, 'pkg.tar')], { cwd: join(d.native, 'x') })
    await clean('tar', ['xf', join(d.native, 'pkg.tar')], { cwd: d.s3 })
    await assertSameTree(join(d.native, 'x', 'pkg'), join(d.s3, 'pkg'))
    assert.is(await listing(join(d.s3, 'pkg')), await listing(join(d.native, 'x', 'pkg')))
  }))

const DATE = '2020-01-02T03:04:05Z'
const gitEnv = (home: string) =>
  toolEnv({ HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com', GIT_AUTHOR_DATE: DATE, GIT_COMMITTER_DATE: DATE })

test('git init/commit, clone (EPERM on link, git copies), gc; fsck clean', (ctx) =>
  scenario(ctx, async (d) => {
    const git = (cwd: string, ...args: string[]) => ok('git', ['-c', 'init.defaultBranch=main', ...args], { cwd, env: gitEnv(d.native) })
    const repo = join(d.s3, 'repo')
    await mkdir(repo)
    await git(repo, 'init', '-q')
    await mkdir(join(repo, 'src'))
    await writeFile(join(repo, 'src/a.txt'), 'a\n'.repeat(1000))
    await writeFile(join(repo, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 })
    await git(repo, 'add', '.')
    await git(repo, 'commit', '-q', '-m', 'first')
    await git(repo, 'mv', 'src/a.txt', 'src/b.txt')
    await git(repo, 'commit', '-q', '-m', 'second')
    await git(d.s3, 'clone', '-q', 'repo', 'clone')
    const clone = join(d.s3, 'clone')
    await git(clone, 'fsck', '--full', '--strict')
    assert.is(await git(clone, 'log', '--format=%s'), 'second\nfirst\n')
    assert.is(await git(clone, 'status', '--porcelain'), '')
    await writeFile(join(clone, 'new.txt'), 'new\n')
    await git(clone, 'add', 'new.txt')
    await git(clone, 'commit', '-q', '-m', 'third')
    await git(clone, 'gc', '-q', '--prune=now')
    await git(clone, 'fsck', '--full', '--strict')
    assert.is(await git(clone, 'log', '--format=%s'), 'third\nsecond\nfirst\n')
  }))

test("vim's save: new bytes, mode kept, nothing left over", (ctx) =>
  scenario(ctx, async (d) => {
    const file = join(d.s3, 'ed.txt')
    await writeFile(file, 'one\ntwo\n')
    await chmod(file, 0o640)
    const r = await run('vim', ['-u', 'NONE', '-i', 'NONE', '-es', '-c', 'set nocompatible backupcopy=no writebackup nobackup backupskip= directory=. fsync', '-c', 'normal Gonew line', '-c', 'wq', 'ed.txt'], {
      cwd: d.s3,
      env: toolEnv({ HOME: d.native, TERM: 'dumb' }),
      timeoutMs: 30_000,
    })
    assert.is(r.code, 0, r.stderr + r.stdout)
    assert.is(await readFile(file, 'utf8'), 'one\ntwo\nnew line\n')
    assert.is((await stat(file)).mode & 0o7777, 0o640)
    assert.equal(await readdir(d.s3), ['ed.txt'])
  }))

test('sqlite3: 2,000 rows in transactions, integrity ok, same dump as natively', (ctx) =>
  scenario(ctx, async (d) => {
    const sql = ['PRAGMA journal_mode=DELETE;', 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);']
    for (let b = 0; b < 4; b++) {
      sql.push('BEGIN;')
      for (let i = 0; i < 500; i++) sql.push(`INSERT INTO t (v) VALUES ('row ${b}-${i} ${'x'.repeat(i % 50)}');`)
      sql.push('COMMIT;')
    }
    sql.push('DELETE FROM t WHERE id % 7 = 0;', 'VACUUM;')
    for (const dir of [d.native, d.s3]) await ok('sqlite3', ['db.sqlite'], { cwd: dir, input: sql.join('\n') })
    assert.is((await ok('sqlite3', ['db.sqlite', 'PRAGMA integrity_check;'], { cwd: d.s3 })).trim(), 'ok')
    assert.is(await ok('sqlite3', ['db.sqlite', '.dump'], { cwd: d.s3 }), await ok('sqlite3', ['db.sqlite', '.dump'], { cwd: d.native }))
  }))

test.run()
