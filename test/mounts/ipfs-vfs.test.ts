/**
 * /ipfs behind the real Vfs (in process, as FUSE would drive it): staged writes become one put on
 * close, the editor's write-temp-then-rename, random writes and truncate through staging, and the
 * /ipfs rules (EROFS under /.cid, the CID attribute, EXDEV to another mount) as the Vfs answers them.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { createIpfsBackend, type IpfsBackend } from '../../src/mounts/ipfs/backend.ts'
import { openHeliaEngine, type HeliaEngine } from '../../src/mounts/ipfs/engine.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { type FsLike, vfsFs } from '../support/fs-like.ts'

interface Ctx {
  dir: string
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
  ctx.backend = await createIpfsBackend({ helia: ctx.engine.helia })
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

test.run()
