/**
 * What /ipfs on embedded Helia promises beyond the contract (src/mounts/ipfs/backend.ts): the
 * root CID survives a reopen, concurrent writers all land, /.cid/<cid> is read-only, the
 * `user.ipfs.cid` attribute, ranged reads that fetch only their blocks, HAMT sharding of large
 * directories, mtime semantics, and failing fast offline.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import type { Helia } from 'helia'
import * as dagPB from '@ipld/dag-pb'
import type { PBLink } from '@ipld/dag-pb'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createIpfsBackend, type IpfsBackend, type IpfsBackendInit } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { isDir, isSymlink, type Reader, S_IFREG } from '../../src/vfs/backend.ts'
import type { ErrorCode } from '../../src/vfs/errors.ts'
import { rejects } from '../contract/helpers.ts'

interface Ctx {
  dir: string
  engine: HeliaEngine
  b: IpfsBackend
  seq: number
}

const test = suite<Ctx>('ipfs: helia backend', {} as Ctx)

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-backend-'))
  ctx.engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
  ctx.b = await createIpfsBackend({ helia: ctx.engine.helia })
  ctx.seq = 0
})

test.after.each(async (ctx) => {
  await ctx.b.close?.()
  await ctx.engine.close()
  await rm(ctx.dir, { recursive: true, force: true })
})

async function stage(ctx: Ctx, bytes: Uint8Array): Promise<string> {
  const localPath = join(ctx.dir, `staged-${++ctx.seq}`)
  await writeFile(localPath, bytes)
  return localPath
}

async function put(ctx: Ctx, path: string, data: string | Uint8Array, meta: { mode?: number; mtimeNs?: bigint; b?: IpfsBackend } = {}): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  const source = { localPath: await stage(ctx, bytes), size: bytes.byteLength, mode: S_IFREG | (meta.mode ?? 0o644), mtimeNs: meta.mtimeNs ?? 1_000_000_000n, uid: 0, gid: 0 }
  await (meta.b ?? ctx.b).put?.(path, source)
}

async function read(b: IpfsBackend, path: string, position = 0, length = 1 << 20): Promise<string> {
  const r = (await b.openReader?.(path)) as Reader
  try {
    const buf = Buffer.alloc(length)
    return buf.subarray(0, await r.read(buf, position)).toString('latin1')
  } finally {
    await r.close()
  }
}

/** The call fails with `want` as a VfsError (the contract suite's check). */
async function code(p: Promise<unknown>, want: ErrorCode): Promise<void> {
  await rejects(p, want)
}

const cidOf = async (b: IpfsBackend, path: string): Promise<string> => (await b.getxattr?.(path, 'user.ipfs.cid'))?.toString() ?? ''
const names = async (b: IpfsBackend, path: string): Promise<string> => (await b.list(path)).map((e) => `${e.name}:${e.type}`).sort().join(' ')

test('the root CID and the tree survive close and reopen', async (ctx) => {
  await ctx.b.mkdir('/docs', 0o750)
  await put(ctx, '/docs/a.txt', 'alpha', { mtimeNs: 1_600_000_000_000_000_001n })
  await ctx.b.symlink?.('docs/a.txt', '/link')
  const root = ctx.b.rootCid().toString()
  assert.is(await cidOf(ctx.b, '/'), root, "the root's attribute is the root CID")
  await ctx.b.close?.()
  await ctx.engine.close()

  ctx.engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
  ctx.b = await createIpfsBackend({ helia: ctx.engine.helia })
  assert.is(ctx.b.rootCid().toString(), root, 'same root CID')
  assert.is(await names(ctx.b, '/'), 'docs:dir link:symlink')
  assert.is(await read(ctx.b, '/docs/a.txt'), 'alpha')
  assert.is((await ctx.b.stat('/docs')).mode & 0o7777, 0o750)
  assert.is((await ctx.b.stat('/docs/a.txt')).mtimeNs, 1_600_000_000_000_000_001n)
  assert.is(await ctx.b.readlink?.('/link'), 'docs/a.txt')
})

