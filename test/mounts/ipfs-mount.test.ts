/**
 * /ipfs through the real CLI (`ipfs-vfs mount` with a YAML config) and the kernel: the tree and
 * its root CID survive a restart, /ipfs/.cid/<cid> copies out and refuses writes with EROFS, and
 * `user.ipfs.cid` is the CID an IPFS import of the same bytes and metadata gives.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import type { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type TestMount, startMount } from '../support/mount.ts'
import { assertSameTree, clean, listing, makeTree, ok, rootCid, run } from '../support/tools.ts'

const test = suite('ipfs: through the CLI mount')

const IPFS = { '/ipfs': { type: 'ipfs' } }

/** A scratch folder for one test (native copies, and the daemon's dir where it must outlive a stop). */
async function scratch(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-ipfs-mount-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Runs `fn` on a started mount, then stops it with SIGTERM, which must end in exit 0. */
async function cleanly<T>(m: TestMount, fn: (m: TestMount) => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await fn(m)
  } catch (err) {
    await m.stop()
    throw err
  }
  assert.is(await m.stop(), 0, `a clean exit on SIGTERM:\n${m.logs()}`)
  return result
}

async function xattr(path: string): Promise<string> {
  return (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', path])).trim()
}

test('restart: the tree written into /ipfs and its root CID are the same after SIGTERM and a new start', () =>
  scratch(async (dir) => {
    const src = join(dir, 'src')
    await makeTree(src, { symlinks: true, hardLinks: false })
    const daemonDir = join(dir, 'daemon')
    await mkdir(daemonDir)
    const { root, tree } = await cleanly(await startMount({ dir: daemonDir, mounts: IPFS }), async (m) => {
      const ipfs = join(m.mountpoint, 'ipfs')
      await clean('cp', ['-a', src, join(ipfs, 'tree')])
      await assertSameTree(src, join(ipfs, 'tree'))
      assert.is(await listing(join(ipfs, 'tree')), await listing(src))
      return { root: await rootCid(ipfs), tree: await listing(join(ipfs, 'tree')) }
    })
    assert.match(root, /^bafy/)
    await cleanly(await startMount({ dir: daemonDir, mounts: IPFS }), async (m) => {
      const ipfs = join(m.mountpoint, 'ipfs')
      assert.is(await rootCid(ipfs), root, 'the same root CID')
      await assertSameTree(src, join(ipfs, 'tree'))
      assert.is(await listing(join(ipfs, 'tree')), tree, 'the same modes, sizes, mtimes and link targets')
    })
  }))

test('/ipfs/.cid/<cid>: cp -r out to /local equals the original; touch and mkdir there fail with EROFS', () =>
  scratch(async (dir) => {
    const src = join(dir, 'src')
    await makeTree(src, { symlinks: true, hardLinks: false })
    const m = await startMount({ mounts: IPFS })
    try {
      const ipfs = join(m.mountpoint, 'ipfs')
      await clean('cp', ['-a', src, join(ipfs, 'tree')])
      const cid = await xattr(join(ipfs, 'tree'))
      const byCid = join(ipfs, '.cid', cid)
      await clean('cp', ['-r', byCid, join(m.mountpoint, 'local/x')])
      await assertSameTree(src, join(m.mountpoint, 'local/x'))
      await assertSameTree(join(ipfs, 'tree'), byCid)
      assert.is(await xattr(byCid), cid, 'the tree under its CID has that CID')
      const root = await rootCid(ipfs)
      for (const [cmd, args] of [
        ['touch', [join(byCid, 'new')]],
        ['touch', [join(byCid, 'empty')]],
        ['mkdir', [join(byCid, 'd')]],
        ['mkdir', [join(ipfs, '.cid', 'd')]],
        ['rm', [join(byCid, 'empty')]],
        ['mv', [join(byCid, 'run.sh'), join(byCid, 'moved')]],
      ] as const) {
        const r = await run(cmd, args)
        assert.is(r.code, 1, `${cmd} ${args.join(' ')}`)
        assert.match(r.stderr, /Read-only file system/, `${cmd} ${args.join(' ')}: ${r.stderr}`)
      }
      await assertSameTree(src, byCid)
      assert.is(await rootCid(ipfs), root, 'nothing changed')
    } finally {
      await m.stop()
    }
  }))

/** A blockstore in memory, just for computing CIDs. */
function memoryBlocks() {
  const blocks = new Map<string, Uint8Array>()
  return {
    put: async (cid: CID, block: Uint8Array) => (blocks.set(cid.toString(), block), cid),
    has: async (cid: CID) => blocks.has(cid.toString()),
    get: async function* (cid: CID) {
      const block = blocks.get(cid.toString())
      if (block === undefined) throw Object.assign(new Error(`${cid} not here`), { name: 'NotFoundError' })
      yield block
    },
  }
}

test('user.ipfs.cid of a file is the CID @helia/unixfs gives the same bytes and metadata; with preserveMtime: false, the plain `ipfs add` CID', () =>
  scratch(async (dir) => {
    const m = await startMount({ mounts: { ...IPFS, '/plain': { type: 'ipfs', preserveMtime: false } } })
    try {
      const ipfs = join(m.mountpoint, 'ipfs')
      const plain = join(m.mountpoint, 'plain')
      for (const at of [ipfs, plain]) await clean('sh', ['-c', 'printf "hello world" > hello.txt; echo "hello world" > nl.txt'], { cwd: at })
      // `ipfs add --cid-version=1` (Kubo's unixfs-v1-2025 profile): a raw leaf, the bytes' sha256.
      assert.is(await xattr(join(plain, 'hello.txt')), 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e')
      assert.is(await xattr(join(plain, 'nl.txt')), 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4', 'with the newline')

      // With metadata: mode 0600 and an mtime with nanoseconds, 3 MiB + 1 (four leaves).
      const bytes = Buffer.alloc(3 * 1024 * 1024 + 1, 'ipfs ')
      await writeFile(join(dir, 'data.bin'), bytes)
      await clean('cp', [join(dir, 'data.bin'), join(ipfs, 'data.bin')])
      await ok('chmod', ['600', 'data.bin', 'hello.txt'], { cwd: ipfs })
      await ok('touch', ['-d', '2001-02-03 04:05:06.123456789', 'data.bin', 'hello.txt'], { cwd: ipfs })
      // The settings of src/mounts/ipfs/import-settings.ts (Kubo's unixfs-v1-2025), spelled out.
      const fs = unixfs({ blockstore: memoryBlocks() as unknown as Parameters<typeof unixfs>[0]['blockstore'] })
      const options = {
        cidVersion: 1,
        rawLeaves: true,
        reduceSingleLeafToSelf: true,
        chunker: fixedSize({ chunkSize: 1_048_576 }),
        layout: balanced({ maxChildrenPerNode: 1024 }),
        mode: 0o600,
        mtime: { secs: 981173106n, nsecs: 123456789 },
      } as const
      assert.is(await xattr(join(ipfs, 'data.bin')), (await fs.addBytes(bytes, options)).toString())
      assert.is(await xattr(join(ipfs, 'hello.txt')), (await fs.addBytes(Buffer.from('hello world'), options)).toString())
      assert.is.not(await xattr(join(ipfs, 'hello.txt')), await xattr(join(plain, 'hello.txt')), 'metadata is part of the CID')
    } finally {
      await m.stop()
    }
  }))

// Not on a symlink: the kernel itself answers ENODATA for user.* attributes of anything but files
// and folders (fs/xattr.c), before asking the filesystem.
test('getfattr -d -m - lists user.ipfs.cid on files, folders and the root; setfattr answers ENOTSUP', async () => {
  const m = await startMount({ mounts: IPFS })
  try {
    const ipfs = join(m.mountpoint, 'ipfs')
    await mkdir(join(ipfs, 'd'))
    await writeFile(join(ipfs, 'd/f'), 'x')
    for (const [name, args] of [
      ['d/f', ['d/f']],
      ['d', ['d']],
      ['.', ['.']],
    ] as const) {
      const out = await ok('getfattr', ['-d', '-m', '-', ...args], { cwd: ipfs })
      assert.match(out, /^user\.ipfs\.cid="(bafy|bafk)[a-z2-7]+"$/m, `${name}: ${out}`)
      assert.is(out.split('\n').filter((l) => l.includes('=')).length, 1, `exactly one attribute on ${name}: ${out}`)
    }
    for (const args of [['-n', 'user.other', '-v', '1', 'd/f'], ['-n', 'user.ipfs.cid', '-v', 'bafy', 'd/f'], ['-x', 'user.ipfs.cid', 'd/f']]) {
      const r = await run('setfattr', args, { cwd: ipfs })
      assert.is(r.code, 1, `setfattr ${args.join(' ')}`)
      assert.match(r.stderr, /Operation not supported/, `setfattr ${args.join(' ')}: ${r.stderr}`)
    }
  } finally {
    await m.stop()
  }
})

test.run()
