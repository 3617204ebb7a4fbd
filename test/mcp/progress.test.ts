import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Progress } from '@modelcontextprotocol/sdk/types.js'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Harness, openHarness } from './helpers.ts'

const test = suite('mcp progress and cancellation')
let h: Harness
const FILES = 120
test.before(async () => {
  h = await openHarness({})
  const chunk = Buffer.alloc(64 << 10, 1).toString('base64')
  for (let i = 0; i < FILES; i++) await h.ok('vfs_write', { path: `/local/src/d${i % 4}/f${String(i).padStart(3, '0')}`, content: chunk, encoding: 'base64', parents: true })
})
test.after(async () => {
  await h.close()
})

async function countFiles(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).length
}

test('a recursive copy sends one progress notification per file, increasing, when asked', async () => {
  const seen: Progress[] = []
  const r = await h.client.callTool({ name: 'vfs_copy', arguments: { source: '/local/src', destination: '/local/copy1', recursive: true } }, undefined, { onprogress: (p) => seen.push(p) })
  assert.not.ok(r.isError)
  assert.equal(r.structuredContent, { files: FILES, dirs: 5, bytes: FILES * (64 << 10) })
  assert.is(seen.length, FILES)
  assert.ok(seen.every((p, i) => i === 0 || p.progress > (seen[i - 1] as Progress).progress))
  assert.match(seen.at(-1)?.message ?? '', new RegExp(`^${FILES} files, ${FILES * (64 << 10)} bytes$`))
  const removed: Progress[] = []
  await h.client.callTool({ name: 'vfs_rm', arguments: { path: '/local/copy1', recursive: true } }, undefined, { onprogress: (p) => removed.push(p) })
  assert.is(removed.length, FILES + 5)
  assert.is(await countFiles(join(h.localRoot, 'copy1')), 0)
})

test('cancelling a recursive copy stops it in the Vfs: the client rejects, and the copy ends part way', async () => {
  const abort = new AbortController()
  let first = true
  const call = h.client.callTool({ name: 'vfs_copy', arguments: { source: '/local/src', destination: '/local/copy2', recursive: true } }, undefined, {
    signal: abort.signal,
    onprogress: () => {
      if (first) abort.abort(new Error('user cancelled'))
      first = false
    },
  })
  try {
    await call
    assert.unreachable('a cancelled call rejects')
  } catch (err) {
    assert.match(String((err as Error).message ?? err), /cancel/i)
  }
  // The server got notifications/cancelled: its copy stops at the next chunk. Wait until it settles.
  let last = -1
  for (let i = 0; i < 50; i++) {
    await sleep(100)
    const n = await countFiles(join(h.localRoot, 'copy2'))
    if (n === last) break
    last = n
  }
  assert.ok(last >= 1 && last < FILES, `copied ${last} of ${FILES} before the cancellation took`)
})

test('no progress notifications when the client does not ask', async () => {
  const r = await h.client.callTool({ name: 'vfs_copy', arguments: { source: '/local/src/d0', destination: '/local/copy3', recursive: true } })
  assert.equal(r.structuredContent, { files: FILES / 4, dirs: 1, bytes: (FILES / 4) * (64 << 10) })
})

test('sync_to_ipfs and checkpoint send progress too (when the features are built in)', async () => {
  if (!Object.hasOwn(h.service.methods, 'sync.toIpfs')) return
  const seen: Progress[] = []
  const r = await h.client.callTool({ name: 'vfs_sync_to_ipfs', arguments: { path: '/local/src/d1' } }, undefined, { onprogress: (p) => seen.push(p) })
  assert.not.ok(r.isError, JSON.stringify(r.content))
  assert.ok(seen.length >= 1)
})

test.run()
