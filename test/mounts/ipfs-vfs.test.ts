/**
 * /ipfs behind the real Vfs (in process, as FUSE would drive it): staged writes become one put on
 * close, the editor's write-temp-then-rename, random writes and truncate through staging, a new
 * file written in order imported while it is written (no local copy) and moved to local staging
 * when it stops being written in order, and the /ipfs rules (EROFS under /.cid, the CID attribute,
 * EXDEV to another mount) as the Vfs answers them.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { unixfs } from '@helia/unixfs'
import { createIpfsBackend, type IpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { type FsLike, vfsFs } from '../support/fs-like.ts'

interface Ctx {
  dir: string
  /** Blockstore puts fail while this is set (a full or broken disk under the Helia repository). */
  failPuts: boolean
  engine: HeliaEngine
  backend: IpfsBackend
  vfs: Vfs
  fs: FsLike
}

const test = suite<Ctx>('ipfs: through the Vfs', {} as Ctx)

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-'))
  await mkdir(join(ctx.dir, 'local'))
  ctx.engine = await openHeliaEngine({ dir: join(ctx.dir, 'helia') })
  ctx.failPuts = false
  const { blockstore, datastore, pins } = ctx.engine.helia
  const failing = Object.assign(Object.create(blockstore) as typeof blockstore, {
    put: (...args: Parameters<typeof blockstore.put>) => (ctx.failPuts ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })) : blockstore.put(...args)),
  })
  ctx.backend = await createIpfsBackend({ helia: { blockstore: failing, datastore, pins } })
  ctx.vfs = new Vfs({ stagingDir: join(ctx.dir, 'staging') })
  ctx.vfs.addMount('/ipfs', ctx.backend)
  ctx.vfs.addMount('/local', createLocalBackend({ root: join(ctx.dir, 'local') }))
  ctx.fs = vfsFs(ctx.vfs)
})

test.after.each(async (ctx) => {
  await ctx.vfs.close()
  await ctx.backend.close?.()
  await ctx.engine.close()
  await rm(ctx.dir, { recursive: true, force: true })
})

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p
    return 'ok'
  } catch (err) {
    return String((err as { code?: unknown }).code)
  }
}

const text = async (fs: FsLike, p: string): Promise<string> => (await fs.readFile(p)).toString('latin1')

test('write, overwrite, append, random writes and truncate land as whole files', async ({ fs }) => {
  await fs.mkdir('/ipfs/d')
  await fs.writeFile('/ipfs/d/f', 'hello world')
  assert.is(await text(fs, '/ipfs/d/f'), 'hello world')
  await fs.writeFile('/ipfs/d/f', 'hi')
  await fs.appendFile('/ipfs/d/f', ' there')
  assert.is(await text(fs, '/ipfs/d/f'), 'hi there')
  const h = await fs.open('/ipfs/d/f', 'r+')
  await h.write('HI', 0)
  await h.write('!', 10)
  await h.close()
  assert.is(await text(fs, '/ipfs/d/f'), 'HI there\0\0!')
  await fs.truncate('/ipfs/d/f', 2)
  assert.is(await text(fs, '/ipfs/d/f'), 'HI')
  assert.equal(await fs.readdir('/ipfs/d'), ['f'])
})

test("an editor's save (write a temporary, fsync, rename over) replaces the file atomically", async ({ fs }) => {
  await fs.writeFile('/ipfs/doc.txt', 'version 1')
  const tmp = await fs.open('/ipfs/.doc.txt.swp', 'w', 0o600)
  await tmp.write('version 2', 0)
  await tmp.sync()
  await tmp.close()
  await fs.chmod('/ipfs/.doc.txt.swp', 0o644)
  await fs.rename('/ipfs/.doc.txt.swp', '/ipfs/doc.txt')
  assert.is(await text(fs, '/ipfs/doc.txt'), 'version 2')
  assert.equal(await fs.readdir('/ipfs'), ['doc.txt'])
  assert.is((await fs.stat('/ipfs/doc.txt')).mode & 0o7777, 0o644)
})

