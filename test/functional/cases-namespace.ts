/**
 * Functional cases on names and metadata: folders, unlink, rename (EINVAL, EXDEV), symlinks,
 * hard links, chmod, utimes, listings, name length.
 */
import * as assert from 'uvu/assert'
import { isDir, isFile, isSymlink } from '../../src/vfs/backend.ts'
import { attrTimeoutPassed } from '../support/fs-like.ts'
import { type Each, fails, text } from './helpers.ts'

export function namespaceCases(each: Each): void {
  each('mkdir and rmdir: EEXIST, ENOENT, ENOTDIR, ENOTEMPTY', async ({ fs, dir }) => {
    await fs.mkdir(`${dir}/d`)
    assert.ok(isDir((await fs.stat(`${dir}/d`)).mode))
    await fails(fs.mkdir(`${dir}/d`), 'EEXIST', 'mkdir of an existing folder')
    await fs.writeFile(`${dir}/f`, 'x')
    await fails(fs.mkdir(`${dir}/f`), 'EEXIST', 'mkdir over a file')
    await fails(fs.mkdir(`${dir}/no/d`), 'ENOENT', 'mkdir in a missing folder')
    await fails(fs.mkdir(`${dir}/f/d`), 'ENOTDIR', 'mkdir below a file')
    await fails(fs.rmdir(`${dir}/missing`), 'ENOENT', 'rmdir of a missing folder')
    await fails(fs.rmdir(`${dir}/f`), 'ENOTDIR', 'rmdir of a file')
    await fs.writeFile(`${dir}/d/inner`, 'x')
    await fails(fs.rmdir(`${dir}/d`), 'ENOTEMPTY', 'rmdir of a folder with a file')
    await fs.unlink(`${dir}/d/inner`)
    await fs.rmdir(`${dir}/d`)
    await fails(fs.stat(`${dir}/d`), 'ENOENT', 'the folder is gone')
    assert.is((await fs.readdir(dir)).join(','), 'f')
  })

  each('unlink: a folder EISDIR, a missing name ENOENT', async ({ fs, dir }) => {
    await fs.mkdir(`${dir}/d`)
    await fails(fs.unlink(`${dir}/d`), 'EISDIR', 'unlink of a folder')
    await fails(fs.unlink(`${dir}/missing`), 'ENOENT', 'unlink of a missing file')
    await fs.writeFile(`${dir}/f`, 'x')
    await fs.unlink(`${dir}/f`)
    assert.is((await fs.readdir(dir)).join(','), 'd')
  })

  each('rename a file over a file: the content moves, the old name is gone', async ({ fs, dir, store }) => {
    await fs.writeFile(`${dir}/a`, 'from a')
    await fs.writeFile(`${dir}/b`, 'old b, longer')
    await fs.rename(`${dir}/a`, `${dir}/b`)
    assert.is(await text(fs, `${dir}/b`), 'from a')
    await fails(fs.stat(`${dir}/a`), 'ENOENT', 'the source name')
    assert.is((await fs.readdir(dir)).join(','), 'b')
    assert.is((await store.lstat('b')).size, 6, 'the store holds the renamed bytes')
    await fails(fs.rename(`${dir}/missing`, `${dir}/x`), 'ENOENT', 'rename of a missing file')
  })

  each('rename a folder with its tree; onto an empty folder; ENOTEMPTY, EISDIR, ENOTDIR', async ({ fs, dir }) => {
    await fs.mkdir(`${dir}/d`)
    await fs.mkdir(`${dir}/d/sub`)
    await fs.writeFile(`${dir}/d/sub/f`, 'deep')
    await fs.rename(`${dir}/d`, `${dir}/e`)
    assert.is(await text(fs, `${dir}/e/sub/f`), 'deep')
    await fails(fs.stat(`${dir}/d`), 'ENOENT', 'the old folder name')
    await fs.mkdir(`${dir}/empty`)
    await fs.rename(`${dir}/e`, `${dir}/empty`)
    assert.is((await fs.readdir(`${dir}/empty`)).join(','), 'sub')
    await fs.mkdir(`${dir}/full`)
    await fs.writeFile(`${dir}/full/x`, 'x')
    await fails(fs.rename(`${dir}/empty`, `${dir}/full`), 'ENOTEMPTY', 'a folder onto a folder with entries')
    await fs.writeFile(`${dir}/file`, 'f')
    await fails(fs.rename(`${dir}/file`, `${dir}/full`), 'EISDIR', 'a file onto a folder')
    await fails(fs.rename(`${dir}/full`, `${dir}/file`), 'ENOTDIR', 'a folder onto a file')
    assert.is((await fs.readdir(dir)).join(','), 'empty,file,full')
  })

  each('rename a folder into its own subfolder: EINVAL', async ({ fs, dir }) => {
    await fs.mkdir(`${dir}/d`)
    await fs.mkdir(`${dir}/d/sub`)
    await fails(fs.rename(`${dir}/d`, `${dir}/d/sub/d`), 'EINVAL', 'into a subfolder')
    await fails(fs.rename(`${dir}/d`, `${dir}/d/x`), 'EINVAL', 'into itself')
    assert.is((await fs.readdir(`${dir}/d`)).join(','), 'sub')
  })

  each('rename across mounts: EXDEV, both sides untouched', async ({ fs, dir, otherDir }) => {
    await fs.writeFile(`${dir}/f`, 'stay')
    await fails(fs.rename(`${dir}/f`, `${otherDir}/f`), 'EXDEV', 'file to the other mount')
    await fs.mkdir(`${dir}/d`)
    await fails(fs.rename(`${dir}/d`, `${otherDir}/d`), 'EXDEV', 'folder to the other mount')
    assert.is(await text(fs, `${dir}/f`), 'stay')
    assert.is((await fs.readdir(otherDir)).join(','), '')
  })

  each('symlink and readlink (obj: EPERM, declared without symlinks)', async ({ fs, dir, m }) => {
    await fs.writeFile(`${dir}/target`, 'through the link')
    if (!m.symlinks) {
      await fails(fs.symlink('target', `${dir}/link`), 'EPERM', 'symlink on a mount without them')
      assert.is((await fs.readdir(dir)).join(','), 'target')
      return
    }
    await fs.symlink('target', `${dir}/link`)
    await fs.symlink('nowhere', `${dir}/dangling`)
    assert.is(await fs.readlink(`${dir}/link`), 'target')
    assert.ok(isSymlink((await fs.lstat(`${dir}/link`)).mode), 'lstat sees the link')
    assert.ok(isFile((await fs.stat(`${dir}/link`)).mode), 'stat follows it')
    assert.is(await text(fs, `${dir}/link`), 'through the link')
    await fails(fs.stat(`${dir}/dangling`), 'ENOENT', 'stat of a dangling link')
    await fails(fs.symlink('x', `${dir}/link`), 'EEXIST', 'symlink over an existing name')
    await fails(fs.readlink(`${dir}/target`), 'EINVAL', 'readlink of a file')
    await fs.unlink(`${dir}/link`)
    assert.is((await fs.readdir(dir)).join(','), 'dangling,target')
  })

  each('hard link: nlink 2 and one inode (obj: EPERM)', async ({ fs, dir, m }) => {
    await fs.writeFile(`${dir}/a`, 'shared')
    if (!m.hardLinks) {
      await fails(fs.link(`${dir}/a`, `${dir}/b`), 'EPERM', 'link on a mount without hard links')
      assert.is((await fs.stat(`${dir}/a`)).nlink, 1)
      return
    }
    await fs.link(`${dir}/a`, `${dir}/b`)
    const [a, b] = [await fs.stat(`${dir}/a`), await fs.stat(`${dir}/b`)]
    assert.is(a.nlink, 2)
    assert.is(b.nlink, 2)
    assert.is(a.ino, b.ino, 'one inode')
    const h = await fs.open(`${dir}/b`, 'r+')
    try {
      await h.write('SH', 0)
    } finally {
      await h.close()
    }
    assert.is(await text(fs, `${dir}/a`), 'SHared', 'a write through one name shows through the other')
    await fs.unlink(`${dir}/a`)
    assert.is((await fs.stat(`${dir}/b`)).nlink, 1)
    await fails(fs.link(`${dir}/b`, `${dir}/b`), 'EEXIST', 'link over an existing name')
  })

  // What the mount promises (docs/SEMANTICS.md, /local): libfuse 2's high-level API gives each
  // path its own kernel inode, so the kernel caches the two names' attributes apart and the other
  // name keeps its old size (reads are cut to it) until the attribute timeout. In-process it is
  // at once; through FUSE once attrTimeout has passed (at once with attrTimeout 0:
  // test/functional/attr-timeout.test.ts).
  each('hard link: a write that grows the file shows through the other name (through FUSE: after attrTimeout)', async ({ fs, dir, m, kind }) => {
    if (!m.hardLinks) return
    await fs.writeFile(`${dir}/a`, 'short')
    await fs.link(`${dir}/a`, `${dir}/b`)
    assert.is((await fs.stat(`${dir}/a`)).size, 5)
    await fs.writeFile(`${dir}/b`, 'much longer content')
    if (kind === 'mount') await attrTimeoutPassed()
    assert.is((await fs.stat(`${dir}/a`)).size, 19, 'the size through the other name')
    assert.is(await text(fs, `${dir}/a`), 'much longer content')
  })

  each('chmod persists, in the store too', async ({ fs, dir, store }) => {
    await fs.writeFile(`${dir}/f`, 'x')
    await fs.chmod(`${dir}/f`, 0o600)
    assert.is((await fs.stat(`${dir}/f`)).mode & 0o7777, 0o600)
    assert.is((await store.lstat('f')).mode & 0o7777 & ~store.hiddenBits, 0o600 & ~store.hiddenBits)
    await fs.mkdir(`${dir}/d`)
    await fs.chmod(`${dir}/d`, 0o711)
    assert.is((await fs.stat(`${dir}/d`)).mode & 0o7777, 0o711)
    await fails(fs.chmod(`${dir}/missing`, 0o600), 'ENOENT', 'chmod of a missing file')
  })

  each('utimes: exact nanoseconds persist, in the store too', async ({ fs, dir, store, m }) => {
    const atimeNs = 1_600_000_000_123_456_789n
    const mtimeNs = 1_500_000_000_987_654_321n
    await fs.writeFile(`${dir}/f`, 'x')
    await fs.utimes(`${dir}/f`, atimeNs, mtimeNs)
    const s = await fs.stat(`${dir}/f`)
    assert.is(s.mtimeNs, mtimeNs)
    // A store without atime reports the mtime as atime (docs/SEMANTICS.md, /ipfs).
    assert.is(s.atimeNs, m.atime ? atimeNs : mtimeNs)
    assert.is((await store.lstat('f')).mtimeNs, mtimeNs)
    await fs.mkdir(`${dir}/d`)
    await fs.utimes(`${dir}/d`, atimeNs, mtimeNs)
    assert.is((await fs.stat(`${dir}/d`)).mtimeNs, mtimeNs)
  })

  each('readdir: every kind of entry, sorted', async ({ fs, dir, m }) => {
    await fs.writeFile(`${dir}/b`, '')
    await fs.mkdir(`${dir}/a`)
    await fs.writeFile(`${dir}/c.txt`, 'c')
    await fs.writeFile(`${dir}/a/inner`, 'i')
    if (m.symlinks) await fs.symlink('b', `${dir}/l`)
    assert.is((await fs.readdir(dir)).join(','), m.symlinks ? 'a,b,c.txt,l' : 'a,b,c.txt')
    assert.is((await fs.readdir(`${dir}/a`)).join(','), 'inner')
    await fails(fs.readdir(`${dir}/b`), 'ENOTDIR', 'readdir of a file')
    await fails(fs.readdir(`${dir}/missing`), 'ENOENT', 'readdir of a missing folder')
  })

  each('ENAMETOOLONG for a 256-byte name; 255 bytes work', async ({ fs, dir }) => {
    await fails(fs.writeFile(`${dir}/${'x'.repeat(256)}`, 'x'), 'ENAMETOOLONG', 'create with 256 bytes')
    await fails(fs.mkdir(`${dir}/${'y'.repeat(256)}`), 'ENAMETOOLONG', 'mkdir with 256 bytes')
    await fails(fs.stat(`${dir}/${'z'.repeat(256)}`), 'ENAMETOOLONG', 'stat with 256 bytes')
    await fs.writeFile(`${dir}/${'x'.repeat(255)}`, 'x')
    assert.is((await fs.readdir(dir)).join(','), 'x'.repeat(255))
  })

}
