/**
 * /ipfs on the Kubo engine through the real CLI (`ipfs-vfs mount`, `engine: kubo`) and the
 * kernel, against a real Kubo RPC server (js-ipfs, test/support/kubo-daemon.ts): ordinary tools
 * (cp -a, diff -r, sha256sum, mv, rm, ls), the file CIDs the Helia engine gives the same bytes and
 * metadata, what the daemon's MFS then holds, the tree kept across a restart of the mount and of
 * the daemon, and the one-line error for an API that does not answer.
 */
import { once } from 'node:events'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { createHeliaLight } from 'helia'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { type KuboDaemon, kuboSkipReason, startKuboDaemon } from '../support/kubo-daemon.ts'
import { startMount, type TestMount } from '../support/mount.ts'
import { assertSameTree, clean, listing, makeTree, ok, rootCid, run, sha256 } from '../support/tools.ts'

const skip = kuboSkipReason()
const test = suite<{ daemon: KuboDaemon; dir: string }>('ipfs (kubo): through the CLI mount', {} as { daemon: KuboDaemon; dir: string })

const kuboMount = (api: string) => ({ '/ipfs': { type: 'ipfs', engine: 'kubo', api } })

async function stopped(m: TestMount, fn: (ipfs: string) => Promise<void>): Promise<void> {
  try {
    await fn(join(m.mountpoint, 'ipfs'))
  } catch (err) {
    await m.stop()
    throw err
  }
  assert.is(await m.stop(), 0, `a clean exit on SIGTERM:\n${m.logs()}`)
}

