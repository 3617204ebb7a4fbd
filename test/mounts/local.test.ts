/**
 * What the local backend promises beyond the contract: no path resolves outside its root, ops on
 * a link act on the link, only user.* xattrs, the root stays put. The fixture is made with
 * node:fs directly, as a user of the host directory would.
 */
import { access, chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setAttribute } from '@napi-rs/xattr'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { type Backend, isSymlink, type OpenFlags } from '../../src/vfs/backend.ts'
import type { ErrorCode } from '../../src/vfs/errors.ts'
import { rejects } from '../contract/helpers.ts'

/** The local backend has every optional method (its capabilities declare them all). */
type LocalBackend = Required<Omit<Backend, 'put' | 'close'>>

interface Ctx {
  base: string
  root: string
  outside: string
  b: LocalBackend
}

const test = suite<Ctx>('local: confinement and link semantics', {} as Ctx)
const RW: OpenFlags = { read: true, write: true, append: false, create: false, exclusive: false, truncate: false }
const CREATE: OpenFlags = { ...RW, create: true }

/** The call fails with `want` as a VfsError (the contract suite's check). */
async function code(p: Promise<unknown>, want: ErrorCode): Promise<void> {
  await rejects(p, want)
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  )
}

test.before.each(async (ctx) => {
  ctx.base = await mkdtemp(join(tmpdir(), 'local-confine-'))
  ctx.root = join(ctx.base, 'root')
  ctx.outside = join(ctx.base, 'outside')
  await mkdir(join(ctx.root, 'd'), { recursive: true })
  await mkdir(ctx.outside)
  await writeFile(join(ctx.outside, 'secret'), 'secret')
  await writeFile(join(ctx.root, 'd', 'f'), 'inside')
  await symlink(ctx.outside, join(ctx.root, 'out')) // absolute, leaves the root
  await symlink('../outside', join(ctx.root, 'up')) // relative, leaves the root
  await symlink(join(ctx.outside, 'secret'), join(ctx.root, 'secretlink'))
  await symlink('d', join(ctx.root, 'in')) // stays inside
  await symlink('d/f', join(ctx.root, 'inlink'))
  ctx.b = createLocalBackend({ root: ctx.root }) as LocalBackend
})

test.after.each(async (ctx) => {
  await rm(ctx.base, { recursive: true, force: true })
})

test('a symlink leading out of the root is refused with EACCES wherever it is followed', async ({ b, outside }) => {
  await code(b.list('/out'), 'EACCES')
  await code(b.list('/up'), 'EACCES')
  await code(b.stat('/out/secret'), 'EACCES')
  await code(b.openReader('/out/secret'), 'EACCES')
  await code(b.openReader('/secretlink'), 'EACCES')
  await code(b.open('/secretlink', RW, 0), 'EACCES')
  await code(b.open('/out/new', CREATE, 0o644), 'EACCES')
  await code(b.truncate('/secretlink', 0), 'EACCES')
  await code(b.chmod('/secretlink', 0o600), 'EACCES')
  await code(b.statfs('/out'), 'EACCES')
  await code(b.mkdir('/up/x', 0o755), 'EACCES')
  await code(b.unlink('/out/secret'), 'EACCES')
  await code(b.rename('/out/secret', '/stolen'), 'EACCES')
  await code(b.rename('/d/f', '/out/planted'), 'EACCES')
  await code(b.symlink('x', '/out/x'), 'EACCES')
  await code(b.link('/d/f', '/out/f'), 'EACCES')
  await code(b.setxattr('/out/secret', 'user.x', Buffer.from('1'), undefined), 'EACCES')
  assert.is(await readFile(join(outside, 'secret'), 'utf8'), 'secret', 'the outside file is untouched')
  assert.is(((await stat(join(outside, 'secret'))).mode & 0o777).toString(8), '644')
  for (const name of ['new', 'x', 'planted', 'f']) assert.not.ok(await exists(join(outside, name)), `${name} not created outside`)
})

