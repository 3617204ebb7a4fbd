/** Contract cases for metadata: symlinks, hard links, chmod, chown, utimens, xattrs, statfs. */
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { isFile, isSymlink, S_IFMT } from '../../src/vfs/backend.ts'
import { type Ctx, listing, perm, readAll, need, refused, rejects, writeFile } from './helpers.ts'

const ROOT = process.getuid?.() === 0

export function metaCases(test: Test<Ctx>): void {
  test('symlinks: targets stored verbatim, lstat semantics, EINVAL on a non-link', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/t', 'target')
    if (!b.capabilities.symlinks) {
      await refused(b, 'symlink', (f) => f('t', '/s'))
      await refused(b, 'readlink', (f) => f('/t'), ['ENOTSUP', 'EPERM', 'EINVAL'])
      await rejects(b.stat('/s'), 'ENOENT')
      return
    }
    const symlink = need(b, 'symlink')
    const readlink = need(b, 'readlink')
    const targets: Record<string, string> = { '/rel': 't', '/up': '../../outside/x', '/abs': '/nowhere/at all', '/dot': './t/' }
    for (const [path, target] of Object.entries(targets)) await symlink(target, path)
    for (const [path, target] of Object.entries(targets)) {
      assert.is(await readlink(path), target, `readlink ${path}`)
      const st = await b.stat(path)
      assert.ok(isSymlink(st.mode), `${path} is reported as a symlink, not followed`)
      assert.is(st.size, Buffer.byteLength(target), 'a symlink\'s size is its target\'s length')
    }
    assert.is(await listing(b, '/'), 'abs:symlink dot:symlink rel:symlink t:file up:symlink')
    await rejects(readlink('/t'), 'EINVAL', '/t')
    await rejects(readlink('/missing'), 'ENOENT', '/missing')
    await rejects(symlink('x', '/t'), 'EEXIST', '/t')
    await b.unlink('/rel')
    await rejects(b.stat('/rel'), 'ENOENT')
    assert.is(await readAll(b, '/t'), 'target', 'unlinking a link leaves its target')
  })

  test('hard links: one inode, nlink 2, content shared; EEXIST, ENOENT, EPERM on a directory', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/a', 'shared')
    if (!b.capabilities.hardLinks) {
      await refused(b, 'link', (f) => f('/a', '/b'))
      await rejects(b.stat('/b'), 'ENOENT')
      return
    }
    const link = need(b, 'link')
    await link('/a', '/b')
    const [sa, sb] = [await b.stat('/a'), await b.stat('/b')]
    assert.ok(sa.ino !== undefined, 'a backend with hard links reports inode numbers')
    assert.is(sb.ino, sa.ino, 'both names, one inode')
    assert.is(sa.nlink, 2)
    assert.is(sb.nlink, 2)
    assert.is(await readAll(b, '/b'), 'shared')
    await rejects(link('/a', '/b'), 'EEXIST', '/b')
    await rejects(link('/missing', '/c'), 'ENOENT', '/c')
    await b.mkdir('/d', 0o755)
    await rejects(link('/d', '/d2'), 'EPERM', '/d2')
    await b.unlink('/a')
    assert.is((await b.stat('/b')).nlink, 1)
    assert.is(await readAll(b, '/b'), 'shared')
  })

  test('chmod: permission bits persist, the type bits stay; ENOENT', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/f', 'x', { mode: 0o644 })
    const before = await b.stat('/f')
    if (!b.capabilities.chmod) {
      await refused(b, 'chmod', (f) => f('/f', 0o600))
      assert.is((await b.stat('/f')).mode, before.mode, 'mode unchanged')
      return
    }
    const chmod = need(b, 'chmod')
    await chmod('/f', 0o751)
    const st = await b.stat('/f')
    assert.is(perm(st.mode), 0o751)
    assert.is(st.mode & S_IFMT, before.mode & S_IFMT, 'still the same type')
    await chmod('/f', 0o600)
    assert.is(perm((await b.stat('/f')).mode), 0o600)
    await b.mkdir('/d', 0o755)
    await chmod('/d', 0o700)
    assert.is(perm((await b.stat('/d')).mode), 0o700)
    await rejects(chmod('/missing', 0o600), 'ENOENT', '/missing')
  })

  test('chown: owner and group persist; a symlink itself is changed, not its target', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/f', 'x')
    const before = await b.stat('/f')
    if (!b.capabilities.chown) {
      await refused(b, 'chown', (f) => f('/f', before.uid + 1, before.gid + 1))
      const after = await b.stat('/f')
      assert.equal([after.uid, after.gid], [before.uid, before.gid], 'owner unchanged')
      return
    }
    const chown = need(b, 'chown')
    // Only root may give a file away; anyone may chown to themselves.
    const [uid, gid] = ROOT ? [12345, 23456] : [process.getuid?.() ?? 0, process.getgid?.() ?? 0]
    await chown('/f', uid, gid)
    const st = await b.stat('/f')
    assert.equal([st.uid, st.gid], [uid, gid])
    await rejects(chown('/missing', uid, gid), 'ENOENT', '/missing')
    if (!ROOT || !b.capabilities.symlinks) return
    const symlink = need(b, 'symlink')
    await symlink('f', '/l')
    await chown('/l', 3456, 4567)
    const linkSt = await b.stat('/l')
    assert.equal([linkSt.uid, linkSt.gid], [3456, 4567], 'the link changed')
    const target = await b.stat('/f')
    assert.equal([target.uid, target.gid], [uid, gid], 'the target did not')
  })

  test('utimens: exact nanoseconds; an absent time is left as it is; links not followed', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/f', 'x')
    const before = await b.stat('/f')
    if (!b.capabilities.utimens) {
      await refused(b, 'utimens', (f) => f('/f', { mtimeNs: 1_000_000_000_000_000_001n }))
      assert.is((await b.stat('/f')).mtimeNs, before.mtimeNs, 'mtime unchanged')
      return
    }
    const utimens = need(b, 'utimens')
    const a1 = 1_600_000_000_123_456_789n
    const m1 = 1_500_000_000_987_654_321n
    if (!b.capabilities.atime) {
      // The store keeps no atime: mtime is exact, an atime alone changes nothing and is no error.
      await utimens('/f', { atimeNs: a1, mtimeNs: m1 })
      assert.is((await b.stat('/f')).mtimeNs, m1, 'mtime to the nanosecond')
      await utimens('/f', { atimeNs: 1_700_000_000_000_000_003n })
      assert.is((await b.stat('/f')).mtimeNs, m1, 'an atime-only change keeps the mtime')
      await rejects(utimens('/missing', { mtimeNs: m1 }), 'ENOENT', '/missing')
      return
    }
    await utimens('/f', { atimeNs: a1, mtimeNs: m1 })
    let st = await b.stat('/f')
    assert.is(st.atimeNs, a1, 'atime to the nanosecond')
    assert.is(st.mtimeNs, m1, 'mtime to the nanosecond')
    const m2 = 1_400_000_000_000_000_007n
    await utimens('/f', { mtimeNs: m2 })
    st = await b.stat('/f')
    assert.equal([st.atimeNs, st.mtimeNs], [a1, m2], 'atime omitted, kept')
    const a2 = 1_700_000_000_000_000_003n
    await utimens('/f', { atimeNs: a2 })
    st = await b.stat('/f')
    assert.equal([st.atimeNs, st.mtimeNs], [a2, m2], 'mtime omitted, kept')
    await b.mkdir('/d', 0o755)
    await utimens('/d', { mtimeNs: m1 })
    assert.is((await b.stat('/d')).mtimeNs, m1, 'on a directory')
    await rejects(utimens('/missing', { mtimeNs: m1 }), 'ENOENT', '/missing')
    if (!b.capabilities.symlinks) return
    const symlink = need(b, 'symlink')
    await symlink('f', '/l')
    await utimens('/l', { mtimeNs: 1_300_000_000_000_000_001n })
    assert.is((await b.stat('/l')).mtimeNs, 1_300_000_000_000_000_001n, 'the link changed')
    assert.is((await b.stat('/f')).mtimeNs, m2, 'the target did not')
  })

  test('xattrs: set/get/list/remove, create and replace flags (EEXIST, ENODATA)', async (ctx) => {
    const b = ctx.backend
    await writeFile(ctx, '/f', 'x')
    if (!b.capabilities.xattrs) {
      await refused(b, 'setxattr', (f) => f('/f', 'user.contract.a', Buffer.from('1'), undefined))
      await refused(b, 'getxattr', (f) => f('/f', 'user.contract.a'), ['ENOTSUP', 'EPERM', 'ENODATA'])
      await refused(b, 'listxattr', (f) => f('/f'))
      await refused(b, 'removexattr', (f) => f('/f', 'user.contract.a'), ['ENOTSUP', 'EPERM', 'ENODATA'])
      return
    }
    const listxattr = need(b, 'listxattr')
    const getxattr = need(b, 'getxattr')
    if (!b.capabilities.xattrsWritable) {
      // A fixed set of read-only attributes: each listed one reads, none can be set or removed.
      const names = await listxattr('/f')
      for (const name of names) assert.ok((await getxattr('/f', name)).length > 0, `${name} has a value`)
      await refused(b, 'setxattr', (f) => f('/f', 'user.contract.a', Buffer.from('1'), undefined))
      await refused(b, 'removexattr', (f) => f('/f', names[0] ?? 'user.contract.a'), ['ENOTSUP', 'EPERM', 'ENODATA'])
      await rejects(getxattr('/f', 'user.contract.absent'), 'ENODATA', '/f')
      await rejects(getxattr('/missing', names[0] ?? 'user.contract.a'), 'ENOENT', '/missing')
      assert.equal(await listxattr('/f'), names, 'nothing changed')
      return
    }
    const setxattr = need(b, 'setxattr')
    const removexattr = need(b, 'removexattr')
    const ours = async (path: string): Promise<string> =>
      (await listxattr(path))
        .filter((n) => n.startsWith('user.contract.'))
        .sort()
        .join(' ')
    assert.is(await ours('/f'), '')
    await setxattr('/f', 'user.contract.a', Buffer.from('one'), 'create')
    await rejects(setxattr('/f', 'user.contract.a', Buffer.from('again'), 'create'), 'EEXIST', '/f')
    await rejects(setxattr('/f', 'user.contract.b', Buffer.from('no'), 'replace'), 'ENODATA', '/f')
    assert.is((await getxattr('/f', 'user.contract.a')).toString(), 'one', 'a failed create did not replace')
    await setxattr('/f', 'user.contract.a', Buffer.from('two'), 'replace')
    assert.is((await getxattr('/f', 'user.contract.a')).toString(), 'two')
    const bin = Buffer.from([0, 255, 1, 0])
    await setxattr('/f', 'user.contract.bin', bin, undefined)
    assert.ok((await getxattr('/f', 'user.contract.bin')).equals(bin), 'binary value')
    await setxattr('/f', 'user.contract.empty', Buffer.alloc(0), undefined)
    assert.is((await getxattr('/f', 'user.contract.empty')).length, 0, 'empty value')
    assert.is(await ours('/f'), 'user.contract.a user.contract.bin user.contract.empty')
    await removexattr('/f', 'user.contract.a')
    await rejects(getxattr('/f', 'user.contract.a'), 'ENODATA', '/f')
    await rejects(removexattr('/f', 'user.contract.a'), 'ENODATA', '/f')
    assert.is(await ours('/f'), 'user.contract.bin user.contract.empty')
    await b.mkdir('/d', 0o755)
    await setxattr('/d', 'user.contract.dir', Buffer.from('d'), undefined)
    assert.is((await getxattr('/d', 'user.contract.dir')).toString(), 'd', 'on a directory')
    await rejects(getxattr('/missing', 'user.contract.a'), 'ENOENT', '/missing')
    await rejects(listxattr('/missing'), 'ENOENT', '/missing')
    assert.ok(isFile((await b.stat('/f')).mode))
  })

  test('statfs: sane numbers', async ({ backend: b }) => {
    if (b.statfs === undefined) return
    const s = await b.statfs('/')
    for (const [k, v] of Object.entries(s)) assert.ok(Number.isInteger(v) && v >= 0, `${k} is a count: ${v}`)
    assert.ok(s.bsize > 0 && s.frsize > 0, 'block sizes')
    assert.ok(s.blocks >= s.bfree && s.bfree >= s.bavail, 'blocks >= bfree >= bavail')
    assert.ok(s.files >= s.ffree, 'files >= ffree')
    assert.ok(s.namemax > 0, 'namemax')
  })
}
