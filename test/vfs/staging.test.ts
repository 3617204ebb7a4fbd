/**
 * Write staging for whole-object backends, in-process: what reaches the store, when, and what
 * the caller is told when an upload fails.
 */
import { constants } from 'node:fs'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { PutSource } from '../../src/vfs/backend.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { createDirObjectBackend, type DirObjectBackend } from '../support/dir-object-backend.ts'

const { O_RDWR, O_WRONLY, O_RDONLY, O_TRUNC, O_APPEND } = constants
const test = suite('staging')

interface Ctx {
  dir: string
  vfs: Vfs
  store: DirObjectBackend
  /** Makes the next `put` calls fail with this code (an unreachable store). */
  failPuts?: VfsError['code']
}
const ctx = {} as Ctx

test.before.each(async () => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-staging-'))
  ctx.store = createDirObjectBackend({ root: join(ctx.dir, 'store') })
  await import('node:fs/promises').then((fs) => fs.mkdir(join(ctx.dir, 'store')))
  const put = ctx.store.put?.bind(ctx.store) as (p: string, s: PutSource) => Promise<void>
  ctx.failPuts = undefined
  ctx.store.put = async (path: string, source: PutSource) => {
    if (ctx.failPuts) throw new VfsError(ctx.failPuts, 'put', path)
    return put(path, source)
  }
  ctx.vfs = new Vfs({ stagingDir: join(ctx.dir, 'staging') })
  ctx.vfs.addMount('/obj', ctx.store, { cacheTtlMs: 60_000 })
  ctx.store.resetCounters()
})
test.after.each(async () => {
  await ctx.vfs.close()
  await rm(ctx.dir, { recursive: true, force: true })
})

async function writeAll(path: string, data: string, flags = O_WRONLY | O_TRUNC): Promise<void> {
  const { vfs } = ctx
  const fh = await vfs.create(path, 0o644, flags)
  await vfs.write(fh, Buffer.from(data), 0)
  await vfs.flush(fh)
  await vfs.release(fh)
}

async function readAll(path: string): Promise<string> {
  const { vfs } = ctx
  const fh = await vfs.open(path, O_RDONLY)
  const buf = Buffer.alloc(1 << 16)
  const n = await vfs.read(fh, buf, 0)
  await vfs.release(fh)
  return buf.subarray(0, n).toString()
}

test('one write session is one upload, at close, with the bytes written', async () => {
  const { vfs, store } = ctx
  const fh = await vfs.create('/obj/a.txt', 0o640, O_WRONLY)
  for (let i = 0; i < 10; i++) await vfs.write(fh, Buffer.from(`line ${i}\n`), i * 7)
  assert.is(store.counters.put, 0, 'nothing uploaded before close')
  await vfs.flush(fh)
  await vfs.release(fh)
  assert.is(store.counters.put, 1)
  const stored = await readFile(join(ctx.dir, 'store', 'a.txt'), 'utf8')
  assert.is(stored, Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''))
  assert.is((await vfs.stat('/obj/a.txt')).mode & 0o777, 0o640)
})

test('a new file is listed and stat-able before its first upload', async () => {
  const { vfs, store } = ctx
  const fh = await vfs.create('/obj/new', 0o600, O_RDWR)
  await vfs.write(fh, Buffer.from('abc'), 0)
  assert.equal((await vfs.readdir('/obj')).map((e) => e.name), ['new'])
  assert.is((await vfs.stat('/obj/new')).size, 3)
  assert.is(store.counters.put, 0)
  await vfs.release(fh)
  assert.is(store.counters.put, 1)
})

test('random writes and truncate on an existing object fetch it once and upload once', async () => {
  const { vfs, store } = ctx
  await writeAll('/obj/f', '0123456789')
  store.resetCounters()
  const fh = await vfs.open('/obj/f', O_RDWR)
  await vfs.write(fh, Buffer.from('xy'), 3)
  await vfs.write(fh, Buffer.from('Z'), 12)
  await vfs.ftruncate(fh, 11)
  await vfs.release(fh)
  assert.is(store.counters.openReader, 1)
  assert.is(store.counters.put, 1)
  assert.equal(await readFile(join(ctx.dir, 'store', 'f')), Buffer.from('012xy56789\0'))
})

test('O_TRUNC does not download the old object; append writes at the end', async () => {
  const { vfs, store } = ctx
  await writeAll('/obj/f', 'old content')
  store.resetCounters()
  await writeAll('/obj/f', 'new', O_WRONLY | O_TRUNC)
  assert.is(store.counters.openReader, 0)
  const fh = await vfs.open('/obj/f', O_WRONLY | O_APPEND)
  const size = (await vfs.fstat(fh)).size
  await vfs.write(fh, Buffer.from('+more'), size)
  await vfs.release(fh)
  assert.is(await readAll('/obj/f'), 'new+more')
})

