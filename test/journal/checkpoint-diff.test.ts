/**
 * The DAG diff on its own, over trees built by @helia/unixfs: a HAMT-sharded folder (thousands of
 * names) is compared entry by entry through its shards; equal subtrees are never opened.
 */
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import type { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Change, diffNodes } from '../../src/journal/checkpoints/diff.ts'
import { loadDagNode } from '../../src/journal/checkpoints/dag.ts'
import { syncImportOptions } from '../../src/journal/sync/to-ipfs.ts'

const test = suite('checkpoint-diff')

const NAMES = 4000
const name = (i: number): string => `entry-with-a-longish-name-${String(i).padStart(5, '0')}`

async function tree(blocks: MemoryBlockstore, edit: (files: Map<string, string>) => void): Promise<CID> {
  const files = new Map<string, string>()
  for (let i = 0; i < NAMES; i++) files.set(`big/${name(i)}`, `content ${i}`)
  files.set('small/a', 'a')
  files.set('small/b', 'b')
  edit(files)
  const fs = unixfs({ blockstore: blocks } as unknown as Parameters<typeof unixfs>[0])
  const candidates = [...files].sort(([x], [y]) => (x < y ? -1 : 1)).map(([path, text]) => ({ path: `root/${path}`, content: new TextEncoder().encode(text), mtime: { secs: 1n } }))
  let last: CID | undefined
  for await (const e of fs.addAll(candidates, syncImportOptions())) last = e.cid
  return last as CID
}

test('a change deep in a HAMT folder: exactly the changed, added and removed names; the unchanged folder is not read', async () => {
  const blocks = new MemoryBlockstore()
  const a = await tree(blocks, () => {})
  const b = await tree(blocks, (f) => {
    f.set(`big/${name(17)}`, 'changed')
    f.delete(`big/${name(3999)}`)
    f.set('big/zz-new', 'new')
  })
  const r = { blocks, offline: true }
  const bigA = (await loadDagNode(r, a)).pb?.Links.find((l) => l.Name === 'big')?.Hash as CID
  assert.is((await loadDagNode(r, bigA)).unixfs?.type, 'hamt-sharded-directory', 'the big folder is a HAMT shard')
  // Count block reads: the unchanged `small` folder must not be among them.
  const smallA = (await loadDagNode(r, a)).pb?.Links.find((l) => l.Name === 'small')?.Hash as CID
  const read: string[] = []
  const counting = { get: (cid: CID, o?: object) => (read.push(cid.toString()), blocks.get(cid, o)), put: blocks.put.bind(blocks), has: blocks.has.bind(blocks) }
  const out: Change[] = []
  await diffNodes({ blocks: counting as never, offline: true }, a, b, '/x', out)
  assert.equal(out.sort((p, q) => (p.path < q.path ? -1 : 1)), [
    { path: `/x/big/${name(17)}`, change: 'modified' },
    { path: `/x/big/${name(3999)}`, change: 'removed' },
    { path: '/x/big/zz-new', change: 'added' },
  ])
  assert.not.ok(read.includes(smallA.toString()), 'an equal subtree is skipped by its CID')
})

test.run()
