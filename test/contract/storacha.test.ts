/**
 * The contract suite against /storacha: the real @storacha/client over HTTP to the real
 * @storacha/upload-api handlers on loopback (test/support/storacha-standin.ts, one per file), a
 * fresh space per case, a real Helia repository as the local blockstore, the name map in a real
 * LevelDB, reads falling back to the stand-in's trustless gateway.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Level } from 'level'
import { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { BlockStore } from '../../src/mounts/ipfs/cache.ts'
import { gatewayBlocks } from '../../src/mounts/storacha/blocks.ts'
import type { Backend, PutSource } from '../../src/vfs/backend.ts'
import { toVfsError } from '../../src/vfs/errors.ts'
import { EngineRegistry } from '../../src/cli/mount-types/engines.ts'
import { createMountBackend, mountSpecSchema } from '../../src/cli/mount-types/index.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { createStorachaBackend } from '../../src/mounts/storacha/backend.ts'
import { openStorachaClient, type StorachaClient } from '../../src/mounts/storacha/client.ts'
import type { NameMap } from '../../src/mounts/storacha/store.ts'
import { type StorachaStandin, startStorachaStandin } from '../support/storacha-standin.ts'
import { createTestSpace } from '../support/storacha-space.ts'
import { rejects } from './helpers.ts'
import { contractSuite } from './suite.ts'

let standin: Promise<StorachaStandin> | undefined

const test = contractSuite('storacha (upload-api stand-in + helia)', async () => {
  const s = await (standin ??= startStorachaStandin())
  const dir = await mkdtemp(join(tmpdir(), 'contract-storacha-'))
  const engine = await openHeliaEngine({ dir: join(dir, 'helia') })
  const db = new Level<string, unknown>(join(dir, 'state'), { valueEncoding: 'json' })
  await db.open()
  const sp = await createTestSpace(s.url)
  const client = await openStorachaClient({ ...sp, serviceUrl: s.url, serviceDid: s.did })
  const names = db.sublevel<string, { root: string }>('storacha-names', { valueEncoding: 'json' }).sublevel<string, { root: string }>(sp.space, { valueEncoding: 'json' })
  const backend = createStorachaBackend(
    { blockstore: engine.helia.blockstore, client, names: names as unknown as NameMap },
    { gateway: s.url, listTtlMs: 1000 },
  )
  return {
    backend,
    cleanup: async () => {
      await db.close()
      await engine.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})
test.run()

// What /storacha adds to the contract: names, shared roots, refusals, gateway verification.
interface Fixture {
  backend: Backend
  client: StorachaClient
  put(path: string, text: string, mtimeNs?: bigint): Promise<void>
  done(): Promise<void>
}

async function fixture(o: { provision?: boolean; gateway?: string } = {}): Promise<Fixture> {
  const s = await (standin ??= startStorachaStandin())
  const dir = await mkdtemp(join(tmpdir(), 'storacha-extra-'))
  const engine = await openHeliaEngine({ dir: join(dir, 'helia') })
  const db = new Level<string, unknown>(join(dir, 'state'), { valueEncoding: 'json' })
  await db.open()
  const sp = await createTestSpace(s.url, o.provision ?? true)
  const client = await openStorachaClient({ ...sp, serviceUrl: s.url, serviceDid: s.did })
  const names = db.sublevel<string, { root: string }>('storacha-names', { valueEncoding: 'json' })
  const backend = createStorachaBackend({ blockstore: engine.helia.blockstore, client, names: names as unknown as NameMap }, { gateway: o.gateway ?? s.url, listTtlMs: 0, retries: 0 })
  let n = 0
  return {
    backend,
    client,
    put: async (path, text, mtimeNs) => {
      const localPath = join(dir, `staged-${++n}`)
      await writeFile(localPath, text)
      await backend.put?.(path, { localPath, size: Buffer.byteLength(text), mode: 0o100644, mtimeNs: mtimeNs ?? BigInt(Date.now()) * 1_000_000n, uid: 0, gid: 0 })
    },
    done: async () => {
      await backend.close?.()
      await db.close()
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

const roots = async (c: StorachaClient): Promise<string> =>
  (await c.capability.upload.list({ size: 100, nonce: `${Math.random()}` })).results.map((r) => r.root.toString()).sort().join(' ')

const extra = suite('storacha: uploads, names, refusals, gateway')

extra('two names, one root: one upload, removed with the last name; a folder is one upload of one UnixFS directory', () =>
  using({}, async ({ backend, client, put }) => {
    assert.type(backend.health, 'function', 'a status probe')
    await backend.health?.()
    await put('/a', 'same', 1_000_000_000n)
    await put('/b', 'same', 1_000_000_000n)
    const cid = (await backend.getxattr?.('/a', 'user.ipfs.cid'))?.toString() as string
    assert.is((await backend.getxattr?.('/b', 'user.ipfs.cid'))?.toString(), cid)
    assert.is(await roots(client), cid, 'one upload for both names')
    await backend.unlink('/a')
    assert.is(await roots(client), cid, 'still held by b')
    await backend.unlink('/b')
    assert.is(await roots(client), '', 'removed with the last name')
    await backend.mkdir('/d', 0o755)
    await put('/d/x', 'in a folder')
    const dir = (await backend.getxattr?.('/d', 'user.ipfs.cid'))?.toString() as string
    assert.is(await roots(client), dir, 'the folder is one upload, its previous root removed')
  }),
)

extra('refusals: an unprovisioned space is EACCES; a refused upload is EIO; nothing is recorded', async () => {
  await using({ provision: false }, async ({ backend }) => {
    const err = await rejects((async () => {
      const f = await fixtureFile()
      await backend.put?.('/f', f)
    })(), 'EACCES', '/f')
    assert.match(String((err.cause as Error).message), /refused by the Storacha service/)
  })
  await using({}, async ({ backend, put }) => {
    const s = await (standin as Promise<StorachaStandin>)
    await fetch(new URL('/_test/refuse', s.url), { method: 'POST', body: JSON.stringify({ error: 'InsufficientStorage' }) })
    try {
      const err = await rejects(put('/f', 'no room'), 'EIO', '/f')
      assert.match(String((err.cause as Error).message), /uploading f/)
    } finally {
      await fetch(new URL('/_test/refuse', s.url), { method: 'POST', body: JSON.stringify({ error: null }) })
    }
    await rejects(backend.stat('/f'), 'ENOENT')
  })
})

extra('reads from a fresh repository come from the gateway, verified: a gateway answering wrong bytes is EIO', async () => {
  const s = await (standin as Promise<StorachaStandin>)
  let cid = ''
  await using({}, async ({ backend, put }) => {
    await put('/f', 'verified bytes')
    cid = (await backend.getxattr?.('/f', 'user.ipfs.cid'))?.toString() as string
  })
  const liar = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' })
    res.end('not the block you asked for')
  })
  await new Promise<void>((ok) => liar.listen(0, '127.0.0.1', ok))
  try {
    const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`
    const blocks = gatewayBlocks(await emptyBlockstore(), url)
    await rejects(readBlockFrom(blocks, cid), 'EIO')
    const good = gatewayBlocks(await emptyBlockstore(), s.url)
    assert.ok(Buffer.from(await readBlockFrom(good, cid)).includes('verified bytes'), 'the file node, its data inline')
  } finally {
    liar.close()
  }
})

extra.run()

async function fixtureFile(): Promise<PutSource> {
  const dir = await mkdtemp(join(tmpdir(), 'storacha-file-'))
  const localPath = join(dir, 'f')
  await writeFile(localPath, 'x')
  return { localPath, size: 1, mode: 0o100644, mtimeNs: 1n, uid: 0, gid: 0 }
}

/** A blockstore with nothing in it (an in-memory Map): every read goes to the gateway. */
async function emptyBlockstore(): Promise<BlockStore> {
  const m = new Map<string, Uint8Array>()
  return {
    get: (c) => (async function* () {
      const b = m.get(c.toString())
      if (b === undefined) throw Object.assign(new Error('not here'), { name: 'NotFoundError' })
      yield b
    })(),
    put: async (c, b) => {
      m.set(c.toString(), b as Uint8Array)
      return c
    },
    has: async (c) => m.has(c.toString()),
  } as BlockStore
}

