/**
 * A file imported while it is written (leaf-stream.ts, the /ipfs backend's createUpload) gets the
 * CID that importing the finished file gives: Kubo's published CIDs without metadata, and
 * @helia/unixfs's own import of the same bytes and metadata with it, at every size around the
 * chunk boundaries and with layouts of several levels (small chunks and few links per node, so
 * that a deep tree stays small). Commits of a prefix while appends go on, and the read-back
 * that moves a file to local staging, give the bytes written.
 */
import { createCipheriv, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { sha256 } from 'multiformats/hashes/sha2'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createIpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { cachedBlocks, Lru } from '../../src/mounts/ipfs/cache.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { fileImportOptions, type ImportSettings, KUBO_UNIXFS_V1_2025, toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { LeafStream } from '../../src/mounts/ipfs/leaf-stream.ts'
import type { DagContext } from '../../src/mounts/ipfs/nodes.ts'
import { S_IFREG } from '../../src/vfs/backend.ts'

interface Ctx {
  dir: string
  engine: HeliaEngine
}

const test = suite<Ctx>('ipfs: import while written', {} as Ctx)

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-leaf-stream-'))
  ctx.engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
})

test.after.each(async (ctx) => {
  await ctx.engine.close()
  await rm(ctx.dir, { recursive: true, force: true })
})

/** Appends `bytes` in pieces of `piece` bytes (FUSE hands over 128 KiB at most, often less). */
async function appendAll(stream: { append(b: Uint8Array): Promise<void> }, bytes: Uint8Array, piece: number): Promise<void> {
  for (let at = 0; at < bytes.length; at += piece) await stream.append(bytes.subarray(at, at + piece))
}

async function keystream(size: number, seed: string): Promise<Buffer> {
  const key = Buffer.from((await sha256.digest(new TextEncoder().encode(seed))).digest)
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16))
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()])
}

test('through createUpload: the CIDs Kubo publishes for hello world, one chunk and one byte over', async (ctx) => {
  const b = await createIpfsBackend({ helia: ctx.engine.helia }, { preserveMtime: false })
  const data = await keystream(1_048_577, 'chunk-v1-seed')
  const cases: [string, Uint8Array, string][] = [
    ['/hello', Buffer.from('hello world'), 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'],
    ['/at-chunk', data.subarray(0, 1_048_576), 'bafkreiacndfy443ter6qr2tmbbdhadvxxheowwf75s6zehscklu6ezxmta'],
    ['/over-chunk', data, 'bafybeigmix7t42i6jacydtquhet7srwvgpizfg7gjbq7627d35mjomtu64'],
  ]
  try {
    for (const [path, bytes, kubo] of cases) {
      const upload = b.createUpload?.()
      assert.ok(upload, 'the Helia engine takes uploads')
      await appendAll(upload, bytes, 131_072)
      assert.is(upload.size, bytes.length)
      await upload.commit(path, { size: bytes.length, mode: 0o644, mtimeNs: 0n, uid: 0, gid: 0 })
      await upload.abort()
      assert.is((await b.getxattr?.(path, 'user.ipfs.cid'))?.toString(), kubo, path)
      assert.is((await b.stat(path)).size, bytes.length)
    }
  } finally {
    await b.close?.()
  }
})

/** Small chunks and four links per node: a layout of four levels within 20 KiB. */
const SMALL: ImportSettings = { ...KUBO_UNIXFS_V1_2025, chunkSize: 256, maxChildrenPerNode: 4 }

function dagContext(engine: HeliaEngine, settings: ImportSettings): DagContext {
  return { blockstore: cachedBlocks(engine.helia.blockstore, 1 << 20), settings, offline: true, nodes: new Lru(1 << 20, (n) => n.blockSize) }
}

test('every size around the chunk and node boundaries, with and without metadata: the CID of importing the finished bytes', async (ctx) => {
  const dag = dagContext(ctx.engine, SMALL)
  const fs = unixfs({ blockstore: dag.blockstore })
  const c = SMALL.chunkSize
  const sizes = [0, 1, c - 1, c, c + 1, 2 * c, 4 * c, 4 * c + 1, 16 * c, 16 * c + 7, 64 * c + 1, 80 * c - 3]
  const metas = [{ mode: 0o644, mtime: undefined }, { mode: 0o600, mtime: toMtime(1_700_000_000_123_456_789n) }, { mode: 0o755, mtime: toMtime(1_700_000_000_000_000_000n) }]
  for (const size of sizes) {
    const bytes = randomBytes(size)
    for (const meta of metas) {
      const expected = await fs.addByteStream([bytes], fileImportOptions(SMALL, meta))
      const stream = new LeafStream(dag, fs)
      await appendAll(stream, bytes, 100)
      const got = await stream.fileCid(size, meta)
      assert.is(got.cid.toString(), expected.toString(), `${size} bytes, mode ${meta.mode.toString(8)}, mtime ${meta.mtime === undefined ? 'none' : 'set'}`)
      assert.is(got.bytes, size)
      await stream.abort()
    }
  }
})

test('a commit of what was written so far while appends go on; the stream stays usable after it', async (ctx) => {
  const dag = dagContext(ctx.engine, SMALL)
  const fs = unixfs({ blockstore: dag.blockstore })
  const bytes = randomBytes(40 * SMALL.chunkSize + 17)
  const meta = { mode: 0o644, mtime: toMtime(1_700_000_000_000_000_001n) }
  const cidOf = async (b: Uint8Array): Promise<string> => (await fs.addByteStream([b], fileImportOptions(SMALL, meta))).toString()
  const stream = new LeafStream(dag, fs)
  await appendAll(stream, bytes.subarray(0, 10 * SMALL.chunkSize + 100), 1000)
  // The partial chunk of a prefix may already sit inside a stored leaf.
  for (const size of [10 * SMALL.chunkSize + 100, 9 * SMALL.chunkSize + 5, SMALL.chunkSize - 3]) {
    assert.is((await stream.fileCid(size, meta)).cid.toString(), await cidOf(bytes.subarray(0, size)), `prefix of ${size}`)
  }
  const committing = stream.fileCid(stream.size, meta)
  const before = stream.size
  await appendAll(stream, bytes.subarray(before), 333)
  assert.is((await committing).cid.toString(), await cidOf(bytes.subarray(0, before)), 'a commit taken before more appends')
  assert.is((await stream.fileCid(bytes.length, meta)).cid.toString(), await cidOf(bytes), 'all of it, after the earlier commits')
  try {
    await stream.fileCid(bytes.length + 1, meta)
    assert.unreachable('more than was appended')
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'EIO')
  }
  await stream.abort()
})

