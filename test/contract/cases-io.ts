/** Contract cases for data: randomWrite files, whole-object puts, ranged readers, rename. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { isDir, isFile } from '../../src/vfs/backend.ts'
import { type Ctx, flags, listing, perm, putSource, readAll, need, refused, rejects, writeFile } from './helpers.ts'

const RW = flags({ read: true, write: true })

export function ioCases(test: Test<Ctx>): void {
  test('randomWrite: writes at offsets, a sparse gap reads as zeros, sync, fstat', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.writes !== 'randomWrite') {
      await refused(b, 'open', (f) => f('/w', flags({ write: true, create: true }), 0o644))
      await refused(b, 'truncate', (f) => f('/w', 0))
      await rejects(b.stat('/w'), 'ENOENT')
      return
    }
    const open = need(b, 'open')
    const f = await open('/w', flags({ read: true, write: true, create: true }), 0o640)
    try {
      assert.is(await f.write(Buffer.from('hello'), 0), 5)
      assert.is(await f.write(Buffer.from('world'), 10), 5)
      const buf = Buffer.alloc(32)
      assert.is(await f.read(buf, 0), 15, 'reads stop at the end of file')
      assert.is(buf.subarray(0, 15).toString('latin1'), 'hello\0\0\0\0\0world')
      assert.is(await f.read(Buffer.alloc(4), 100), 0, 'read past the end is 0')
      await f.write(Buffer.from('HE'), 0)
      await f.sync(false)
      await f.sync(true)
      assert.is((await f.stat()).size, 15)
    } finally {
      await f.close()
    }
    const st = await b.stat('/w')
    assert.is(st.size, 15)
    assert.is(perm(st.mode), 0o640, 'open(O_CREAT) applies its mode')
    assert.is(await readAll(b, '/w'), 'HEllo\0\0\0\0\0world')
  })

  test('randomWrite: truncate shrinks and extends, by handle and by path', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.writes !== 'randomWrite') return
    const truncate = need(b, 'truncate')
    const open = need(b, 'open')
    await writeFile(ctx, '/t', '0123456789')
    await truncate('/t', 4)
    assert.is(await readAll(b, '/t'), '0123')
    await truncate('/t', 6)
    assert.is(await readAll(b, '/t'), '0123\0\0')
    const f = await open('/t', RW, 0)
    try {
      await f.truncate(2)
      assert.is((await f.stat()).size, 2)
    } finally {
      await f.close()
    }
    assert.is(await readAll(b, '/t'), '01')
    await rejects(truncate('/missing', 0), 'ENOENT', '/missing')
    await b.mkdir('/d', 0o755)
    await rejects(truncate('/d', 0), 'EISDIR', '/d')
  })

  test('randomWrite: append writes go to the end whatever the position', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.writes !== 'randomWrite') return
    const open = need(b, 'open')
    await writeFile(ctx, '/log', 'one\n')
    const f = await open('/log', flags({ write: true, append: true }), 0)
    try {
      await f.write(Buffer.from('two\n'), 0)
      await f.write(Buffer.from('three\n'), 1)
    } finally {
      await f.close()
    }
    assert.is(await readAll(b, '/log'), 'one\ntwo\nthree\n')
  })

  test('randomWrite: open flags: O_EXCL on existing, missing without O_CREAT, O_TRUNC, a directory', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.writes !== 'randomWrite') return
    const open = need(b, 'open')
    await writeFile(ctx, '/f', 'content')
    await rejects(open('/f', flags({ write: true, create: true, exclusive: true }), 0o644), 'EEXIST', '/f')
    await rejects(open('/missing', RW, 0), 'ENOENT', '/missing')
    await rejects(b.stat('/missing'), 'ENOENT')
    const f = await open('/f', flags({ write: true, truncate: true }), 0)
    await f.close()
    assert.is((await b.stat('/f')).size, 0, 'O_TRUNC empties the file')
    await b.mkdir('/d', 0o755)
    await rejects(open('/d', RW, 0), 'EISDIR', '/d')
    const g = await open('/new', flags({ write: true, create: true, exclusive: true }), 0o600)
    await g.close()
    assert.ok(isFile((await b.stat('/new')).mode), 'O_CREAT|O_EXCL creates')
  })

  test('wholeObject: put creates and replaces, with its mode and mtime; ENOENT parent; EISDIR', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.writes !== 'wholeObject') {
      const source = await putSource(ctx, Buffer.from('x'))
      await refused(b, 'put', (f) => f('/p', source))
      await rejects(b.stat('/p'), 'ENOENT')
      return
    }
    const mtimeNs = 1_600_000_000_123_456_789n
    await writeFile(ctx, '/p', 'first version', { mode: 0o640, mtimeNs })
    const st = await b.stat('/p')
    assert.ok(isFile(st.mode), 'a file')
    assert.is(st.size, 13)
    if (b.capabilities.chmod) assert.is(perm(st.mode), 0o640, 'put applies the mode')
    if (b.capabilities.utimens) assert.is(st.mtimeNs, mtimeNs, 'put applies the mtime')
    await writeFile(ctx, '/p', 'v2')
    assert.is(await readAll(b, '/p'), 'v2', 'put replaces')
    assert.is(await listing(b, '/'), 'p:file', 'no leftover temporaries')
    await rejects(writeFile(ctx, '/nope/p', 'x'), 'ENOENT', '/nope/p')
    await b.mkdir('/d', 0o755)
    await rejects(writeFile(ctx, '/d', 'x'), ['EISDIR', 'EEXIST'], '/d')
    await writeFile(ctx, '/empty', '')
    assert.is((await b.stat('/empty')).size, 0)
    assert.is(await readAll(b, '/empty'), '')
  })

  test('openReader: ranged reads, short at the end, 0 past it; ENOENT; EISDIR', async (ctx) => {
    const b = ctx.backend
    if (b.openReader === undefined) return
    const data = Buffer.alloc(300_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251
    await writeFile(ctx, '/big', data)
    const r = await b.openReader('/big')
    try {
      const mid = Buffer.alloc(1000)
      assert.is(await r.read(mid, 123_456), 1000)
      assert.ok(mid.equals(data.subarray(123_456, 124_456)), 'middle range')
      const tail = Buffer.alloc(1000)
      assert.is(await r.read(tail, data.length - 10), 10, 'short read at the end')
      assert.ok(tail.subarray(0, 10).equals(data.subarray(-10)), 'tail bytes')
      assert.is(await r.read(Buffer.alloc(10), data.length), 0, 'at the end: 0')
      assert.is(await r.read(Buffer.alloc(10), data.length + 5000), 0, 'past the end: 0')
      const head = Buffer.alloc(4)
      assert.is(await r.read(head, 0), 4, 'reads out of order')
      assert.ok(head.equals(data.subarray(0, 4)))
    } finally {
      await r.close()
    }
    await rejects(b.openReader('/missing'), 'ENOENT', '/missing')
    await b.mkdir('/d', 0o755)
    await rejects(b.openReader('/d'), 'EISDIR', '/d')
  })

  test('rename: a file over an existing file replaces it', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.rename === 'none') {
      await writeFile(ctx, '/a', 'A')
      await refused(b, 'rename', (f) => f('/a', '/b'), ['ENOTSUP', 'EPERM', 'EXDEV'])
      await rejects(b.stat('/b'), 'ENOENT')
      return
    }
    const rename = need(b, 'rename')
    await writeFile(ctx, '/a', 'from a', { mode: 0o600 })
    await writeFile(ctx, '/b', 'old b')
    const before = await b.stat('/a')
    await rename('/a', '/b')
    await rejects(b.stat('/a'), 'ENOENT')
    assert.is(await readAll(b, '/b'), 'from a')
    const after = await b.stat('/b')
    if (b.capabilities.chmod) assert.is(perm(after.mode), 0o600, 'mode moves with the file')
    if (b.capabilities.utimens) assert.is(after.mtimeNs, before.mtimeNs, 'mtime moves with the file')
    if (b.capabilities.rename === 'atomic' && before.ino !== undefined) assert.is(after.ino, before.ino, 'atomic rename keeps the inode')
    await rejects(rename('/missing', '/c'), 'ENOENT', '/missing')
    assert.is(await listing(b, '/'), 'b:file')
  })

  test('rename: a directory with its contents; ENOTEMPTY, EISDIR, ENOTDIR', async (ctx) => {
    const b = ctx.backend
    if (b.capabilities.rename === 'none') return
    const rename = need(b, 'rename')
    await b.mkdir('/d', 0o755)
    await b.mkdir('/d/sub', 0o755)
    await writeFile(ctx, '/d/sub/f', 'deep')
    await writeFile(ctx, '/d/g', 'shallow')
    await rename('/d', '/e')
    await rejects(b.stat('/d'), 'ENOENT')
    assert.is(await listing(b, '/e'), 'g:file sub:dir')
    assert.is(await readAll(b, '/e/sub/f'), 'deep')
    await b.mkdir('/empty', 0o755)
    await rename('/e/sub', '/empty')
    assert.is(await readAll(b, '/empty/f'), 'deep', 'a directory replaces an empty directory')
    await rejects(rename('/e', '/empty'), ['ENOTEMPTY', 'EEXIST'], '/e')
    await rejects(rename('/e/g', '/empty'), 'EISDIR', '/e/g')
    await rejects(rename('/empty', '/e/g'), 'ENOTDIR', '/empty')
    assert.ok(isDir((await b.stat('/e')).mode), 'failed renames left the source')
    assert.is(await listing(b, '/'), 'e:dir empty:dir')
  })
}