test('50 concurrent puts into one directory all land (one queue for the root)', async (ctx) => {
  await ctx.b.mkdir('/d', 0o755)
  const files = Array.from({ length: 50 }, (_, i) => `f${String(i).padStart(2, '0')}`)
  await Promise.all([...files.map((f) => put(ctx, `/d/${f}`, `content of ${f}`)), ctx.b.mkdir('/other', 0o755), put(ctx, '/top', 'top')])
  assert.is(await names(ctx.b, '/d'), files.map((f) => `${f}:file`).join(' '))
  assert.is(await names(ctx.b, '/'), 'd:dir other:dir top:file')
  for (const f of ['f00', 'f25', 'f49']) assert.is(await read(ctx.b, `/d/${f}`), `content of ${f}`)
})

test('/.cid/<cid>[/path] reads any CID; every change there is EROFS; .cid is hidden but stat-able', async (ctx) => {
  const b = ctx.b
  await b.mkdir('/d', 0o755)
  await b.mkdir('/d/sub', 0o755)
  await put(ctx, '/d/sub/f', 'deep file')
  const dcid = await cidOf(b, '/d')
  const snapshot = b.rootCid().toString()
  await b.unlink('/d/sub/f') // the tree moves on; the CID still reads
  assert.is(await names(b, `/.cid/${dcid}`), 'sub:dir')
  assert.is(await read(b, `/.cid/${dcid}/sub/f`), 'deep file')
  assert.is(await read(b, `/.cid/${snapshot}/d/sub/f`, 5, 4), 'file')
  const st = await b.stat(`/.cid/${dcid}/sub/f`)
  assert.is(st.size, 9)
  assert.is(st.mode & 0o222, 0, 'no write bits under /.cid')
  assert.is(await cidOf(b, `/.cid/${dcid}/sub`), (await b.getxattr?.(`/.cid/${snapshot}/d/sub`, 'user.ipfs.cid'))?.toString())
  const fcid = (await b.getxattr?.(`/.cid/${dcid}/sub/f`, 'user.ipfs.cid'))?.toString()
  assert.is(await read(b, `/.cid/${fcid}`), 'deep file', 'a file CID is a file')

  assert.ok(isDir((await b.stat('/.cid')).mode))
  assert.is(await names(b, '/.cid'), '')
  assert.not.ok((await names(b, '/')).includes('.cid'), 'hidden from the root listing')
  const inside = `/.cid/${dcid}/sub`
  await code(b.mkdir('/.cid', 0o755), 'EROFS')
  await code(b.mkdir(`${inside}/x`, 0o755), 'EROFS')
  await code(put(ctx, `${inside}/g`, 'x'), 'EROFS')
  await code(b.unlink(`${inside}/f`), 'EROFS')
  await code(b.rmdir(inside), 'EROFS')
  await code(b.rename?.(`${inside}/f`, '/stolen') as Promise<void>, 'EROFS')
  await code(b.rename?.('/d', `${inside}/d`) as Promise<void>, 'EROFS')
  await code(b.chmod?.(`${inside}/f`, 0o600) as Promise<void>, 'EROFS')
  await code(b.utimens?.(`${inside}/f`, { mtimeNs: 1n }) as Promise<void>, 'EROFS')
  await code(b.symlink?.('x', `${inside}/l`) as Promise<void>, 'EROFS')
  await code(b.setxattr?.(`${inside}/f`, 'user.x', Buffer.from('1'), undefined) as Promise<void>, 'EROFS')
  await code(b.stat('/.cid/not-a-cid'), 'ENOENT')
  await code(b.stat(`/.cid/${dcid}/nope`), 'ENOENT')
})