test('a symlink inside the root is followed where POSIX follows it', async ({ b, root }) => {
  assert.equal((await b.list('/in')).map((e) => e.name), ['f'])
  const r = await b.openReader('/in/f')
  const buf = Buffer.alloc(16)
  assert.is(buf.subarray(0, await r.read(buf, 0)).toString(), 'inside')
  await r.close()
  const f = await b.open('/inlink', RW, 0)
  await f.write(Buffer.from('IN'), 0)
  await f.close()
  assert.is(await readFile(join(root, 'd', 'f'), 'utf8'), 'INside')
  const g = await b.open('/in/g', CREATE, 0o644)
  await g.close()
  assert.ok(await exists(join(root, 'd', 'g')), 'created through the inner link')
  await b.chmod('/inlink', 0o600)
  assert.is((await stat(join(root, 'd', 'f'))).mode & 0o777, 0o600, 'chmod follows an inner link')
  assert.ok(isSymlink((await b.stat('/inlink')).mode), 'the link itself is unchanged')
})

test('ops on a link act on the link, even one pointing outside', async ({ b, root, outside }) => {
  const secret = join(outside, 'secret')
  const before = await stat(secret, { bigint: true })
  assert.ok(isSymlink((await b.stat('/secretlink')).mode))
  assert.is(await b.readlink('/secretlink'), secret)
  await b.utimens('/secretlink', { atimeNs: 1_000_000_000_000_000_001n, mtimeNs: 1_000_000_000_000_000_001n })
  assert.is((await b.stat('/secretlink')).mtimeNs, 1_000_000_000_000_000_001n)
  assert.is((await stat(secret, { bigint: true })).mtimeNs, before.mtimeNs, 'target mtime unchanged')
  if (process.getuid?.() === 0) {
    await b.chown('/secretlink', 4242, 4343)
    assert.is((await lstat(join(root, 'secretlink'))).uid, 4242)
    assert.is((await stat(secret, { bigint: true })).uid, before.uid, 'target owner unchanged')
  }
  await setAttribute(secret, 'user.secret', Buffer.from('s'))
  await code(b.getxattr('/secretlink', 'user.secret'), 'ENODATA')
  assert.equal(await b.listxattr('/secretlink'), [])
  await b.unlink('/secretlink')
  assert.ok(await exists(secret), 'unlinking the link leaves the target')
})

test('xattrs: only user.* names; others answer ENOTSUP and are not listed', async ({ b, root }) => {
  await code(b.getxattr('/d/f', 'trusted.x'), 'ENOTSUP')
  await code(b.setxattr('/d/f', 'security.x', Buffer.from('1'), undefined), 'ENOTSUP')
  await code(b.removexattr('/d/f', 'system.posix_acl_access'), 'ENOTSUP')
  if (process.getuid?.() === 0) await setAttribute(join(root, 'd', 'f'), 'trusted.hidden', Buffer.from('1'))
  await b.setxattr('/d/f', 'user.shown', Buffer.from('1'), undefined)
  assert.equal(await b.listxattr('/d/f'), ['user.shown'])
  await code(b.getxattr('/d/f', `user.${'n'.repeat(260)}`), 'ERANGE')
})

test('the root cannot be removed or renamed; an unnormalised path is EINVAL', async ({ b }) => {
  await code(b.rmdir('/'), 'EBUSY')
  await code(b.rename('/', '/x'), 'EBUSY')
  await code(b.stat('/d/../..'), 'EINVAL')
  await code(b.stat('relative'), 'EINVAL')
})

test('a root that does not exist yet answers ENOENT, then works once created', async ({ base }) => {
  const late = join(base, 'late')
  const b = createLocalBackend({ root: late }) as LocalBackend
  await code(b.stat('/'), 'ENOENT')
  await mkdir(late)
  await chmod(late, 0o755)
  assert.equal(await b.list('/'), [])
})

test.run()
