/**
 * The contract suite against /cluster: a real Helia repository for the content, and the IPFS
 * Cluster CONTRACT DOUBLE (test/support/cluster-double.ts: the documented REST API, field for
 * field; no real cluster is installable here) for the pinset, fresh per case.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type ClusterBackend, createClusterBackend } from '../../src/mounts/cluster/backend.ts'
import { ClusterRest } from '../../src/mounts/cluster/rest.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { type ClusterDouble, createClusterDouble } from '../support/cluster-double.ts'
import { rejects } from './helpers.ts'
import { contractSuite } from './suite.ts'

contractSuite('cluster (contract double + helia)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'contract-cluster-'))
  const engine = await openHeliaEngine({ dir })
  const double = await createClusterDouble({ peers: 2, stepMs: 5 })
  const backend = createClusterBackend(
    { blockstore: engine.helia.blockstore, api: new ClusterRest(double.url) },
    { prefix: '', replicationMin: -1, replicationMax: -1, listTtlMs: 1000 },
  )
  return {
    backend,
    cleanup: async () => {
      await double.close()
      await engine.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}).run()

// What /cluster adds to the contract: the pinset model, status, errors. Same double, same Helia.
interface Fixture {
  backend: ClusterBackend
  double: ClusterDouble
  put(path: string, text: string): Promise<void>
  done(): Promise<void>
}

async function fixture(o: { prefix?: string; basic?: string; doubleAuth?: string; url?: string } = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-extra-'))
  const engine = await openHeliaEngine({ dir })
  const double = await createClusterDouble({ peers: 2, stepMs: 40, ...(o.doubleAuth === undefined ? {} : { basicAuth: o.doubleAuth }) })
  const api = new ClusterRest(o.url ?? double.url, o.basic === undefined ? {} : { basic: o.basic }, 2000)
  const backend = createClusterBackend({ blockstore: engine.helia.blockstore, api }, { prefix: o.prefix ?? '', replicationMin: 1, replicationMax: 1, listTtlMs: 0 })
  let n = 0
  return {
    backend,
    double,
    put: async (path, text) => {
      const localPath = join(dir, `staged-${++n}`)
      await writeFile(localPath, text)
      await backend.put?.(path, { localPath, size: Buffer.byteLength(text), mode: 0o100644, mtimeNs: BigInt(Date.now()) * 1_000_000n + BigInt(n), uid: 0, gid: 0 })
    },
    done: async () => {
      await backend.close?.()
      await double.close()
      await engine.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function using(o: Parameters<typeof fixture>[0], fn: (f: Fixture) => Promise<void>): Promise<void> {
  const f = await fixture(o)
  try {
    await fn(f)
  } finally {
    await f.done()
  }
}

const names = async (b: ClusterBackend): Promise<string> => (await b.list('/')).map((e) => e.name).sort().join(' ')
const statuses = async (b: ClusterBackend, path: string): Promise<string[]> =>
  Object.values((JSON.parse((await b.getxattr?.(path, 'user.cluster.status'))?.toString() ?? '{}') as { peers: Record<string, { status: string }> }).peers).map((p) => p.status)

const extra = suite('cluster: pinset model, status, errors')

extra('status per peer: pin_queued, then pinning, then pinned on the allocated peer; the other is remote', () =>
  using({}, async ({ backend, put }) => {
    await put('/f', 'x')
    assert.equal(await statuses(backend, '/f'), ['pin_queued', 'remote'])
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(await statuses(backend, '/f'), ['pinning', 'remote'])
    await new Promise((r) => setTimeout(r, 40))
    assert.equal(await statuses(backend, '/f'), ['pinned', 'remote'])
    assert.equal((await backend.listxattr?.('/f'))?.sort(), ['user.cluster.status', 'user.ipfs.cid'])
  }),
)

extra('a pin in error shows in the xattr and makes health() fail with the pin, the peer and the cause', () =>
  using({}, async ({ backend, double, put }) => {
    await put('/ok', 'fine')
    await put('/bad', 'broken')
    await backend.health?.()
    double.fail('bad', 'ipfs: context deadline exceeded')
    assert.equal(await statuses(backend, '/bad'), ['pin_error', 'remote'])
    const err = await rejects(backend.health?.() ?? Promise.resolve(), 'EIO')
    assert.match(String((err.cause as Error).message), /1 pin\(s\) in error: bad: double-0 pin_error \(ipfs: context deadline exceeded\)/)
    double.clear()
    await backend.health?.()
  }),
)

extra('names: unnamed and unclean names list under their CID, the newest holds a duplicated name, a prefix scopes the view', async () => {
  await using({}, async ({ backend, double, put }) => {
    await put('/mine', 'm')
    const raw = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
    await fetch(`${double.url}/pins/${raw}`, { method: 'POST' })
    const weird = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    await fetch(`${double.url}/pins/${weird}?name=${encodeURIComponent('a/b')}`, { method: 'POST' })
    assert.is(await names(backend), [raw, weird, 'mine'].sort().join(' '))
    await fetch(`${double.url}/pins/bafkreiamxr7atjz46pomwkm4n7y62ulbow3nki4mmlraz7itiwlkfgcgye?name=mine`, { method: 'POST' })
    const listed = (await backend.getxattr?.('/mine', 'user.ipfs.cid'))?.toString()
    assert.is(listed, 'bafkreiamxr7atjz46pomwkm4n7y62ulbow3nki4mmlraz7itiwlkfgcgye', 'the newest pin holds the name')
    assert.is((await names(backend)).split(' ').length, 4, 'the older one lists under its CID')
    await rejects(backend.pin(CID.parse(raw), 'x/y'), 'EINVAL')
  })
  await using({ prefix: 'team/' }, async ({ backend, double, put }) => {
    await put('/a', 'A')
    assert.ok([...double.pins().values()].some((p) => p.name === 'team/a'), 'pinned with the prefix')
    await fetch(`${double.url}/pins/bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku?name=other`, { method: 'POST' })
    assert.is(await names(backend), 'a', 'other namespaces are not listed')
  })
})

extra('one name per CID: content already pinned under another name is EEXIST; rename re-pins the same CID', () =>
  using({}, async ({ backend, double, put }) => {
    await put('/a', 'same')
    const cid = CID.parse((await backend.getxattr?.('/a', 'user.ipfs.cid'))?.toString() as string)
    await rejects(backend.pin(cid, 'b'), 'EEXIST')
    await backend.rename?.('/a', '/c')
    assert.equal([...double.pins().values()].map((p) => `${p.name} ${p.cid}`), [`c ${cid}`], 'one pin, renamed, same CID')
    await put('/d', 'other')
    await backend.rename?.('/c', '/d')
    assert.equal([...double.pins().values()].map((p) => p.name), ['d'], 'the replaced pin was unpinned')
  }),
)

extra('errors: an unreachable cluster is EIO with the cause; refused basic auth is EACCES; right credentials work', async () => {
  const closed = await createClusterDouble()
  await closed.close()
  await using({ url: closed.url }, async ({ backend }) => {
    const err = await rejects(backend.list('/'), 'EIO', '/')
    assert.match(String((err.cause as Error).message), `IPFS Cluster unreachable at ${closed.url}`)
    assert.match(String((err.cause as Error).message), /ECONNREFUSED/)
  })
  await using({ doubleAuth: 'u:p', basic: 'u:wrong' }, async ({ backend }) => {
    await rejects(backend.list('/'), 'EACCES', '/')
  })
  await using({ doubleAuth: 'u:p', basic: 'u:p' }, async ({ backend, put }) => {
    await put('/f', 'x')
    assert.is(await names(backend), 'f')
  })
})

extra.run()