test('two handles on one path share the staged bytes', async () => {
  const { vfs } = ctx
  const a = await vfs.create('/obj/shared', 0o644, O_RDWR)
  const b = await vfs.open('/obj/shared', O_RDWR)
  await vfs.write(a, Buffer.from('hello'), 0)
  const buf = Buffer.alloc(5)
  assert.is(await vfs.read(b, buf, 0), 5)
  assert.is(buf.toString(), 'hello')
  await vfs.release(a)
  await vfs.release(b)
  assert.is(await readAll('/obj/shared'), 'hello')
})

test('a failed upload is told to close(), and is sticky on that handle', async () => {
  const { vfs } = ctx
  const fh = await vfs.create('/obj/doomed', 0o644, O_WRONLY)
  await vfs.write(fh, Buffer.from('data'), 0)
  ctx.failPuts = 'EIO'
  const first = await vfs.flush(fh).then(() => undefined, (e: VfsError) => e.code)
  assert.is(first, 'EIO')
  ctx.failPuts = undefined
  const again = await vfs.fsync(fh, false).then(() => undefined, (e: VfsError) => e.code)
  assert.is(again, 'EIO', 'the same handle keeps answering the first failure')
  await vfs.release(fh)
})

test('a failed upload does not lose the bytes: another handle can still commit them', async () => {
  const { vfs } = ctx
  const a = await vfs.create('/obj/retry', 0o644, O_RDWR)
  await vfs.write(a, Buffer.from('precious'), 0)
  ctx.failPuts = 'ETIMEDOUT'
  await vfs.flush(a).catch(() => {})
  ctx.failPuts = undefined
  const b = await vfs.open('/obj/retry', O_RDWR)
  await vfs.fsync(b, false)
  await vfs.release(a)
  await vfs.release(b)
  assert.is(await readFile(join(ctx.dir, 'store', 'retry'), 'utf8'), 'precious')
})

test('chmod and utimens on an open staged file ride along with its upload', async () => {
  const { vfs, store } = ctx
  const fh = await vfs.create('/obj/meta', 0o600, O_WRONLY)
  await vfs.write(fh, Buffer.from('x'), 0)
  await vfs.chmod('/obj/meta', 0o751)
  await vfs.utimens('/obj/meta', 'omit', 981173106123456789n)
  await vfs.release(fh)
  assert.is(store.counters.put, 1)
  const st = await vfs.stat('/obj/meta')
  assert.is(st.mode & 0o7777, 0o751)
  assert.is(st.mtimeNs, 981173106123456789n)
})

test('rename of a file still being written moves it, and the upload lands at the new name', async () => {
  const { vfs } = ctx
  const fh = await vfs.create('/obj/draft', 0o644, O_WRONLY)
  await vfs.write(fh, Buffer.from('v1'), 0)
  await vfs.rename('/obj/draft', '/obj/final')
  await vfs.write(fh, Buffer.from('v2'), 0)
  await vfs.release(fh)
  assert.equal((await readdir(join(ctx.dir, 'store'))).filter((n) => !n.startsWith('.')), ['final'])
  assert.is(await readAll('/obj/final'), 'v2')
})

test('unlink of an open file: the handle keeps working, nothing is uploaded', async () => {
  const { vfs, store } = ctx
  await writeAll('/obj/gone', 'before')
  store.resetCounters()
  const fh = await vfs.open('/obj/gone', O_RDWR)
  await vfs.unlink('/obj/gone')
  await vfs.write(fh, Buffer.from('after'), 0)
  const buf = Buffer.alloc(16)
  assert.is(buf.subarray(0, await vfs.read(fh, buf, 0)).toString(), 'aftere')
  await vfs.release(fh)
  assert.is(store.counters.put, 0)
  assert.is(await vfs.stat('/obj/gone').then(() => 'exists', (e: VfsError) => e.code), 'ENOENT')
})

test('truncate by path stages, cuts and uploads at once', async () => {
  const { vfs, store } = ctx
  await writeAll('/obj/t', 'abcdef')
  store.resetCounters()
  await vfs.truncate('/obj/t', 2)
  assert.is(store.counters.put, 1)
  assert.is(await readAll('/obj/t'), 'ab')
})

test('removing a mount with an open file is refused with EBUSY', async () => {
  const { vfs } = ctx
  const fh = await vfs.create('/obj/busy', 0o644, O_WRONLY)
  const code = await vfs.removeMount('/obj').then(() => 'removed', (e: VfsError) => e.code)
  assert.is(code, 'EBUSY')
  await vfs.release(fh)
})

test('no staged file is left behind once everything is closed', async () => {
  await writeAll('/obj/x', 'x')
  await writeAll('/obj/y', 'y')
  const left = await readdir(join(ctx.dir, 'staging')).catch(() => [])
  assert.equal(left, [])
})

test.run()