test('metadata, symlinks and the CID attribute through the Vfs; /.cid is read-only; EXDEV to /local', async ({ fs, vfs, backend }) => {
  await fs.writeFile('/ipfs/f', 'content')
  await fs.chmod('/ipfs/f', 0o600)
  await fs.utimes('/ipfs/f', 1_000_000_000_000_000_000n, 1_234_567_890_123_456_789n)
  const st = await fs.stat('/ipfs/f')
  assert.is(st.mode & 0o7777, 0o600)
  assert.is(st.mtimeNs, 1_234_567_890_123_456_789n)
  await fs.symlink('f', '/ipfs/l')
  assert.is(await fs.readlink('/ipfs/l'), 'f')
  assert.is(await text(fs, '/ipfs/l'), 'content', 'followed by the path walk')

  const cid = (await vfs.getxattr('/ipfs/f', 'user.ipfs.cid')).toString()
  assert.ok(cid.startsWith('bafy'), cid)
  assert.ok((await vfs.listxattr('/ipfs/f')).includes('user.ipfs.cid'))
  assert.is((await vfs.getxattr('/ipfs', 'user.ipfs.cid')).toString(), backend.rootCid().toString(), 'the mount root answers the root CID')
  assert.is(await outcome(vfs.setxattr('/ipfs/f', 'user.x', Buffer.from('1'), undefined)), 'ENOTSUP')

  assert.is(await text(fs, `/ipfs/.cid/${cid}`), 'content')
  assert.is(await outcome(fs.writeFile(`/ipfs/.cid/${cid}`, 'x')), 'EROFS')
  assert.is(await outcome(fs.mkdir('/ipfs/.cid/new')), 'EROFS')
  assert.not.ok((await fs.readdir('/ipfs')).includes('.cid'))
  assert.is(await outcome(vfs.rename('/ipfs/f', '/local/f')), 'EXDEV')
})

test('a file closed whose release has not come yet (the kernel sends it after close returns): utimes and chmod reach the store at once; atime is what the store keeps (none: the mtime)', async ({ vfs, backend }) => {
  const fh = await vfs.create('/ipfs/f', 0o644, 0o1)
  await vfs.write(fh, Buffer.from('x'), 0)
  await vfs.flush(fh)
  await vfs.utimens('/ipfs/f', 1_600_000_000_123_456_789n, 1_500_000_000_987_654_321n)
  await vfs.chmod('/ipfs/f', 0o600)
  const inStore = await backend.stat('/f')
  assert.equal([inStore.mtimeNs, inStore.mode & 0o7777], [1_500_000_000_987_654_321n, 0o600], 'in the store before the release')
  const open = await vfs.stat('/ipfs/f')
  assert.is(open.mtimeNs, 1_500_000_000_987_654_321n)
  assert.is(open.mode & 0o7777, 0o600)
  assert.is(open.atimeNs, open.mtimeNs, 'while the handle is open')
  assert.is((await vfs.fstat(fh)).atimeNs, open.mtimeNs, 'by the handle')
  await vfs.release(fh)
  const closed = await vfs.stat('/ipfs/f')
  assert.equal([closed.atimeNs, closed.mtimeNs], [open.mtimeNs, open.mtimeNs], 'after release, from the store')
})

const staged = (ctx: Ctx): Promise<string[]> => readdir(join(ctx.dir, 'staging')).catch(() => [])
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** The CID @helia/unixfs gives `bytes` with the metadata the file has now. */
async function importedCid(ctx: Ctx, path: string, bytes: Uint8Array): Promise<string> {
  const st = await ctx.fs.stat(path)
  const fs = unixfs({ blockstore: ctx.engine.helia.blockstore })
  return (await fs.addByteStream([bytes], fileImportOptions(KUBO_UNIXFS_V1_2025, { mode: st.mode & 0o7777, mtime: toMtime(st.mtimeNs) }))).toString()
}