const xattr = async (path: string): Promise<string> => (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', path])).trim()

if (skip !== undefined) {
  console.log(`SKIP ipfs (kubo) through the mount: ${skip}`)
  test.skip(skip, () => {})
} else {
  test.before(async (ctx) => {
    ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-kubo-mount-'))
    ctx.daemon = await startKuboDaemon()
  })
  test.after(async (ctx) => {
    await ctx.daemon?.stop()
    await rm(ctx.dir, { recursive: true, force: true })
  })

  test('cp -a a tree in, diff -r equal; 20 MiB sha256 and its CID as the Helia engine gives it; mv, rm, ls; the daemon holds it', async ({ daemon, dir }) => {
    const src = join(dir, 'src')
    await makeTree(src, { symlinks: true, hardLinks: false })
    const big = Buffer.alloc(20 * 1024 * 1024 + 3)
    for (let i = 0; i + 4 <= big.length; i += 4096) big.writeUInt32LE((i * 2654435761) >>> 0, i)
    await writeFile(join(dir, 'big.bin'), big)
    await stopped(await startMount({ mounts: kuboMount(daemon.api) }), async (ipfs) => {
      await clean('cp', ['-a', src, join(ipfs, 'tree')])
      await ok('diff', ['-r', '--no-dereference', src, join(ipfs, 'tree')])
      await assertSameTree(src, join(ipfs, 'tree'))

      await clean('cp', [join(dir, 'big.bin'), join(ipfs, 'big.bin')])
      assert.is(await sha256(join(ipfs, 'big.bin')), await sha256(join(dir, 'big.bin')), 'the 20 MiB file reads back')
      await ok('touch', ['-d', '2001-02-03 04:05:06.123456789', join(ipfs, 'big.bin')])
      // The Helia engine's importer, in memory: the same bytes and metadata give the same CID.
      const helia = await createHeliaLight()
      const expected = await unixfs(helia).addBytes(big, fileImportOptions(KUBO_UNIXFS_V1_2025, { mode: 0o644, mtime: toMtime(981173106123456789n) }))
      assert.is(await xattr(join(ipfs, 'big.bin')), expected.toString(), 'user.ipfs.cid is the Helia engine\'s CID')

      await ok('mv', [join(ipfs, 'big.bin'), join(ipfs, 'tree/moved.bin')])
      await ok('mv', [join(ipfs, 'tree/with space.txt'), join(ipfs, 'tree/run.sh')]) // over an existing file
      assert.is(await ok('cat', [join(ipfs, 'tree/run.sh')]), 'spaces\n')
      await ok('rm', ['-r', join(ipfs, 'tree/a')])
      const ls = await ok('ls', ['-A', join(ipfs, 'tree')], { cwd: ipfs })
      assert.is(ls.trim().split('\n').sort().join(' '), 'dirlink empty empty dir link moved.bin private random.bin run.sh ünï cødé', ls)
      assert.is(await sha256(join(ipfs, 'tree/moved.bin')), await sha256(join(dir, 'big.bin')))

      // The MFS root's own mode: js-ipfs cannot change it (no files/chmod for '/'), and says so.
      const chmod = await run('chmod', ['700', ipfs])
      assert.is(chmod.code, 1)
      assert.match(chmod.stderr, /Operation not permitted/, chmod.stderr)

      // What the daemon's own MFS shows: the same tree, the same root.
      const { create } = await import('kubo-rpc-client')
      const kubo = create({ url: `${daemon.api}/api/v0` })
      assert.is((await kubo.files.stat('/')).cid.toString(), await rootCid(ipfs), 'the mount root is the MFS root')
      assert.is((await kubo.files.stat('/tree/moved.bin')).cid.toString(), expected.toString())
      const names: string[] = []
      for await (const e of kubo.files.ls('/tree')) names.push(e.name)
      assert.is(names.sort().join(' '), ls.trim().split('\n').sort().join(' '), 'ipfs files ls lists what ls lists')
    })
  })

  test('rsync -a in and back out: the same tree, a second rsync has nothing to do; git init, commit, fsck', async ({ daemon, dir }) => {
    const src = join(dir, 'src3')
    await makeTree(src, { symlinks: true, hardLinks: false })
    await stopped(await startMount({ mounts: kuboMount(daemon.api) }), async (ipfs) => {
      const dst = join(ipfs, 'rsynced')
      await ok('rsync', ['-a', `${src}/`, `${dst}/`])
      await ok('rsync', ['-a', `${dst}/`, `${dir}/back/`])
      await assertSameTree(src, join(dir, 'back'))
      assert.is(await listing(dst), await listing(src), 'modes, sizes, mtimes and link targets kept')
      assert.is(await ok('rsync', ['-a', '--itemize-changes', `${src}/`, `${dst}/`]), '', 'nothing to do the second time')

      const repo = join(ipfs, 'repo')
      const git = (...args: string[]) => ok('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd: repo })
      await mkdir(repo)
      await git('init', '-q')
      await writeFile(join(repo, 'a.txt'), 'a\n')
      await git('add', 'a.txt')
      await git('commit', '-q', '-m', 'one')
      await writeFile(join(repo, 'a.txt'), 'a\nb\n')
      await git('commit', '-q', '-am', 'two')
      await git('fsck', '--strict')
      assert.is((await git('log', '--format=%s')).trim(), 'two\none')
    })
  })

  test('restart: after the mount and the daemon restart, the tree and its root CID are the same', async (ctx) => {
    const src = join(ctx.dir, 'src2')
    await makeTree(src, { symlinks: true, hardLinks: false })
    const daemonDir = join(ctx.dir, 'mount-state')
    await mkdir(daemonDir)
    let root = ''
    let tree = ''
    await stopped(await startMount({ dir: daemonDir, mounts: kuboMount(ctx.daemon.api) }), async (ipfs) => {
      await clean('cp', ['-a', src, join(ipfs, 'again')])
      root = await rootCid(ipfs)
      tree = await listing(join(ipfs, 'again'))
    })
    await ctx.daemon.stop({ keepRepo: true })
    ctx.daemon = await startKuboDaemon({ repo: ctx.daemon.repo })
    await stopped(await startMount({ dir: daemonDir, mounts: kuboMount(ctx.daemon.api) }), async (ipfs) => {
      assert.is(await rootCid(ipfs), root, 'the same root CID')
      assert.is(await listing(join(ipfs, 'again')), tree, 'the same modes, sizes, mtimes and link targets')
      await assertSameTree(src, join(ipfs, 'again'))
    })
  })

  test('an RPC API that does not answer: the mount fails at start with one line naming it', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    server.close()
    await once(server, 'close')
    let failure = ''
    try {
      const m = await startMount({ mounts: kuboMount(api) })
      await m.stop()
    } catch (err) {
      failure = (err as Error).message
    }
    const line = failure.split('\n').find((l) => l.includes('cannot reach')) ?? ''
    assert.is(line, `ipfs-vfs: EIO: cannot reach the Kubo RPC API at ${api}: fetch failed (ECONNREFUSED)`, failure)
  })
}

test.run()
