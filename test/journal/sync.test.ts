/**
 * `sync to-ipfs` / `sync from-ipfs` on the Vfs (no FUSE): the root CID of a tree equals what
 * @helia/unixfs's addAll gives for the same tree with the same settings; a second sync reads only
 * what changed (opens counted on the backend); from-ipfs brings back bytes, modes and mtimes
 * into another mount, with conflict and delete rules.
 */
import { lstat, mkdir, readFile, readlink, rm, symlink, utimes, writeFile, chmod, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { syncFromIpfs } from '../../src/journal/sync/from-ipfs.ts'
import { syncImportOptions, syncToIpfs } from '../../src/journal/sync/to-ipfs.ts'
import { toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { type SyncHarness, startHarness } from './sync-harness.ts'

const test = suite<{ h: SyncHarness }>('sync', {} as { h: SyncHarness })
test.before.each(async (c) => {
  c.h = await startHarness()
})
test.after.each(async (c) => {
  await c.h.close()
})

/** A small tree with every kind of entry, odd modes and exact times. */
async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'tree/sub/deep'), { recursive: true })
  await writeFile(join(root, 'tree/a.txt'), 'alpha\n')
  await writeFile(join(root, 'tree/empty'), '')
  await writeFile(join(root, 'tree/sub/big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7))
  await writeFile(join(root, 'tree/sub/deep/x'), 'x')
  await mkdir(join(root, 'tree/void'))
  await symlink('../a.txt', join(root, 'tree/sub/link'))
  await chmod(join(root, 'tree/a.txt'), 0o600)
  await chmod(join(root, 'tree/sub/deep'), 0o700)
  await utimes(join(root, 'tree/sub/big.bin'), 1_600_000_000.5, 1_600_000_000.25)
}

/** The importer candidates for a host tree, as any @helia/unixfs user would write them (folders first, names in byte order). */
async function candidates(host: string, name = 'tree'): Promise<unknown[]> {
  const out: unknown[] = []
  const visit = async (rel: string): Promise<void> => {
    const p = join(host, rel)
    const st = await lstat(p, { bigint: true })
    const mtime = toMtime(st.mtimeNs)
    const path = rel === '' ? name : `${name}/${rel}`
    if (st.isDirectory()) {
      out.push({ path, mode: Number(st.mode) & 0o7777, mtime })
      const names = (await readdir(p)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      for (const n of names) await visit(rel === '' ? n : `${rel}/${n}`)
    } else if (st.isSymbolicLink()) out.push({ path, link: await readlink(p), mtime })
    else out.push({ path, content: await readFile(p), mode: Number(st.mode) & 0o7777, mtime })
  }
  await visit('')
  return out
}

test('sync to-ipfs of a tree on /local equals @helia/unixfs addAll of the same tree', async ({ h }) => {
  await makeTree(h.localRoot)
  const result = await syncToIpfs(h.ctx, '/local/tree')
  const fs = unixfs(h.engine.helia)
  let expected: CID | undefined
  for await (const e of fs.addAll(await candidates(join(h.localRoot, 'tree')) as Parameters<typeof fs.addAll>[0], syncImportOptions())) expected = e.cid
  assert.is(result.cid, expected?.toString())
  assert.is(result.files, 4)
  assert.is(result.reused, 0)
  assert.is(result.bytes, 6 + 3 * 1024 * 1024 + 17 + 1)
})

test('a second sync after one file changed reads only that file', async ({ h }) => {
  await makeTree(h.localRoot)
  const first = await syncToIpfs(h.ctx, '/local/tree')
  assert.is(h.opened.length, 4, 'the first sync reads every file')
  h.opened.length = 0
  const same = await syncToIpfs(h.ctx, '/local/tree')
  assert.is(same.cid, first.cid)
  assert.equal(h.opened, [], 'nothing changed: nothing read')
  assert.is(same.reused, 4)
  await writeFile(join(h.localRoot, 'tree/sub/deep/x'), 'changed')
  const second = await syncToIpfs(h.ctx, '/local/tree')
  assert.equal(h.opened, ['/tree/sub/deep/x'])
  assert.is(second.reused, 3)
  assert.is(second.bytes, 7)
  assert.is.not(second.cid, first.cid)
  // A chmod changes the CID (mode is in the node) without touching size or mtime: re-read too.
  h.opened.length = 0
  await chmod(join(h.localRoot, 'tree/empty'), 0o640)
  const third = await syncToIpfs(h.ctx, '/local/tree')
  assert.equal(h.opened, ['/tree/empty'])
  assert.is.not(third.cid, second.cid)
})

test('sync from-ipfs into another mount brings back bytes, modes, mtimes and symlinks', async ({ h }) => {
  await makeTree(h.localRoot)
  const { cid } = await syncToIpfs(h.ctx, '/local/tree')
  const r = await syncFromIpfs(h.ctx, CID.parse(cid), '/other/copy/tree')
  assert.is(r.files, 5, 'four files and a symlink')
  const a = join(h.localRoot, 'tree')
  const b = join(h.otherRoot, 'copy/tree')
  for (const rel of ['', 'a.txt', 'empty', 'sub', 'sub/big.bin', 'sub/deep', 'sub/deep/x', 'void', 'sub/link']) {
    const [sa, sb] = [await lstat(join(a, rel), { bigint: true }), await lstat(join(b, rel), { bigint: true })]
    assert.is(sb.mode, sa.mode, `mode of ${rel}`)
    if (!sa.isSymbolicLink()) assert.is(sb.mtimeNs, sa.mtimeNs, `mtime of ${rel}`)
    if (sa.isFile()) assert.ok((await readFile(join(a, rel))).equals(await readFile(join(b, rel))), `bytes of ${rel}`)
  }
  assert.is(await readlink(join(b, 'sub/link')), '../a.txt')
  // And the copy syncs back to the same CID, reading nothing: from-ipfs recorded what it wrote.
  const back = await syncToIpfs(h.ctx, '/other/copy/tree')
  assert.is(back.cid, cid)
  assert.is(back.bytes, 0)
})

test('sync from-ipfs into /ipfs: same bytes, modes and mtimes; syncs back to the same CID', async ({ h }) => {
  await makeTree(h.localRoot)
  await rm(join(h.localRoot, 'tree/sub/link'))
  const { cid } = await syncToIpfs(h.ctx, '/local/tree')
  await syncFromIpfs(h.ctx, CID.parse(cid), '/ipfs/t')
  const st = await h.vfs.stat('/ipfs/t/sub/big.bin')
  assert.is(st.mtimeNs, (await lstat(join(h.localRoot, 'tree/sub/big.bin'), { bigint: true })).mtimeNs)
  assert.is((await h.vfs.stat('/ipfs/t/a.txt')).mode & 0o7777, 0o600)
  const back = await syncToIpfs(h.ctx, '/ipfs/t')
  assert.is(back.cid, cid)
})

test('conflicts: fail changes nothing, skip keeps, overwrite replaces; delete removes extras', async ({ h }) => {
  await makeTree(h.localRoot)
  const { cid } = await syncToIpfs(h.ctx, '/local/tree')
  await mkdir(join(h.otherRoot, 't/sub'), { recursive: true })
  await writeFile(join(h.otherRoot, 't/a.txt'), 'mine')
  await writeFile(join(h.otherRoot, 't/extra'), 'extra')
  const err = await syncFromIpfs(h.ctx, CID.parse(cid), '/other/t').catch((e: unknown) => e)
  assert.instance(err, VfsError)
  assert.is((err as VfsError).code, 'EEXIST')
  assert.is((err as VfsError).path, '/other/t/a.txt')
  assert.equal((await readdir(join(h.otherRoot, 't'))).sort(), ['a.txt', 'extra', 'sub'], 'fail wrote nothing')
  const skipped = await syncFromIpfs(h.ctx, CID.parse(cid), '/other/t', { conflict: 'skip' })
  assert.is(skipped.skipped, 1)
  assert.is(await readFile(join(h.otherRoot, 't/a.txt'), 'utf8'), 'mine')
  const over = await syncFromIpfs(h.ctx, CID.parse(cid), '/other/t', { conflict: 'overwrite', delete: true })
  assert.is(await readFile(join(h.otherRoot, 't/a.txt'), 'utf8'), 'alpha\n')
  assert.is(over.deleted, 1)
  assert.is(over.unchanged, 4, 'what the skip pass wrote is known and left alone')
  assert.equal((await readdir(join(h.otherRoot, 't'))).sort(), ['a.txt', 'empty', 'sub', 'void'])
})

test('a single file: its CID is addBytes with its mode and mtime; from-ipfs writes it anywhere', async ({ h }) => {
  await writeFile(join(h.localRoot, 'one.bin'), Buffer.alloc(1024 * 1024 + 3, 9))
  await chmod(join(h.localRoot, 'one.bin'), 0o604)
  await utimes(join(h.localRoot, 'one.bin'), 1_234_567_890, 1_234_567_890.5)
  const { cid, files } = await syncToIpfs(h.ctx, '/local/one.bin')
  assert.is(files, 1)
  const st = await lstat(join(h.localRoot, 'one.bin'), { bigint: true })
  const fs = unixfs(h.engine.helia)
  const expected = await fs.addBytes(await readFile(join(h.localRoot, 'one.bin')), { ...syncImportOptions(), mode: 0o604, mtime: toMtime(st.mtimeNs) })
  assert.is(cid, expected.toString())
  await syncFromIpfs(h.ctx, CID.parse(cid), '/other/deep/er/one.bin')
  const copy = await lstat(join(h.otherRoot, 'deep/er/one.bin'), { bigint: true })
  assert.equal([copy.mode, copy.mtimeNs, copy.size], [st.mode, st.mtimeNs, st.size])
})

test('a file removed between the walk and its read: the walk starts again and the CID is that of the tree without it', async ({ h }) => {
  await makeTree(h.localRoot)
  h.hooks.beforeOpen = async (path) => {
    if (path !== '/tree/a.txt') return
    h.hooks.beforeOpen = undefined
    await rm(join(h.localRoot, 'tree/a.txt'))
  }
  const raced = await syncToIpfs(h.ctx, '/local/tree')
  assert.is(raced.files, 3)
  assert.is((await syncToIpfs(h.ctx, '/local/tree')).cid, raced.cid)
})

test('abort: a sync stops with the signal', async ({ h }) => {
  await makeTree(h.localRoot)
  const ac = new AbortController()
  ac.abort()
  const err = await syncToIpfs(h.ctx, '/local/tree', { signal: ac.signal }).catch((e: unknown) => e)
  assert.ok(err instanceof Error)
})

test.run()