test('user.ipfs.cid is the CID @helia/unixfs gives the same bytes; the only attribute, read-only', async (ctx) => {
  const b = ctx.b
  const fs = unixfs({ blockstore: ctx.engine.helia.blockstore })
  const bytes = randomBytes(3 * 1024 * 1024 + 17)
  const mtimeNs = 1_650_000_000_250_000_000n
  await put(ctx, '/f', bytes, { mode: 0o640, mtimeNs })
  const direct = await fs.addByteStream([bytes], fileImportOptions(KUBO_UNIXFS_V1_2025, { mode: 0o640, mtime: toMtime(mtimeNs) }))
  assert.is(await cidOf(b, '/f'), direct.toString())
  const bare = await createIpfsBackend({ helia: ctx.engine.helia }, { rootKey: '/test/bare', preserveMtime: false })
  await put(ctx, '/f', bytes, { b: bare })
  assert.is(await cidOf(bare, '/f'), (await fs.addBytes(bytes)).toString(), 'no metadata: addBytes with no options')
  await bare.close?.()

  assert.equal(await b.listxattr?.('/f'), ['user.ipfs.cid'])
  assert.equal(await b.listxattr?.('/'), ['user.ipfs.cid'])
  await code(b.getxattr?.('/f', 'user.other') as Promise<Buffer>, 'ENODATA')
  await code(b.setxattr?.('/f', 'user.other', Buffer.from('1'), undefined) as Promise<void>, 'ENOTSUP')
  await code(b.setxattr?.('/f', 'user.ipfs.cid', Buffer.from('bafy'), undefined) as Promise<void>, 'ENOTSUP')
  await code(b.removexattr?.('/f', 'user.ipfs.cid') as Promise<void>, 'ENOTSUP')
  await code(b.getxattr?.('/missing', 'user.ipfs.cid') as Promise<Buffer>, 'ENOENT')
  await code(b.setxattr?.('/missing', 'user.x', Buffer.from('1'), undefined) as Promise<void>, 'ENOENT')
})

