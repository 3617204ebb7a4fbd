/**
 * /ipfs CIDs against the ones Kubo publishes, not only our own output: the IPIP-499
 * `unixfs-v1-2025` vectors of kubo test/cli/cid_profiles_test.go (also in js-ipfs-unixfs's
 * ipip-499-profiles.spec.ts), with its deterministic inputs (chacha20 keystreams keyed by the
 * sha256 of a seed). Then the CID rule for metadata (import-settings.ts): an entry without
 * metadata has Kubo's CID, one with metadata has @helia/unixfs's CID for the same bytes and
 * metadata, and removing the metadata gives the metadata-free CID back.
 */
import { createCipheriv } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createIpfsBackend, type IpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { cachedBlocks, Lru } from '../../src/mounts/ipfs/cache.ts'
import { setEntry, type EditContext } from '../../src/mounts/ipfs/dir-edit.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { loadNode, type TreeNode } from '../../src/mounts/ipfs/nodes.ts'
import { S_IFREG } from '../../src/vfs/backend.ts'

/** kubo test/cli/cid_profiles_test.go, profile unixfs-v1-2025. */
const KUBO = {
  helloWorld: 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e',
  emptyDir: 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354',
  fileAtChunkSize: 'bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta', // 1048576 bytes, seed "chunk-v1-seed"
  fileOverChunkSize: 'bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64', // 1048577 bytes, same seed
  dirBasic: 'bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4', // 4766 names, block exactly 262144 bytes
  dirHamt: 'bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu', // 4766 names, one byte over
}

async function keystream(size: number, seed: string): Promise<Buffer> {
  const key = Buffer.from((await sha256.digest(new TextEncoder().encode(seed))).digest)
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16)) // counter 0, zero nonce
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()])
}

/** Kubo's createDirectoryForHAMTBlockEstimation names: 4765 of 11 characters and a last one. */
async function hamtNames(lastLen: number): Promise<string[]> {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz01234567890-_'
  const stream = await keystream(1_048_576, 'hamt-unixfs-v1-2025')
  const names: string[] = []
  for (let i = 0, at = 0; i < 4766; i++) {
    const len = i === 4765 ? lastLen : 11
    let name = ''
    for (let j = 0; j < len; j++) name += alphabet[(stream[at + j] as number) % alphabet.length]
    names.push(name)
    at += len
  }
  return names
}

interface Ctx {
  dir: string
  engine: HeliaEngine
  b: IpfsBackend
  seq: number
}

const test = suite<Ctx>('ipfs: CIDs', {} as Ctx)

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-cids-'))
  ctx.engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
  ctx.b = await createIpfsBackend({ helia: ctx.engine.helia }, { preserveMtime: false })
  ctx.seq = 0
})

test.after.each(async (ctx) => {
  await ctx.b.close?.()
  await ctx.engine.close()
  await rm(ctx.dir, { recursive: true, force: true })
})

async function put(ctx: Ctx, b: IpfsBackend, path: string, bytes: Uint8Array, mode = 0o644, mtimeNs = 0n): Promise<void> {
  const localPath = join(ctx.dir, `staged-${++ctx.seq}`)
  await writeFile(localPath, bytes)
  await b.put?.(path, { localPath, size: bytes.byteLength, mode: S_IFREG | mode, mtimeNs, uid: 0, gid: 0 })
}

const cidOf = async (b: IpfsBackend, path: string): Promise<string> => (await b.getxattr?.(path, 'user.ipfs.cid'))?.toString() ?? ''

test('files and directories without metadata have the CIDs Kubo publishes', async (ctx) => {
  const { b } = ctx
  assert.is(b.rootCid().toString(), KUBO.emptyDir, 'a new tree is the empty directory')
  await put(ctx, b, '/hello', Buffer.from('hello world'))
  assert.is(await cidOf(b, '/hello'), KUBO.helloWorld)
  await b.mkdir('/empty', 0o755)
  assert.is(await cidOf(b, '/empty'), KUBO.emptyDir)
  const data = await keystream(1_048_577, 'chunk-v1-seed')
  await put(ctx, b, '/at-chunk', data.subarray(0, 1_048_576))
  await put(ctx, b, '/over-chunk', data)
  assert.is(await cidOf(b, '/at-chunk'), KUBO.fileAtChunkSize, 'one 1 MiB chunk: a raw leaf')
  assert.is(await cidOf(b, '/over-chunk'), KUBO.fileOverChunkSize, 'two chunks, balanced root')
})

