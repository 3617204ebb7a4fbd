import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setAttribute } from '@napi-rs/xattr'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Harness, openHarness } from './helpers.ts'

const test = suite('mcp tools on /local and /ipfs')
let h: Harness
test.before(async () => {
  h = await openHarness({ ipfs: true })
})
test.after(async () => {
  await h.close()
})

const text = (r: Record<string, unknown>) => r.content as string

for (const root of ['/local', '/ipfs']) {
  test(`${root}: write, read (utf8, base64, range, head, tail), stat, ls, tree, search`, async () => {
    const d = `${root}/rw`
    assert.equal(await h.ok('vfs_mkdir', { path: `${d}/sub/deeper`, parents: true }), { path: `${d}/sub/deeper`, created: [d, `${d}/sub`, `${d}/sub/deeper`] })
    const w = await h.ok('vfs_write', { path: `${d}/a.txt`, content: 'one\ntwo\nthree\nfour\n' })
    assert.equal(w, { path: `${d}/a.txt`, bytes: 19, size: 19, created: true })
    assert.is(text(await h.ok('vfs_read', { path: `${d}/a.txt` })), 'one\ntwo\nthree\nfour\n')
    const range = await h.ok('vfs_read', { path: `${d}/a.txt`, offset: 4, length: 3 })
    assert.equal([range.content, range.bytes, range.size, range.eof], ['two', 3, 19, false])
    assert.is(text(await h.ok('vfs_read', { path: `${d}/a.txt`, head: 2 })), 'one\ntwo')
    assert.is(text(await h.ok('vfs_read', { path: `${d}/a.txt`, tail: 2 })), 'three\nfour')
    const bin = Buffer.from([0, 1, 2, 255, 254, 10, 0])
    await h.ok('vfs_write', { path: `${d}/sub/b.bin`, content: bin.toString('base64'), encoding: 'base64' })
    assert.is(text(await h.ok('vfs_read', { path: `${d}/sub/b.bin`, encoding: 'base64' })), bin.toString('base64'))
    await h.ok('vfs_write', { path: `${d}/sub/deeper/c.md`, content: '# c' })
    await h.ok('vfs_write', { path: `${d}/d.md`, content: '# d' })

    const st = await h.ok('vfs_stat', { path: `${d}/a.txt` })
    assert.equal([st.type, st.size, st.path], ['file', 19, `${d}/a.txt`])
    assert.is((await h.ok('vfs_stat', { path: d })).type, 'dir')
    if (root === '/ipfs') {
      assert.match(st.cid as string, /^bafk|^bafy/)
      const x = await h.ok('vfs_getxattr', { path: `${d}/a.txt`, name: 'user.ipfs.cid' })
      assert.is(x.text, st.cid)
      assert.equal((await h.ok('vfs_getxattr', { path: `${d}/a.txt` })).names, ['user.ipfs.cid'])
    } else assert.is(st.cid, undefined)

    const page1 = await h.ok('vfs_ls', { path: d, limit: 2 })
    assert.equal((page1.entries as { name: string }[]).map((e) => e.name), ['a.txt', 'd.md'])
    assert.is(page1.total, 3)
    assert.is((page1.entries as { size: number }[])[0]?.size, 19)
    const page2 = await h.ok('vfs_ls', { path: d, limit: 2, cursor: page1.nextCursor })
    assert.equal((page2.entries as { name: string; type: string }[]).map((e) => `${e.name}:${e.type}`), ['sub:dir'])
    assert.is(page2.nextCursor, undefined)

    const tree = await h.ok('vfs_tree', { path: d, max_depth: 2 })
    assert.equal((tree.entries as { path: string; depth: number }[]).map((e) => `${e.depth} ${e.path.slice(d.length)}`), ['1 /a.txt', '1 /d.md', '1 /sub', '2 /sub/b.bin', '2 /sub/deeper'])
    assert.is(tree.truncated, true)
    const small = await h.ok('vfs_tree', { path: d, max_entries: 2 })
    assert.equal([(small.entries as unknown[]).length, small.truncated], [2, true])

    const md = await h.ok('vfs_search', { path: d, pattern: '*.md' })
    assert.equal((md.matches as { path: string }[]).map((m) => m.path), [`${d}/d.md`, `${d}/sub/deeper/c.md`])
    const deep = await h.ok('vfs_search', { path: d, pattern: 'sub/**/*.md' })
    assert.equal((deep.matches as { path: string }[]).map((m) => m.path), [`${d}/sub/deeper/c.md`])
    const excl = await h.ok('vfs_search', { path: d, pattern: '*', exclude: ['sub'] })
    assert.equal((excl.matches as { path: string }[]).map((m) => m.path), [`${d}/a.txt`, `${d}/d.md`])

    const many = await h.ok('vfs_read_many', { paths: [`${d}/a.txt`, `${d}/nope`] })
    const files = many.files as { path: string; content?: string; error_code?: string }[]
    assert.is(files[0]?.content, 'one\ntwo\nthree\nfour\n')
    assert.is(files[1]?.error_code, 'ENOENT')
  })

  test(`${root}: write modes, offset writes, edit, truncate, rm, rmdir`, async () => {
    const d = `${root}/w`
    await h.ok('vfs_mkdir', { path: d })
    const f = `${d}/f.txt`
    assert.is((await h.fails('vfs_write', { path: f, content: 'x', create: 'existing_only' })).error_code, 'ENOENT')
    await h.ok('vfs_write', { path: f, content: 'hello world', create: 'new_only' })
    assert.is((await h.fails('vfs_write', { path: f, content: 'again', create: 'new_only' })).error_code, 'EEXIST')
    assert.equal(await h.ok('vfs_write', { path: f, content: 'WORLD', offset: 6, create: 'existing_only' }), { path: f, bytes: 5, size: 11, created: false })
    assert.is(text(await h.ok('vfs_read', { path: f })), 'hello WORLD')
    await h.ok('vfs_write', { path: f, content: 'a\nb\nc\n' })
    assert.is(text(await h.ok('vfs_read', { path: f })), 'a\nb\nc\n')

    const dry = await h.ok('vfs_edit', { path: f, edits: [{ old_text: 'b\n', new_text: 'B\nB2\n' }], dry_run: true })
    assert.is(dry.diff, `--- ${f}\n+++ ${f}\n@@ -1,4 +1,5 @@\n a\n-b\n+B\n+B2\n c\n \n`)
    assert.is(text(await h.ok('vfs_read', { path: f })), 'a\nb\nc\n', 'a dry run changes nothing')
    const done = await h.ok('vfs_edit', { path: f, edits: [{ old_text: 'b\n', new_text: 'B\n' }, { old_text: 'c', new_text: 'C' }] })
    assert.equal([done.applied, done.size], [true, 6])
    assert.is(text(await h.ok('vfs_read', { path: f })), 'a\nB\nC\n')
    await h.ok('vfs_write', { path: `${d}/dup.txt`, content: 'x x' })
    const dup = await h.fails('vfs_edit', { path: `${d}/dup.txt`, edits: [{ old_text: 'x', new_text: 'y' }] })
    assert.match(dup.error, /more than once/)
    const missing = await h.fails('vfs_edit', { path: f, edits: [{ old_text: 'B', new_text: 'b' }, { old_text: 'zzz', new_text: 'q' }] })
    assert.match(missing.error, /edit 2: old_text not found/)
    assert.is(text(await h.ok('vfs_read', { path: f })), 'a\nB\nC\n', 'a failed edit changes nothing')

    assert.equal(await h.ok('vfs_truncate', { path: f, size: 2 }), { path: f, size: 2 })
    assert.is(text(await h.ok('vfs_read', { path: f })), 'a\n')

    assert.is((await h.fails('vfs_rm', { path: d })).error_code, 'EISDIR')
    assert.is((await h.fails('vfs_rmdir', { path: d })).error_code, 'ENOTEMPTY')
    assert.equal(await h.ok('vfs_rm', { path: f }), { files: 1, dirs: 0, bytes: 2 })
    assert.equal(await h.ok('vfs_rm', { path: d, recursive: true }), { files: 1, dirs: 1, bytes: 3 })
    assert.is((await h.fails('vfs_stat', { path: d })).error_code, 'ENOENT')
    await h.ok('vfs_mkdir', { path: d })
    assert.equal(await h.ok('vfs_rmdir', { path: d }), { path: d })
  })
}

