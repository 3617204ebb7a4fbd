/**
 * The backend contract suite (after abstract-level's `suite({ test, factory })` and rclone's
 * fstests): every case calls the backend directly, on a fresh backend per case. Optional cases are
 * gated on the declared capabilities: a backend that declares a capability must pass its case; one
 * that does not must leave the method out or refuse it (ENOTSUP/EPERM), never succeed silently.
 *
 *   contractSuite('local', async () => ({ backend, cleanup })).run()
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite, type Test } from 'uvu'
import * as assert from 'uvu/assert'
import { isDir, isFile } from '../../src/vfs/backend.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { ioCases } from './cases-io.ts'
import { metaCases } from './cases-meta.ts'
import { type BackendFactory, type Ctx, listing, perm, rejects, writeFile } from './helpers.ts'

export type { BackendFactory, BackendFixture } from './helpers.ts'

export function contractSuite(name: string, factory: BackendFactory): Test<Ctx> {
  const test = suite<Ctx>(`contract: ${name}`, {} as Ctx)

  test.before.each(async (ctx) => {
    const fixture = await factory()
    ctx.backend = fixture.backend
    ctx.cleanup = fixture.cleanup
    ctx.staging = await mkdtemp(join(tmpdir(), 'contract-staging-'))
  })

  test.after.each(async (ctx) => {
    await ctx.backend.close?.()
    await ctx.cleanup()
    await rm(ctx.staging, { recursive: true, force: true })
  })

  namespaceCases(test)
  ioCases(test)
  metaCases(test)
  return test
}

function namespaceCases(test: Test<Ctx>): void {
  test('capabilities: each declared capability has its methods', ({ backend: b }) => {
    const c = b.capabilities
    const has = (names: (keyof typeof b)[], why: string): void => {
      for (const n of names) assert.type(b[n], 'function', `${why} declared, ${String(n)} missing`)
    }
    has(['stat', 'list', 'mkdir', 'rmdir', 'unlink'], 'the core')
    if (c.writes === 'randomWrite') has(['open', 'truncate'], 'randomWrite')
    else has(['put', 'openReader'], 'wholeObject')
    if (c.rename !== 'none') has(['rename'], `rename ${c.rename}`)
    if (c.symlinks) has(['symlink', 'readlink'], 'symlinks')
    if (c.hardLinks) has(['link'], 'hardLinks')
    if (c.chmod) has(['chmod'], 'chmod')
    if (c.chown) has(['chown'], 'chown')
    if (c.utimens) has(['utimens'], 'utimens')
    if (c.xattrs) has(['getxattr', 'listxattr'], 'xattrs')
    if (c.xattrsWritable) has(['setxattr', 'removexattr'], 'xattrsWritable')
    assert.ok(c.xattrs || !c.xattrsWritable, 'xattrsWritable needs xattrs')
    assert.ok(c.utimens || !c.atime, 'atime needs utimens')
  })

  test('stat: root is a directory, a file has its size and type, missing is ENOENT', async (ctx) => {
    const b = ctx.backend
    const root = await b.stat('/')
    assert.ok(isDir(root.mode), 'root is a directory')
    await writeFile(ctx, '/f', 'hello')
    const f = await b.stat('/f')
    assert.ok(isFile(f.mode), 'a regular file')
    assert.is(f.size, 5)
    assert.ok(f.nlink >= 1, 'nlink at least 1')
    assert.is(typeof f.mtimeNs, 'bigint')
    assert.is(typeof f.atimeNs, 'bigint')
    assert.is(typeof f.ctimeNs, 'bigint')
    await rejects(b.stat('/missing'), 'ENOENT', '/missing')
    await rejects(b.stat('/f/x'), ['ENOTDIR', 'ENOENT'], '/f/x')
  })

  test('mkdir/list: names and types, stats consistent; EEXIST, ENOENT, ENOTDIR', async (ctx) => {
    const b = ctx.backend
    await b.mkdir('/d', 0o750)
    const d = await b.stat('/d')
    assert.ok(isDir(d.mode), 'a directory')
    if (b.capabilities.chmod) assert.is(perm(d.mode), 0o750, 'mkdir applies its mode')
    await writeFile(ctx, '/d/a', 'x')
    await b.mkdir('/d/sub', 0o755)
    assert.is(await listing(b, '/d'), 'a:file sub:dir')
    assert.is(await listing(b, '/d/sub'), '')
    assert.ok((await listing(b, '/')).split(' ').includes('d:dir'), 'root lists d')
    for (const e of await b.list('/d')) {
      if (e.stat === undefined) continue
      const s = await b.stat(`/d/${e.name}`)
      assert.is(e.stat.mode, s.mode, `listing stat of ${e.name} matches stat`)
      assert.is(e.stat.size, s.size, `listing size of ${e.name} matches stat`)
    }
    await rejects(b.mkdir('/d', 0o755), 'EEXIST', '/d')
    await rejects(b.mkdir('/d/a', 0o755), 'EEXIST', '/d/a')
    await rejects(b.mkdir('/nope/x', 0o755), 'ENOENT', '/nope/x')
    await rejects(b.mkdir('/d/a/x', 0o755), 'ENOTDIR', '/d/a/x')
    await rejects(b.list('/nope'), 'ENOENT', '/nope')
    await rejects(b.list('/d/a'), 'ENOTDIR', '/d/a')
  })

  test('rmdir: ENOTEMPTY, ENOENT, ENOTDIR; removes an empty directory', async (ctx) => {
    const b = ctx.backend
    await b.mkdir('/d', 0o755)
    await writeFile(ctx, '/d/a', 'x')
    await rejects(b.rmdir('/d'), 'ENOTEMPTY', '/d')
    await rejects(b.rmdir('/missing'), 'ENOENT', '/missing')
    await rejects(b.rmdir('/d/a'), 'ENOTDIR', '/d/a')
    await b.unlink('/d/a')
    await b.rmdir('/d')
    await rejects(b.stat('/d'), 'ENOENT')
    assert.is(await listing(b, '/'), '')
  })

  test('unlink: removes a file; ENOENT; a directory is EISDIR (Linux) or EPERM (POSIX)', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/f', 'x')
    await b.unlink('/f')
    await rejects(b.stat('/f'), 'ENOENT')
    await rejects(b.unlink('/f'), 'ENOENT', '/f')
    await b.mkdir('/d', 0o755)
    await rejects(b.unlink('/d'), ['EISDIR', 'EPERM'], '/d')
    assert.ok(isDir((await b.stat('/d')).mode), 'the directory is still there')
  })

  test('errors: VfsError with the op and the path; an aborted signal refuses the call', async (ctx) => {
    const b = ctx.backend
    const err = await rejects(b.stat('/missing/deeper'), ['ENOENT'], '/missing/deeper')
    assert.type(err.op, 'string')
    assert.ok(err.op.length > 0, 'op is named')
    assert.ok(err instanceof Error, 'a real Error')
    const ac = new AbortController()
    ac.abort()
    let thrown: unknown
    try {
      await b.mkdir('/aborted', 0o755, { signal: ac.signal })
    } catch (e) {
      thrown = e
    }
    assert.ok(thrown instanceof VfsError, 'aborted call rejects with a VfsError')
    await rejects(b.stat('/aborted'), 'ENOENT')
  })
}