async function readBlockFrom(b: BlockStore, cid: string): Promise<Uint8Array> {
  try {
    const chunks: Uint8Array[] = []
    for await (const c of b.get(CID.parse(cid))) chunks.push(c)
    return Buffer.concat(chunks)
  } catch (err) {
    throw toVfsError(err, 'read', cid)
  }
}

const config = suite('storacha: configuration (the mount type)')

config('no key is EACCES naming STORACHA_KEY; a proof for another space is EACCES; a good one mounts', async () => {
  const s = await (standin ??= startStorachaStandin())
  const dir = await mkdtemp(join(tmpdir(), 'storacha-config-'))
  const db = new Level<string, unknown>(join(dir, 'state'), { valueEncoding: 'json' })
  await db.open()
  const engines = new EngineRegistry()
  const ctx = { stateDir: dir, engines, db }
  const saved = { key: process.env.STORACHA_KEY, proof: process.env.STORACHA_PROOF }
  try {
    const a = await createTestSpace(s.url)
    const b = await createTestSpace(s.url)
    const spec = (space: string) => mountSpecSchema.parse({ type: 'storacha', space, service: s.url, serviceDid: s.did, gateway: s.url })
    delete process.env.STORACHA_KEY
    delete process.env.STORACHA_PROOF
    const noKey = await rejects(createMountBackend('/storacha', spec(a.space), ctx), 'EACCES')
    assert.match(noKey.message, /STORACHA_KEY/)
    process.env.STORACHA_KEY = a.key
    process.env.STORACHA_PROOF = a.proof
    const other = await rejects(createMountBackend('/storacha', spec(b.space), ctx), 'EACCES')
    assert.match(other.message, /the proof is for space/)
    const backend = await createMountBackend('/storacha', spec(a.space), ctx)
    try {
      assert.equal(await backend.list('/'), [])
    } finally {
      await backend.close?.()
    }
  } finally {
    if (saved.key === undefined) delete process.env.STORACHA_KEY
    else process.env.STORACHA_KEY = saved.key
    if (saved.proof === undefined) delete process.env.STORACHA_PROOF
    else process.env.STORACHA_PROOF = saved.proof
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
})

config.after(async () => {
  if (standin !== undefined) await (await standin).stop()
})
config.run()