test('copy and move within and across mounts; no overwrite by default', async () => {
  await h.ok('vfs_write', { path: '/local/cm/t/a.txt', content: 'A', parents: true })
  await h.ok('vfs_write', { path: '/local/cm/t/s/b.txt', content: 'BB', parents: true })
  assert.is((await h.fails('vfs_copy', { source: '/local/cm/t', destination: '/ipfs/cm' })).error_code, 'EISDIR')
  assert.equal(await h.ok('vfs_copy', { source: '/local/cm/t', destination: '/ipfs/cm', recursive: true }), { files: 2, dirs: 2, bytes: 3 })
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/cm/s/b.txt' })), 'BB')
  const exists = await h.fails('vfs_copy', { source: '/local/cm/t/a.txt', destination: '/ipfs/cm/a.txt' })
  assert.equal([exists.error_code, exists.context.mount], ['EEXIST', '/ipfs'])
  await h.ok('vfs_write', { path: '/local/cm/t/a.txt', content: 'A2' })
  await h.ok('vfs_copy', { source: '/local/cm/t/a.txt', destination: '/ipfs/cm/a.txt', overwrite: true })
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/cm/a.txt' })), 'A2')

  const within = await h.ok('vfs_move', { source: '/local/cm/t/a.txt', destination: '/local/cm/moved.txt' })
  assert.equal([within.atomic, within.files], [true, 1])
  assert.is((await h.fails('vfs_move', { source: '/local/cm/moved.txt', destination: '/local/cm/t/s/b.txt' })).error_code, 'EEXIST')
  const across = await h.ok('vfs_move', { source: '/local/cm/t', destination: '/ipfs/moved' })
  assert.equal([across.atomic, across.files, across.bytes], [false, 1, 2])
  assert.is((await h.fails('vfs_stat', { path: '/local/cm/t' })).error_code, 'ENOENT')
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/moved/s/b.txt' })), 'BB')
})

