/**
 * Functional cases on file contents and open handles: create, read, write, truncate, holes,
 * several handles, unlink and rename of open files, fsync.
 */
import * as assert from 'uvu/assert'
import { isFile } from '../../src/vfs/backend.ts'
import { type Each, fails, text } from './helpers.ts'

export function ioCases(each: Each): void {
  each('create, read, overwrite shorter, append', async ({ fs, dir }) => {
    const f = `${dir}/f`
    await fs.writeFile(f, 'hello world')
    assert.is(await text(fs, f), 'hello world')
    await fs.writeFile(f, 'hi')
    assert.is(await text(fs, f), 'hi')
    assert.is((await fs.stat(f)).size, 2)
    await fs.appendFile(f, ' there')
    assert.is(await text(fs, f), 'hi there')
    await fs.appendFile(`${dir}/new`, 'made by append')
    assert.is(await text(fs, `${dir}/new`), 'made by append')
    assert.ok(isFile((await fs.stat(f)).mode))
  })

  each('open: O_EXCL on an existing name EEXIST, missing ENOENT, a folder for writing EISDIR', async ({ fs, dir }) => {
    await fs.writeFile(`${dir}/f`, 'x')
    await fs.mkdir(`${dir}/d`)
    await fails(fs.open(`${dir}/f`, 'wx'), 'EEXIST', 'O_CREAT|O_EXCL on a file')
    await fails(fs.open(`${dir}/missing`, 'r'), 'ENOENT', 'open without O_CREAT')
    await fails(fs.open(`${dir}/d`, 'r+'), 'EISDIR', 'a folder opened for writing')
    await fails(fs.writeFile(`${dir}/nodir/f`, 'x'), 'ENOENT', 'create in a missing folder')
    await fails(fs.writeFile(`${dir}/f/g`, 'x'), 'ENOTDIR', 'create below a file')
    assert.is(await text(fs, `${dir}/f`), 'x', 'the failed O_EXCL left the file alone')
  })

  each('read at offsets, short read at the end, nothing past EOF', async ({ fs, dir }) => {
    await fs.writeFile(`${dir}/f`, 'abcdefghij')
    const h = await fs.open(`${dir}/f`, 'r')
    try {
      assert.is((await h.read(3, 2)).toString(), 'cde')
      assert.is((await h.read(5, 8)).toString(), 'ij')
      assert.is((await h.read(4, 10)).length, 0)
      assert.is((await h.read(4, 1000)).length, 0)
    } finally {
      await h.close()
    }
  })

  each('truncate by path and by handle: down cuts, up reads zeros', async ({ fs, dir }) => {
    const f = `${dir}/f`
    await fs.writeFile(f, 'hello world')
    await fs.truncate(f, 5)
    assert.is(await text(fs, f), 'hello')
    await fs.truncate(f, 8)
    assert.is(await text(fs, f), 'hello\0\0\0')
    assert.is((await fs.stat(f)).size, 8)
    const h = await fs.open(f, 'r+')
    try {
      await h.truncate(2)
      assert.is((await h.stat()).size, 2)
      await h.truncate(4)
      assert.is((await h.read(10, 0)).toString('latin1'), 'he\0\0')
    } finally {
      await h.close()
    }
    assert.is(await text(fs, f), 'he\0\0')
    await fails(fs.truncate(`${dir}/missing`, 0), 'ENOENT', 'truncate of a missing file')
    await fs.mkdir(`${dir}/d`)
    await fails(fs.truncate(`${dir}/d`, 0), 'EISDIR', 'truncate of a folder')
  })

  each('sparse write beyond EOF: the gap reads as zeros', async ({ fs, dir }) => {
    const f = `${dir}/f`
    await fs.writeFile(f, 'abc')
    const h = await fs.open(f, 'r+')
    try {
      await h.write('X', 10)
      assert.is((await h.stat()).size, 11)
    } finally {
      await h.close()
    }
    assert.is(await text(fs, f), `abc${'\0'.repeat(7)}X`)
    const g = await fs.open(`${dir}/g`, 'w')
    try {
      await g.write('end', 70_000)
    } finally {
      await g.close()
    }
    const buf = await fs.readFile(`${dir}/g`)
    assert.is(buf.length, 70_003)
    assert.ok(buf.subarray(0, 70_000).every((b) => b === 0), 'a hole in a new file is zeros')
  })

  each('two handles on one file see each other’s writes at once', async ({ fs, dir }) => {
    await fs.writeFile(`${dir}/f`, '0123456789')
    const a = await fs.open(`${dir}/f`, 'r+')
    const b = await fs.open(`${dir}/f`, 'r+')
    try {
      await a.write('AA', 0)
      assert.is((await b.read(10, 0)).toString(), 'AA23456789', 'b reads a’s write before any close')
      await b.write('BBB', 8)
      assert.is((await a.read(20, 0)).toString(), 'AA234567BBB', 'a reads b’s write and the new size')
      assert.is((await a.stat()).size, 11)
    } finally {
      await a.close()
      await b.close()
    }
    assert.is(await text(fs, `${dir}/f`), 'AA234567BBB')
  })

  each('a new file is visible by name while it is being written', async ({ fs, dir }) => {
    const h = await fs.open(`${dir}/new`, 'w')
    try {
      await h.write('partial', 0)
      assert.is((await fs.readdir(dir)).join(','), 'new')
      assert.is((await fs.stat(`${dir}/new`)).size, 7)
    } finally {
      await h.close()
    }
    assert.is(await text(fs, `${dir}/new`), 'partial')
  })

  // Through FUSE too: the mount uses hard_remove, so libfuse never renames an open file to
  // .fuse_hidden* (no such name in listings, in the store, or uploaded on an object store).
  each('unlink of an open file: the handle keeps working, no name is left, nothing is stored', async ({ fs, dir, store }) => {
    await fs.writeFile(`${dir}/f`, 'before')
    const h = await fs.open(`${dir}/f`, 'r+')
    try {
      await fs.unlink(`${dir}/f`)
      await fails(fs.stat(`${dir}/f`), 'ENOENT', 'the name after unlink')
      assert.is((await fs.readdir(dir)).join(','), '', 'no name while open (no .fuse_hidden*)')
      assert.equal(await store.readdir(), [], 'nothing in the store while open')
      const st = await h.stat()
      assert.is(st.nlink, 0, 'fstat by the handle: no links left')
      assert.is(st.size, 6)
      await h.write('AFTER!!', 0)
      assert.is((await h.read(10, 0)).toString(), 'AFTER!!')
      assert.is((await h.stat()).size, 7)
    } finally {
      await h.close()
    }
    assert.is((await fs.readdir(dir)).join(','), '', 'nothing came back on close')
    assert.equal(await store.readdir(), [], 'the written bytes were never stored')
  })

  each('unlink of a new file while it is open: nothing reaches the store', async ({ fs, dir, store }) => {
    const h = await fs.open(`${dir}/n`, 'w+')
    try {
      await h.write('never stored', 0)
      await fs.unlink(`${dir}/n`)
      assert.is((await h.read(5, 0)).toString(), 'never')
    } finally {
      await h.close()
    }
    assert.is((await fs.readdir(dir)).join(','), '')
    await fails(store.lstat('n'), 'ENOENT', 'the store')
  })

  each('rename onto an open file: its handle keeps the old bytes, the name has the new file', async ({ fs, dir, store }) => {
    await fs.writeFile(`${dir}/b`, 'old b')
    const h = await fs.open(`${dir}/b`, 'r+')
    try {
      await fs.writeFile(`${dir}/a`, 'new')
      await fs.rename(`${dir}/a`, `${dir}/b`)
      assert.is((await fs.readdir(dir)).join(','), 'b', 'one name (no .fuse_hidden*)')
      assert.equal(await store.readdir(), ['b'], 'one object in the store')
      assert.is((await h.read(10, 0)).toString(), 'old b')
      await h.write('!', 5)
      const st = await h.stat()
      assert.is(st.nlink, 0, 'the replaced file has no name')
      assert.is(st.size, 6)
      assert.is(await text(fs, `${dir}/b`), 'new', 'a write to the replaced file does not reach the name')
    } finally {
      await h.close()
    }
    assert.is(await text(fs, `${dir}/b`), 'new', 'nor does its close')
    assert.equal(await store.readdir(), ['b'])
  })

  each('rename of an open file: the handle follows, the content lands under the new name', async ({ fs, dir }) => {
    const h = await fs.open(`${dir}/a`, 'w')
    try {
      await h.write('one', 0)
      await fs.rename(`${dir}/a`, `${dir}/b`)
      await h.write('two', 3)
    } finally {
      await h.close()
    }
    assert.is((await fs.readdir(dir)).join(','), 'b')
    assert.is(await text(fs, `${dir}/b`), 'onetwo')
  })

  each('fsync then close: the store has the bytes', async ({ fs, dir, store }) => {
    const h = await fs.open(`${dir}/f`, 'w')
    try {
      await h.write('synced', 0)
      await h.sync()
      assert.is((await store.lstat('f')).size, 6, 'after fsync the store holds the file')
    } finally {
      await h.close()
    }
  })

}