test('read back: any range of what was appended, from stored leaves and the chunk being filled', async (ctx) => {
  const dag = dagContext(ctx.engine, SMALL)
  const stream = new LeafStream(dag, unixfs({ blockstore: dag.blockstore }))
  const bytes = randomBytes(12 * SMALL.chunkSize + 99)
  await appendAll(stream, bytes, 77)
  for (const [at, len] of [[0, bytes.length], [0, 1], [255, 2], [SMALL.chunkSize * 3 + 10, 1000], [bytes.length - 50, 50], [bytes.length - 10, 100], [bytes.length, 10]] as const) {
    const buf = Buffer.alloc(len)
    const n = await stream.read(buf, at)
    const want = bytes.subarray(at, at + len)
    assert.is(n, want.length, `read ${len} at ${at}`)
    assert.ok(buf.subarray(0, n).equals(want), `bytes of ${len} at ${at}`)
  }
  await stream.abort()
  try {
    await stream.append(Uint8Array.of(1))
    assert.unreachable('append after abort')
  } catch (err) {
    assert.is((err as { code?: unknown }).code, 'EIO')
  }
})

test('an upload committed into a missing folder is ENOENT; over a directory EISDIR; nothing changes', async (ctx) => {
  const b = await createIpfsBackend({ helia: ctx.engine.helia })
  try {
    await b.mkdir('/d', 0o755)
    const root = b.rootCid().toString()
    const upload = b.createUpload?.()
    assert.ok(upload)
    await upload.append(Buffer.from('x'))
    const meta = { size: 1, mode: S_IFREG | 0o644, mtimeNs: 0n, uid: 0, gid: 0 }
    for (const [path, code] of [['/missing/f', 'ENOENT'], ['/d', 'EISDIR'], ['/.cid/f', 'EROFS']] as const) {
      try {
        await upload.commit(path, meta)
        assert.unreachable(path)
      } catch (err) {
        assert.is((err as { code?: unknown }).code, code, path)
      }
    }
    assert.is(b.rootCid().toString(), root)
    await upload.abort()
  } finally {
    await b.close?.()
  }
})

test.run()