test('readlink; symlinks inside a mount are followed, out of it refused with EACCES and nothing touched', async () => {
  const outside = await mkdtemp(join(tmpdir(), 'ipfs-vfs-outside-'))
  try {
    await h.ok('vfs_write', { path: '/local/ln/target.txt', content: 'inside', parents: true })
    await symlink('target.txt', join(h.localRoot, 'ln/in'))
    await symlink(join(outside, 'secret.txt'), join(h.localRoot, 'ln/abs'))
    await symlink('../../../../../../../../../../tmp', join(h.localRoot, 'ln/up'))
    await symlink(outside, join(h.localRoot, 'ln/dir'))
    assert.equal(await h.ok('vfs_readlink', { path: '/local/ln/in' }), { path: '/local/ln/in', target: 'target.txt' })
    assert.is((await h.ok('vfs_stat', { path: '/local/ln/in' })).type, 'symlink')
    assert.is(text(await h.ok('vfs_read', { path: '/local/ln/in' })), 'inside')
    await h.ok('vfs_write', { path: '/local/ln/in', content: 'through the link' })
    assert.is(await readFile(join(h.localRoot, 'ln/target.txt'), 'utf8'), 'through the link')
    for (const [tool, args] of [
      ['vfs_write', { path: '/local/ln/abs', content: 'leak' }],
      ['vfs_read', { path: '/local/ln/abs' }],
      ['vfs_ls', { path: '/local/ln/up' }],
      ['vfs_ls', { path: '/local/ln/dir' }],
      ['vfs_write', { path: '/local/ln/dir/new.txt', content: 'leak' }],
      ['vfs_read', { path: '/local/ln/up/passwd' }],
    ] as const) {
      const e = await h.fails(tool, args)
      assert.is(e.error_code, 'EACCES', `${tool} ${JSON.stringify(args)}: ${e.error}`)
    }
    assert.is(await readFile(join(outside, 'secret.txt'), 'utf8').catch(() => 'absent'), 'absent')
    assert.is(await readFile(join(outside, 'new.txt'), 'utf8').catch(() => 'absent'), 'absent')
    assert.is((await h.fails('vfs_readlink', { path: '/local/ln/target.txt' })).error_code, 'EINVAL')
  } finally {
    await rm(outside, { recursive: true, force: true })
  }
})

test('/ipfs: symlinks are read with vfs_readlink and followed inside the mount; one climbing out of it is EACCES', async () => {
  await h.ok('vfs_write', { path: '/ipfs/sl/t.txt', content: 'ipfs target', parents: true })
  await h.service.vfs.symlink('t.txt', '/ipfs/sl/in')
  await h.service.vfs.symlink('../../local/sl-escape', '/ipfs/sl/out')
  await h.service.vfs.symlink('/etc/passwd', '/ipfs/sl/abs')
  assert.equal(await h.ok('vfs_readlink', { path: '/ipfs/sl/out' }), { path: '/ipfs/sl/out', target: '../../local/sl-escape' })
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/sl/in' })), 'ipfs target')
  for (const p of ['/ipfs/sl/out', '/ipfs/sl/abs']) {
    assert.is((await h.fails('vfs_read', { path: p })).error_code, 'EACCES', p)
    assert.is((await h.fails('vfs_write', { path: p, content: 'x' })).error_code, 'EACCES', p)
  }
  assert.is((await h.fails('vfs_stat', { path: '/local/sl-escape' })).error_code, 'ENOENT', 'nothing written through the link')
})

test('/local: user xattrs through vfs_getxattr (value, text, names)', async () => {
  await h.ok('vfs_write', { path: '/local/xa.txt', content: 'x' })
  await setAttribute(join(h.localRoot, 'xa.txt'), 'user.note', Buffer.from('hello'))
  assert.equal(await h.ok('vfs_getxattr', { path: '/local/xa.txt', name: 'user.note' }), { path: '/local/xa.txt', name: 'user.note', value: Buffer.from('hello').toString('base64'), text: 'hello' })
  assert.ok(((await h.ok('vfs_getxattr', { path: '/local/xa.txt' })).names as string[]).includes('user.note'))
  assert.is((await h.fails('vfs_getxattr', { path: '/local/xa.txt', name: 'user.none' })).error_code, 'ENODATA')
})

test.run()
