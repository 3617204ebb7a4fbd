import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type ClusterDouble, createClusterDouble } from '../support/cluster-double.ts'
import { type Harness, openHarness } from './helpers.ts'

/** vfs_stat on /cluster (the IPFS Cluster REST contract double, content in Helia): the CID and each peer's pin status. */
const test = suite('mcp on /cluster')
let h: Harness
let double: ClusterDouble
test.before(async () => {
  double = await createClusterDouble({ peers: 2, stepMs: 5 })
  h = await openHarness({ mounts: { '/cluster': { type: 'cluster', api: double.url, listTtlMs: 0 } } })
})
test.after(async () => {
  await h?.close()
  await double?.close()
})

test('vfs_write onto /cluster pins it; vfs_stat shows its CID and the pin status of every peer', async () => {
  await h.ok('vfs_write', { path: '/cluster/report.txt', content: 'pinned by an agent' })
  const st = await h.ok('vfs_stat', { path: '/cluster/report.txt' })
  assert.match(st.cid as string, /^baf/)
  const cluster = st.cluster as { cid: string; name: string; peers: Record<string, { status: string }> }
  assert.is(cluster.cid, st.cid)
  assert.is(cluster.name, 'report.txt')
  assert.equal(Object.keys(cluster.peers).sort(), ['double-0', 'double-1'])
  assert.ok([...double.pins().values()].some((p) => p.cid === st.cid), 'the pin is in the cluster')
  assert.is((await h.ok('vfs_read', { path: '/cluster/report.txt' })).content, 'pinned by an agent')
  assert.is((await h.ok('vfs_stat', { path: '/local' })).cluster, undefined)
})

test.run()
