/**
 * What the Kubo engine promises beyond the contract (src/mounts/ipfs/kubo/backend.ts), against a
 * real Kubo RPC server (js-ipfs): the CIDs the Helia engine gives the same entries, ranged reads,
 * HAMT-sharded folders (read and edited with the shared code),
 * a tree that survives the daemon's garbage collection (MFS is a GC root: no pin needed), changes
 * made beside the mount, and the honest EPERM where the daemon cannot change the MFS root's own
 * metadata (js-ipfs has no `files/chmod`/`files/touch` for '/'; Kubo does).
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagPB from '@ipld/dag-pb'
import { unixfs } from '@helia/unixfs'
import { createHeliaLight } from 'helia'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createIpfsBackend, type IpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { createKuboBackend } from '../../src/mounts/ipfs/kubo/backend.ts'
import { connectKubo, type KuboConnection, rpcBlocks } from '../../src/mounts/ipfs/kubo/rpc.ts'
import { type Reader, S_IFREG } from '../../src/vfs/backend.ts'
import { rejects } from '../contract/helpers.ts'
import { type KuboDaemon, kuboSkipReason, startKuboDaemon } from '../support/kubo-daemon.ts'

interface Ctx {
  daemon: KuboDaemon
  kubo: KuboConnection
  dir: string
  seq: number
}

const test = suite<Ctx>('ipfs (kubo): engine', { seq: 0 } as Ctx)
const skip = kuboSkipReason()

async function put(ctx: Ctx, b: IpfsBackend, path: string, data: string | Uint8Array, mode = 0o644, mtimeNs = 1_000_000_000_500n): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  const localPath = join(ctx.dir, `staged-${++ctx.seq}`)
  await writeFile(localPath, bytes)
  await b.put?.(path, { localPath, size: bytes.byteLength, mode: S_IFREG | mode, mtimeNs, uid: 0, gid: 0 })
}

async function read(b: IpfsBackend, path: string, position: number, length: number): Promise<Buffer> {
  const r = (await b.openReader?.(path)) as Reader
  try {
    const buf = Buffer.alloc(length)
    return buf.subarray(0, await r.read(buf, position))
  } finally {
    await r.close()
  }
}

const cidOf = async (b: IpfsBackend, path: string): Promise<string> => (await b.getxattr?.(path, 'user.ipfs.cid'))?.toString() ?? ''

if (skip !== undefined) {
  console.log(`SKIP ipfs (kubo) engine: ${skip}`)
  test.skip(skip, () => {})
} else {
  test.before(async (ctx) => {
    ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-kubo-'))
    ctx.daemon = await startKuboDaemon()
    ctx.kubo = await connectKubo(ctx.daemon.api)
  })
  test.after(async (ctx) => {
    await ctx.daemon?.stop()
    await rm(ctx.dir, { recursive: true, force: true })
  })

  test('the same entries get the same CIDs as in the Helia engine: files (one chunk, several, with metadata), folders, symlinks', async (ctx) => {
    const engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
    const helia = await createIpfsBackend({ helia: engine.helia }, { preserveMtime: false })
    const kubo = await createKuboBackend({ kubo: ctx.kubo }, { mfsRoot: '/same-cids', preserveMtime: false })
    try {
      const big = randomBytes(3 * 1024 * 1024 + 11)
      for (const b of [helia, kubo]) {
        await b.mkdir('/d', 0o750)
        await put(ctx, b, '/d/small', 'hello world')
        await put(ctx, b, '/d/big', big, 0o600)
        await b.symlink?.('../d/small', '/d/link')
        await b.mkdir('/d/empty', 0o755)
        await b.chmod?.('/d/small', 0o640)
      }
      assert.is(await cidOf(kubo, '/d/small'), await cidOf(helia, '/d/small'))
      for (const path of ['/d/small', '/d/big', '/d/link', '/d/empty']) assert.is(await cidOf(kubo, path), await cidOf(helia, path), path)
      // Folders are built by the same code too (MFS only links the new root in): equal up to the
      // mount root when that is an MFS subfolder.
      assert.is(await cidOf(kubo, '/d'), await cidOf(helia, '/d'), 'a folder of equal entries')
      assert.is(await cidOf(kubo, '/'), await cidOf(helia, '/'), 'the root')
      assert.ok((await read(kubo, '/d/big', 0, big.length)).equals(big), 'the big file reads back')
      assert.is((await read(kubo, '/d/big', 2 * 1024 * 1024 - 3, 10)).toString('hex'), big.subarray(2 * 1024 * 1024 - 3, 2 * 1024 * 1024 + 7).toString('hex'), 'a read across two chunks')
      assert.is((await read(kubo, '/d/big', big.length - 4, 100)).length, 4, 'short at the end')
      assert.is(await kubo.readlink?.('/d/link'), '../d/small')
    } finally {
      await helia.close?.()
      await engine.close()
      await kubo.close?.()
    }
  })

  test('a HAMT-sharded folder: read through /.cid and in the tree, still a shard when an entry is added', async (ctx) => {
    // A shard built by the Helia engine's importer (a low threshold, so 40 names make one),
    // written into the daemon block by block.
    const helia = await createHeliaLight()
    const fs = unixfs(helia)
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `sharded/f${i}`, content: Buffer.from(`file ${i}`) }))
    let dirCid: CID | undefined
    for await (const entry of fs.addAll(files, { cidVersion: 1, rawLeaves: true, shardSplitStrategy: 'links-bytes', shardSplitThresholdBytes: 500 } as Parameters<typeof fs.addAll>[1])) if (entry.path === 'sharded') dirCid = entry.cid
    const daemon = rpcBlocks(ctx.kubo)
    for await (const { cid, bytes } of helia.blockstore.getAll()) await daemon.put(cid, bytes)
    const b = await createKuboBackend({ kubo: ctx.kubo }, { mfsRoot: '/hamt', preserveMtime: false })
    try {
      const byCid = `/.cid/${dirCid}`
      const names = (list: { name: string }[]): string => list.map((e) => e.name).sort().join(' ')
      const want = files.map((f) => f.path.slice('sharded/'.length)).sort().join(' ')
      assert.is(names(await b.list(byCid)), want, 'every name of the shard')
      assert.is((await read(b, `${byCid}/f17`, 0, 100)).toString(), 'file 17', 'a lookup through the shard')
      await ctx.kubo.client.files.cp(`/ipfs/${dirCid}`, '/hamt/sharded')
      await put(ctx, b, '/sharded/new', 'new')
      assert.is(names(await b.list('/sharded')), `${want} new`.split(' ').sort().join(' '))
      assert.is((await read(b, '/sharded/new', 0, 100)).toString(), 'new')
      const node = await ctx.kubo.client.block.get(CID.parse(await cidOf(b, '/sharded')))
      assert.is(UnixFS.unmarshal(dagPB.decode(node).Data as Uint8Array).type, 'hamt-sharded-directory', 'still a shard')
    } finally {
      await b.close?.()
    }
  })

  test('MFS is a GC root: after the daemon\'s repo gc the tree still reads in full (no pin needed)', async (ctx) => {
    const b = await createKuboBackend({ kubo: ctx.kubo }, { mfsRoot: '/gc' })
    try {
      const bytes = randomBytes(2 * 1024 * 1024 + 1)
      await put(ctx, b, '/f', bytes)
      await put(ctx, b, '/g', 'first')
      await put(ctx, b, '/g', 'second') // 'first' is now garbage
      await b.mkdir('/d', 0o755)
      for await (const _ of ctx.kubo.client.repo.gc()) void _
      assert.ok((await read(b, '/f', 0, bytes.length)).equals(bytes), 'every chunk is still there')
      assert.is((await read(b, '/g', 0, 100)).toString(), 'second')
      assert.is((await b.list('/')).map((e) => `${e.name}:${e.type}`).sort().join(' '), 'd:dir f:file g:file')
    } finally {
      await b.close?.()
    }
  })

  test('changes made beside the mount (ipfs files ...) show once the root is asked again', async (ctx) => {
    const b = await createKuboBackend({ kubo: ctx.kubo }, { mfsRoot: '/beside', rootTtlMs: 0 })
    try {
      await b.mkdir('/mine', 0o755)
      await ctx.kubo.client.files.mkdir('/beside/theirs')
      assert.is((await b.list('/')).map((e) => e.name).sort().join(' '), 'mine theirs')
      assert.is(b.rootCid().toString(), (await ctx.kubo.client.files.stat('/beside')).cid.toString())
    } finally {
      await b.close?.()
    }
  })

  test('the MFS root\'s own mode and mtime: EPERM where the daemon has no files/chmod and files/touch for it (js-ipfs); a subfolder root changes', async (ctx) => {
    const whole = await createKuboBackend({ kubo: ctx.kubo })
    try {
      assert.is(ctx.kubo.dialect, 'js-ipfs')
      const before = await whole.stat('/')
      await rejects(whole.chmod?.('/', 0o700) as Promise<void>, 'EPERM', '/')
      await rejects(whole.utimens?.('/', { mtimeNs: 1_000_000_000_000_000_000n }) as Promise<void>, 'EPERM', '/')
      assert.is((await whole.stat('/')).mode, before.mode, 'unchanged')
    } finally {
      await whole.close?.()
    }
    const sub = await createKuboBackend({ kubo: ctx.kubo }, { mfsRoot: '/sub/root' })
    try {
      await sub.chmod?.('/', 0o700)
      await sub.utimens?.('/', { mtimeNs: 1_000_000_000_000_000_007n })
      const st = await sub.stat('/')
      assert.is(st.mode & 0o7777, 0o700)
      assert.is(st.mtimeNs, 1_000_000_000_000_000_007n)
    } finally {
      await sub.close?.()
    }
  })
}

test.run()
