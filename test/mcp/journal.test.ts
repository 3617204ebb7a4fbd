import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Harness, openHarness } from './helpers.ts'

/**
 * The journal, sync and checkpoint tools against the real features. A feature that is not in
 * this build answers ENOSYS through the tool (never a made-up result): that is asserted instead.
 */
const test = suite('mcp journal, sync and checkpoint tools')
let h: Harness
test.before(async () => {
  h = await openHarness({ ipfs: true })
})
test.after(async () => {
  await h.close()
})

const has = (method: string) => Object.hasOwn(h.service.methods, method)
const text = (r: Record<string, unknown>) => r.content as string

async function unavailable(tool: string, args: Record<string, unknown>): Promise<void> {
  const e = await h.fails(tool, args)
  assert.is(e.error_code, 'ENOSYS', `${tool}: ${e.error}`)
}

test('journal: a write through vfs_write is in the history of its path and in the list; track, untrack, tracked, status', async () => {
  if (!has('journal.history')) return unavailable('fs_journal_get_history', { path: '/local/j.txt' })
  await h.ok('vfs_write', { path: '/local/j/j.txt', content: 'journaled', parents: true })
  const hist = (await h.ok('fs_journal_get_history', { path: '/local/j/j.txt' })).entries as { op: string; path?: string; paths?: string[] }[]
  assert.ok(hist.length >= 1, JSON.stringify(hist))
  assert.ok(hist.some((e) => JSON.stringify(e).includes('/local/j/j.txt')))
  const list = (await h.ok('fs_journal_list', { limit: 1000 })).entries as unknown[]
  assert.ok(list.length >= hist.length)
  const status = await h.ok('fs_journal_status', {})
  assert.type(status.lastSeq, 'number')
  assert.ok((status.lastSeq as number) >= 1)
  assert.equal((await h.ok('fs_journal_track', { path: '/local/j' })).paths, ['/local/j'])
  assert.equal((await h.ok('fs_journal_list_tracked', {})).paths, ['/local/j'])
  const un = await h.ok('fs_journal_untrack', { path: '/local/j' })
  assert.equal([un.tracked, un.paths], [false, []])
})

test('sync: a /local folder to IPFS gives a real CID that syncs back byte for byte; a second sync reuses every file', async () => {
  if (!has('sync.toIpfs')) return unavailable('vfs_sync_to_ipfs', { path: '/local' })
  await h.ok('vfs_write', { path: '/local/s/a.txt', content: 'alpha', parents: true })
  await h.ok('vfs_write', { path: '/local/s/d/b.txt', content: 'beta', parents: true })
  const to = await h.ok('vfs_sync_to_ipfs', { path: '/local/s' })
  assert.match(to.cid as string, /^bafy/)
  assert.equal([to.files, to.bytes], [2, 9])
  const again = await h.ok('vfs_sync_to_ipfs', { path: '/local/s' })
  assert.equal([again.cid, again.reused], [to.cid, 2])
  await h.ok('vfs_sync_from_ipfs', { cid: to.cid, path: '/ipfs/s-copy' })
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/s-copy/d/b.txt' })), 'beta')
  assert.is((await h.ok('vfs_stat', { path: '/ipfs/s-copy' })).cid, to.cid, 'the same tree has the same CID on /ipfs')
  await h.ok('vfs_write', { path: '/ipfs/s-copy/a.txt', content: 'changed' })
  assert.is((await h.fails('vfs_sync_from_ipfs', { cid: to.cid, path: '/ipfs/s-copy' })).error_code, 'EEXIST')
  await h.ok('vfs_write', { path: '/ipfs/s-copy/extra.txt', content: 'x' })
  const over = await h.ok('vfs_sync_from_ipfs', { cid: to.cid, path: '/ipfs/s-copy', conflict: 'overwrite', delete_extraneous: true })
  assert.is(over.deleted, 1)
  assert.is(text(await h.ok('vfs_read', { path: '/ipfs/s-copy/a.txt' })), 'alpha')
  assert.is((await h.fails('vfs_sync_from_ipfs', { cid: 'not-a-cid', path: '/local/x' })).error_code, 'EINVAL')
})

test('checkpoints: create, list, diff against current, restore', async () => {
  if (!has('checkpoint.create')) return unavailable('vfs_checkpoint', { paths: ['/local'] })
  await h.ok('vfs_write', { path: '/local/c/f.txt', content: 'v1', parents: true })
  const cp = await h.ok('vfs_checkpoint', { paths: ['/local/c'], label: 'before' })
  assert.type(cp.id, 'number')
  assert.equal(Object.keys(cp.roots as object), ['/local/c'])
  const listed = (await h.ok('vfs_checkpoint_list', {})).checkpoints as { id: number }[]
  assert.ok(listed.some((c) => c.id === cp.id))
  await h.ok('vfs_write', { path: '/local/c/f.txt', content: 'v2' })
  await h.ok('vfs_write', { path: '/local/c/new.txt', content: 'n' })
  const diff = (await h.ok('vfs_checkpoint_diff', { a: cp.id })).changes as { path: string; change: string }[]
  assert.equal(diff.map((c) => `${c.change} ${c.path}`).sort(), ['added /local/c/new.txt', 'modified /local/c/f.txt'])
  await h.ok('vfs_restore', { id: cp.id, delete: true })
  assert.is(text(await h.ok('vfs_read', { path: '/local/c/f.txt' })), 'v1')
  assert.is((await h.fails('vfs_stat', { path: '/local/c/new.txt' })).error_code, 'ENOENT')
  assert.is((await h.fails('vfs_restore', { id: 'no-such-checkpoint' })).error_code, 'ENOENT')
})

test.run()