test('directories shard exactly where Kubo shards them, in a batch import and edit by edit', async (ctx) => {
  const helia = ctx.engine.helia
  const fs = unixfs({ blockstore: helia.blockstore })
  const x = await fs.addBytes(Uint8Array.of(120))
  const options = fileImportOptions(KUBO_UNIXFS_V1_2025, {})
  const importDir = async (names: string[]): Promise<string> => {
    let last = ''
    for await (const r of fs.addAll(names.map((n) => ({ path: `rootDir/${n}`, content: Uint8Array.of(120) })), options)) last = r.cid.toString()
    return last
  }
  const basic = await hamtNames(21)
  const over = await hamtNames(22)
  assert.is(await importDir(basic), KUBO.dirBasic, 'batch: at the threshold, a plain directory')
  assert.is(await importDir(over), KUBO.dirHamt, 'batch: one byte over, a HAMT shard')

  // Edit by edit, as the tree does: the 4765 common names, then the last one added.
  const ectx: EditContext = {
    blockstore: cachedBlocks(helia.blockstore, 16 << 20),
    fs: unixfs({ blockstore: helia.blockstore }),
    settings: { ...KUBO_UNIXFS_V1_2025, preserveMtime: false },
    offline: true,
    nodes: new Lru<TreeNode>(16 << 20, (n) => n.blockSize),
  }
  let prefix = ''
  for await (const r of fs.addAll(basic.slice(0, 4765).map((n) => ({ path: `rootDir/${n}`, content: Uint8Array.of(120) })), options)) prefix = r.cid.toString()
  const dir = await loadNode(ectx, CID.parse(prefix))
  const leaf = await loadNode(ectx, x, {}, { Hash: x, Tsize: 1 })
  const atThreshold = await setEntry(ectx, dir, basic[4765] as string, leaf, undefined)
  assert.is(atThreshold.cid.toString(), KUBO.dirBasic, 'edit: stays a plain directory at the threshold')
  assert.not.ok(atThreshold.hamt)
  const sharded = await setEntry(ectx, dir, over[4765] as string, leaf, undefined)
  assert.is(sharded.cid.toString(), KUBO.dirHamt, 'edit: becomes the same HAMT one byte over')
  assert.ok(sharded.hamt)
  const back = await setEntry(ectx, sharded, over[4765] as string, undefined, undefined)
  assert.is(back.cid.toString(), prefix, 'edit: removing it again gives the plain directory back')
})

test('metadata: @helia/unixfs CIDs for the same bytes and metadata; removed, the bare CID again', async (ctx) => {
  const fs = unixfs({ blockstore: ctx.engine.helia.blockstore })
  const bytes = Buffer.from('hello world')
  await put(ctx, ctx.b, '/private', bytes, 0o600)
  assert.is(await cidOf(ctx.b, '/private'), (await fs.addBytes(bytes, { mode: 0o600 })).toString())
  await ctx.b.chmod?.('/private', 0o644)
  assert.is(await cidOf(ctx.b, '/private'), KUBO.helloWorld, 'back to the raw leaf')

  const withMtime = await createIpfsBackend({ helia: ctx.engine.helia }, { rootKey: '/test/with-mtime' })
  const mtimeNs = 1_700_000_000_123_456_789n
  await put(ctx, withMtime, '/f', bytes, 0o644, mtimeNs)
  assert.is(await cidOf(withMtime, '/f'), (await fs.addBytes(bytes, { mtime: toMtime(mtimeNs) })).toString())
  await withMtime.utimens?.('/f', { mtimeNs: 5_000_000_000n })
  assert.is(await cidOf(withMtime, '/f'), (await fs.addBytes(bytes, { mtime: { secs: 5n } })).toString(), 'whole seconds: no nanoseconds field')
  const big = await keystream(1_048_577, 'chunk-v1-seed')
  await put(ctx, withMtime, '/big', big, 0o755, mtimeNs)
  assert.is(await cidOf(withMtime, '/big'), (await fs.addBytes(big, { mode: 0o755, mtime: toMtime(mtimeNs) })).toString())
  await withMtime.close?.()
})

test.run()