test('a new file written in order goes to the store as it is written: no local copy, the CID of importing its bytes', async (ctx) => {
  const { fs, vfs } = ctx
  const bytes = randomBytes(5 * 1_048_576 + 12_345)
  const h = await fs.open('/ipfs/big', 'w')
  for (let at = 0; at < bytes.length; at += 131_072) await h.write(bytes.subarray(at, at + 131_072), at)
  assert.equal(await staged(ctx), [], 'nothing staged on local disk while it is written in order')
  assert.is((await h.stat()).size, bytes.length)
  await h.sync()
  assert.is(sha(await fs.readFile('/ipfs/big')), sha(bytes), 'fsync stored it: another reader sees it all')
  await h.close()
  assert.is((await vfs.getxattr('/ipfs/big', 'user.ipfs.cid')).toString(), await importedCid(ctx, '/ipfs/big', bytes))
  assert.equal(await staged(ctx), [])
})

test('a file stops being written in order (a read, a write back at its start, a truncate): it moves to local staging and keeps every byte', async (ctx) => {
  const { fs, vfs } = ctx
  for (const turn of ['read', 'header fix-up', 'truncate'] as const) {
    const path = `/ipfs/${turn.replace(' ', '-')}`
    const bytes = randomBytes(3 * 1_048_576 + 777)
    const h = await fs.open(path, 'w+')
    await h.write(bytes.subarray(0, 2_500_000), 0)
    assert.equal(await staged(ctx), [], `${turn}: in order so far`)
    if (turn === 'read') assert.ok((await h.read(1000, 1_048_000)).equals(bytes.subarray(1_048_000, 1_049_000)), 'a read across a leaf boundary')
    if (turn === 'header fix-up') {
      bytes.write('PACK', 0)
      await h.write(bytes.subarray(0, 4), 0)
    }
    if (turn === 'truncate') await h.truncate(2_000_000)
    assert.is((await staged(ctx)).length, 1, `${turn}: a local copy now`)
    const rest = turn === 'truncate' ? 2_000_000 : 2_500_000
    await h.write(bytes.subarray(rest), rest)
    await h.close()
    const want = turn === 'truncate' ? Buffer.concat([bytes.subarray(0, 2_000_000), bytes.subarray(rest)]) : bytes
    assert.is(sha(await fs.readFile(path)), sha(want), turn)
    assert.is((await vfs.getxattr(path, 'user.ipfs.cid')).toString(), await importedCid(ctx, path, want), turn)
    assert.equal(await staged(ctx), [], `${turn}: the local copy goes once stored`)
  }
})

test('a store failure while a file is imported as it is written: write or close answers its errno, the old file shows again', async (ctx) => {
  const { fs } = ctx
  const old = randomBytes(100)
  await fs.writeFile('/ipfs/f', old)
  const h = await fs.open('/ipfs/f', 'w')
  await h.write(randomBytes(1_048_576), 0)
  ctx.failPuts = true
  const outcomes = [await outcome(h.write(randomBytes(2_097_152), 1_048_576)), await outcome(h.close())]
  assert.ok(outcomes.includes('ENOSPC'), `the store's errno reaches write or close: ${outcomes.join(', ')}`)
  ctx.failPuts = false
  assert.is(sha(await fs.readFile('/ipfs/f')), sha(old), 'what was there before is untouched')
})

test('a commit that fails after the writes keeps the bytes in a local copy; the next fsync stores them', async (ctx) => {
  const { fs } = ctx
  const bytes = randomBytes(2 * 1_048_576 + 5)
  const writer = await fs.open('/ipfs/g', 'w')
  await writer.write(bytes, 0)
  const other = await fs.open('/ipfs/g', 'r+')
  ctx.failPuts = true
  assert.is(await outcome(writer.close()), 'ENOSPC', 'the partial last leaf and the file node cannot be stored')
  assert.is((await staged(ctx)).length, 1, 'the bytes went to a local copy')
  ctx.failPuts = false
  await other.sync()
  await other.close()
  assert.is(sha(await fs.readFile('/ipfs/g')), sha(bytes))
  assert.equal(await staged(ctx), [])
})

test.run()