/** The engine's Helia with every blockstore.get recorded. */
function counting(helia: Helia): { helia: Pick<Helia, 'blockstore' | 'datastore' | 'pins'>; gets: CID[] } {
  const gets: CID[] = []
  const blockstore = new Proxy(helia.blockstore, {
    get(target, key) {
      if (key === 'get') return (cid: CID, options?: object) => (gets.push(cid), target.get(cid, options))
      const value = Reflect.get(target, key, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { helia: { blockstore, datastore: helia.datastore, pins: helia.pins }, gets }
}

test('a 4 KiB read near the end of a 64 MiB file reads only the leaf that holds it', async (ctx) => {
  const { helia, gets } = counting(ctx.engine.helia)
  const b = await createIpfsBackend({ helia }, { rootKey: '/test/counting' })
  const size = 64 * 1024 * 1024
  const bytes = randomBytes(size)
  await put(ctx, '/big', bytes, { b })
  const r = (await b.openReader?.('/big')) as Reader
  try {
    gets.length = 0
    const buf = Buffer.alloc(4096)
    const at = size - 10_000
    assert.is(await r.read(buf, at), 4096)
    assert.ok(buf.equals(bytes.subarray(at, at + 4096)), 'the right bytes')
    assert.is(gets.length, 1, `one block read: ${gets.map(String).join(' ')}`)
    assert.is(gets[0]?.code, 0x55, 'a raw leaf, not the file')
    assert.is(await r.read(buf, 1_048_576 - 100), 4096, 'a read across two leaves')
    assert.ok(buf.equals(bytes.subarray(1_048_576 - 100, 1_048_576 + 3996)))
    assert.is(gets.length, 3, 'two more leaves')
    assert.is(await r.read(buf, size - 10), 10, 'short at the end')
    assert.is(await r.read(buf, size), 0, '0 at the end')
  } finally {
    await r.close()
    await b.close?.()
  }
})
test('a sequential reader gets the next leaf read ahead; the bytes stay right', async (ctx) => {
  const { helia, gets } = counting(ctx.engine.helia)
  const b = await createIpfsBackend({ helia }, { rootKey: '/test/ahead' })
  const leaf = 1_048_576
  const bytes = randomBytes(3 * leaf + 5)
  await put(ctx, '/seq', bytes, { b })
  const r = (await b.openReader?.('/seq')) as Reader
  try {
    gets.length = 0
    const buf = Buffer.alloc(131_072)
    assert.is(await r.read(buf, 0), buf.byteLength)
    assert.is(gets.length, 1, 'a first read fetches its own leaf only')
    assert.is(await r.read(buf, buf.byteLength), buf.byteLength)
    for (let i = 0; i < 50 && gets.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    assert.is(gets.length, 2, 'the second sequential read starts the next leaf')
    const all = Buffer.alloc(bytes.byteLength)
    for (let at = 0; at < all.byteLength; at += buf.byteLength) {
      const n = await r.read(buf, at)
      buf.copy(all, at, 0, n)
    }
    assert.ok(all.equals(bytes), 'every byte as written')
    assert.is(gets.length, 4, 'each leaf read once')
  } finally {
    await r.close()
    await b.close?.()
  }
})


test('reads of a file of any layout under /.cid: small dag-pb leaves, several levels, data in the root', async (ctx) => {
  const fs = unixfs({ blockstore: ctx.engine.helia.blockstore })
  const bytes = randomBytes(100_000)
  // CIDv0-style: dag-pb leaves of 1,000 bytes, at most 3 links per node (five levels), and a
  // one-chunk file carrying metadata (its data inline in the root).
  const deep = await fs.addBytes(bytes, { cidVersion: 0, rawLeaves: false, reduceSingleLeafToSelf: false, chunker: fixedSize({ chunkSize: 1000 }), layout: balanced({ maxChildrenPerNode: 3 }) })
  const inline = await fs.addBytes(bytes.subarray(0, 5000), { ...fileImportOptions(KUBO_UNIXFS_V1_2025, { mode: 0o600, mtime: toMtime(5n) }) })
  const r = (await ctx.b.openReader?.(`/.cid/${deep}`)) as Reader
  try {
    for (const [at, length] of [[0, 100_000], [999, 2], [1000, 1000], [54_321, 33_333], [99_990, 100], [100_000, 10]] as const) {
      const buf = Buffer.alloc(length)
      const n = await r.read(buf, at)
      assert.is(n, Math.max(0, Math.min(length, 100_000 - at)), `read ${length} at ${at}`)
      assert.ok(buf.subarray(0, n).equals(bytes.subarray(at, at + n)), `the bytes at ${at}`)
    }
  } finally {
    await r.close()
  }
  assert.is(await read(ctx.b, `/.cid/${inline}`, 4000, 2000), bytes.subarray(4000, 5000).toString('latin1'))
})

test('a large directory becomes a HAMT shard (256 KiB, as Kubo); listing, lookup and removal work', async (ctx) => {
  const b = await createIpfsBackend({ helia: ctx.engine.helia }, { rootKey: '/test/hamt', preserveMtime: false })
  await b.mkdir('/big', 0o755)
  const name = (i: number): string => `${'entry-with-a-long-name-'.repeat(5)}${String(i).padStart(4, '0')}`
  const count = 2000
  const localPath = await stage(ctx, Buffer.from('x'))
  const source = { localPath, size: 1, mode: S_IFREG | 0o644, mtimeNs: 0n, uid: 0, gid: 0 }
  await Promise.all(Array.from({ length: count }, (_, i) => b.put?.(`/big/${name(i)}`, source)))
  const cid = await cidOf(b, '/big')
  const blocks = ctx.engine.helia.blockstore
  const fs = unixfs({ blockstore: blocks })
  const st = await fs.stat(CID.parse(cid), { offline: true })
  assert.is(st.unixfs?.type, 'hamt-sharded-directory')
  const entries = await b.list('/big')
  assert.is(entries.length, count)
  assert.equal(entries.map((e) => e.name).sort(), Array.from({ length: count }, (_, i) => name(i)).sort())
  assert.is((await b.stat(`/big/${name(1234)}`)).size, 1, 'lookup through the shard')
  assert.is(await read(b, `/big/${name(7)}`), 'x')

  let batch = ''
  const entriesIn = Array.from({ length: count }, (_, i) => ({ path: `big/${name(i)}`, content: Uint8Array.of(120) }))
  for await (const r of fs.addAll(entriesIn, fileImportOptions(KUBO_UNIXFS_V1_2025, {}))) batch = r.cid.toString()
  assert.is(cid, batch, 'edit by edit, the same shard as a batch import of the same entries')

  for (let i = 0; i < 100; i++) await b.unlink(`/big/${name(i)}`)
  await code(b.stat(`/big/${name(5)}`), 'ENOENT')
  assert.is((await b.list('/big')).length, count - 100)
  await b.close?.()
})

test('utimens: the mtime to the nanosecond; no atime is stored (atime reads as the mtime)', async (ctx) => {
  const b = ctx.b
  await put(ctx, '/f', 'x')
  await b.utimens?.('/f', { atimeNs: 1_700_000_000_000_000_003n, mtimeNs: 1_500_000_000_987_654_321n })
  let st = await b.stat('/f')
  assert.is(st.mtimeNs, 1_500_000_000_987_654_321n)
  assert.equal([st.atimeNs, st.ctimeNs], [st.mtimeNs, st.mtimeNs])
  const before = await cidOf(b, '/f')
  await b.utimens?.('/f', { atimeNs: 5n })
  assert.is(await cidOf(b, '/f'), before, 'an atime alone changes nothing')
  await code(b.utimens?.('/missing', { atimeNs: 5n }) as Promise<void>, 'ENOENT')
  await b.symlink?.('f', '/l')
  await b.utimens?.('/l', { mtimeNs: 1_300_000_000_000_000_001n })
  st = await b.stat('/l')
  assert.ok(isSymlink(st.mode))
  assert.is(st.mtimeNs, 1_300_000_000_000_000_001n, 'on the link itself')
  assert.is((await b.stat('/f')).mtimeNs, 1_500_000_000_987_654_321n, 'not on its target')
  await code(b.chmod?.('/l', 0o600) as Promise<void>, 'ENOTSUP')
})

test('directory mtimes: a change of entries stamps the directory, not the ones above it', async (ctx) => {
  const b = ctx.b
  await b.mkdir('/a', 0o755)
  await b.mkdir('/a/b', 0o755)
  const old = 1_000_000_000_000_000_000n
  await b.utimens?.('/a', { mtimeNs: old })
  await b.utimens?.('/a/b', { mtimeNs: old })
  await put(ctx, '/a/b/f', 'x')
  assert.is((await b.stat('/a')).mtimeNs, old, 'the grandparent keeps its mtime')
  assert.ok((await b.stat('/a/b')).mtimeNs > old, 'the parent is stamped')
  await b.utimens?.('/a/b', { mtimeNs: old })
  await put(ctx, '/a/b/f', 'new content')
  assert.is((await b.stat('/a/b')).mtimeNs, old, 'new content under the same name is not a change of entries')
  await b.rename?.('/a/b/f', '/a/b/g')
  assert.ok((await b.stat('/a/b')).mtimeNs > old, 'rename stamps the directory')
  await b.utimens?.('/a/b', { mtimeNs: old })
  await b.chmod?.('/a/b/g', 0o600)
  assert.is((await b.stat('/a/b')).mtimeNs, old, 'chmod of an entry is not a change of entries')
})

test('offline: a CID not in the repository is ENOENT at once, a missing leaf is EIO', async (ctx) => {
  const b = ctx.b
  const started = Date.now()
  await code(b.stat('/.cid/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5a'), 'ENOENT')
  const bytes = randomBytes(2 * 1024 * 1024 + 1)
  await put(ctx, '/f', bytes)
  const blocks = ctx.engine.helia.blockstore
  const root = CID.parse(await cidOf(b, '/f'))
  const chunks: Uint8Array[] = []
  for await (const chunk of blocks.get(root)) chunks.push(chunk)
  const { Links } = dagPB.decode(Buffer.concat(chunks))
  // The second of three leaves, past the pin that keeps it (Helia's delete refuses pinned blocks).
  await (blocks as unknown as { unwrap(): { delete(cid: CID): Promise<void> } }).unwrap().delete((Links[1] as PBLink).Hash)
  assert.is(await read(b, '/f', 0, 100), bytes.subarray(0, 100).toString('latin1'), 'what is there still reads')
  await code(read(b, '/f', 1_048_576 + 5, 100), 'EIO')
  assert.ok(Date.now() - started < 5_000, 'no waiting for a network')
})

test('the root is pinned once changes are idle: helia.gc() keeps the whole tree and takes what changes replaced', async (ctx) => {
  const helia = ctx.engine.helia
  await ctx.b.mkdir('/d', 0o755)
  const big = randomBytes(3 * 1024 * 1024 + 7)
  await put(ctx, '/d/big', big)
  await put(ctx, '/d/small', 'first')
  await put(ctx, '/d/small', 'second') // replaces: 'first' and the folders holding it become garbage
  await ctx.b.symlink?.('big', '/d/link')
  const count = async (): Promise<number> => {
    let n = 0
    for await (const _ of helia.blockstore.getAll()) n++
    return n
  }
  await ctx.b.close?.() // waits for the pin of the final root
  const pins = []
  for await (const pin of helia.pins.ls()) pins.push(pin)
  assert.equal(pins.map((p) => [p.cid.toString(), p.metadata.ipfsVfsRoot]), [[ctx.b.rootCid().toString(), '/ipfs-vfs/root']], 'one pin: the current root, tagged')
  const before = await count()
  await helia.gc()
  const after = await count()
  assert.ok(after < before, `garbage collected (${before} -> ${after} blocks)`)
  ctx.b = await createIpfsBackend({ helia })
  assert.is(await read(ctx.b, '/d/big', 0, big.length), big.toString('latin1'), 'every leaf of the big file is still there')
  assert.is(await read(ctx.b, '/d/small'), 'second')
  assert.is(await ctx.b.readlink?.('/d/link'), 'big')
  await put(ctx, '/d/small', 'third')
  await ctx.b.unlink('/d/big')
  await ctx.b.close?.()
  const repinned = []
  for await (const pin of helia.pins.ls()) repinned.push(pin.cid.toString())
  assert.equal(repinned, [ctx.b.rootCid().toString()], 'the new root pinned, the old one unpinned')
  await helia.gc()
  assert.ok((await count()) < after, 'the unlinked file collected')
  ctx.b = await createIpfsBackend({ helia })
  assert.is(await read(ctx.b, '/d/small'), 'third')
  assert.is(await names(ctx.b, '/d'), 'link:symlink small:file')
})

test('the engine offline has no network stack; options are validated', async (ctx) => {
  assert.is(ctx.engine.networking, false)
  assert.not.ok('libp2p' in ctx.engine.helia, 'libp2p never created')
  const bad = { rootKey: 'no-slash' } as IpfsBackendInit
  let failed = false
  await createIpfsBackend({ helia: ctx.engine.helia }, bad).catch(() => (failed = true))
  assert.ok(failed, 'a rootKey must be a datastore key')
  await createIpfsBackend({ helia: ctx.engine.helia }, { unknown: 1 } as IpfsBackendInit).then(
    () => assert.unreachable('unknown keys are rejected'),
    () => undefined,
  )
})

test.run()
