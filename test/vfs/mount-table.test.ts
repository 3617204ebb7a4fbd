import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { isDir } from '../../src/vfs/backend.ts'
import type { VfsError } from '../../src/vfs/errors.ts'
import { Vfs } from '../../src/vfs/vfs.ts'

let dir = ''
let vfs: Vfs
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: VfsError) => e.code)

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-mt-'))
  for (const d of ['a', 'b', 'c']) await mkdir(join(dir, d))
  vfs = new Vfs({ stagingDir: join(dir, 'staging') })
  vfs.addMount('/local', createLocalBackend({ root: join(dir, 'a') }))
  vfs.addMount('/data/one', createLocalBackend({ root: join(dir, 'b') }))
  vfs.addMount('/data/two', createLocalBackend({ root: join(dir, 'c') }), { readOnly: true })
})
test.after(async () => {
  await vfs.close()
  await rm(dir, { recursive: true, force: true })
})

test('the root and the folders above mount points are synthetic, read-only listings', async () => {
  assert.equal((await vfs.readdir('/')).map((e) => e.name), ['data', 'local'])
  assert.equal((await vfs.readdir('/data')).map((e) => e.name), ['one', 'two'])
  const st = await vfs.stat('/data')
  assert.ok(isDir(st.mode))
  assert.is(st.mode & 0o777, 0o555)
  assert.is(st.ino, (await vfs.stat('/data')).ino, 'stable inode')
  assert.is.not(st.ino, (await vfs.stat('/')).ino)
})

test('longest prefix wins and paths are normalised', async () => {
  await vfs.mkdir('/data/one/x', 0o755)
  assert.ok(isDir((await vfs.stat('/data/one/./x/../x')).mode))
  assert.is(await code(vfs.stat('/data/x')), 'ENOENT')
  assert.is(await code(vfs.stat('/nothing')), 'ENOENT')
})

test('changes outside any mount answer EROFS; mount points are busy', async () => {
  assert.is(await code(vfs.mkdir('/newdir', 0o755)), 'EROFS')
  assert.is(await code(vfs.create('/data/file', 0o644, 0)), 'EROFS')
  assert.is(await code(vfs.create('/data', 0o644, 0)), 'EISDIR')
  assert.is(await code(vfs.mkdir('/local', 0o755)), 'EEXIST')
  assert.is(await code(vfs.rmdir('/local')), 'EBUSY')
  assert.is(await code(vfs.rename('/data/one', '/data/three')), 'EBUSY')
})

test('a read-only mount refuses every change with EROFS', async () => {
  assert.is(await code(vfs.mkdir('/data/two/x', 0o755)), 'EROFS')
  assert.is(await code(vfs.create('/data/two/f', 0o644, 1)), 'EROFS')
})

test('rename and link across mounts answer EXDEV', async () => {
  const fh = await vfs.create('/local/f', 0o644, 1)
  await vfs.release(fh)
  assert.is(await code(vfs.rename('/local/f', '/data/one/f')), 'EXDEV')
  assert.is(await code(vfs.link('/local/f', '/data/one/f')), 'EXDEV')
})

test('bad paths: relative, NUL, over-long names', async () => {
  assert.is(await code(vfs.stat('local/f')), 'EINVAL')
  assert.is(await code(vfs.stat('/local/a\0b')), 'EINVAL')
  assert.is(await code(vfs.stat(`/local/${'x'.repeat(256)}`)), 'ENAMETOOLONG')
})

test('overlapping mount points are refused', () => {
  assert.throws(() => vfs.addMount('/data', createLocalBackend({ root: dir })), /EBUSY/)
  assert.throws(() => vfs.addMount('/local/inner', createLocalBackend({ root: dir })), /EBUSY/)
})

test.run()
