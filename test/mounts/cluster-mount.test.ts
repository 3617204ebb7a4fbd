/**
 * /cluster through the real CLI mount and the kernel, against the IPFS Cluster CONTRACT DOUBLE
 * (test/support/cluster-double.ts, in a child process: a documented-REST-API server, not a real
 * cluster, which no npm or apt package provides); the content side is the daemon's real Helia.
 * cp in, ls, sha256 of cat, getfattr user.cluster.status and user.ipfs.cid, rm, a folder as one
 * pin, `ipfs-vfs cluster pin` of an /ipfs file's CID, restart and the same listing; a pin in error shows in the xattr; an unreachable cluster is EIO.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startClusterDoubleProcess } from '../support/cluster-double.ts'
import { ROOT, startMount, type TestMount } from '../support/mount.ts'
import { clean, ok, run, sha256 } from '../support/tools.ts'

const test = suite('cluster: through the CLI mount (cluster REST contract double)')

async function stopClean(m: TestMount): Promise<void> {
  assert.is(await m.stop(), 0, `a clean exit on SIGTERM:\n${m.logs()}`)
}

test('cp in, ls, cat hashes, xattrs, a folder as one pin, rm, restart keeps the listing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-cluster-mount-'))
  const double = await startClusterDoubleProcess({ peers: 2, stepMs: 20 })
  try {
    const src = join(dir, 'src')
    await mkdir(src)
    const big = Buffer.alloc(3 * 1024 * 1024 + 17)
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251
    await writeFile(join(src, 'big.bin'), big)
    await writeFile(join(src, 'small.txt'), 'hello cluster\n')
    const daemonDir = join(dir, 'daemon')
    await mkdir(daemonDir)
    const mounts = { '/cluster': { type: 'cluster', api: double.url, replicationMin: 1, replicationMax: 2, listTtlMs: 0 }, '/ipfs': { type: 'ipfs' } }
    let m = await startMount({ dir: daemonDir, mounts })
    let before: string[]
    try {
      const c = join(m.mountpoint, 'cluster')
      await clean('cp', [join(src, 'big.bin'), join(src, 'small.txt'), c])
      await mkdir(join(c, 'folder'))
      await clean('cp', [join(src, 'small.txt'), join(c, 'folder', 'inner.txt')])
      await writeFile(join(c, 'gone.txt'), 'to be removed')
      before = (await readdir(c)).sort()
      assert.equal(before, ['big.bin', 'folder', 'gone.txt', 'small.txt'])
      assert.is(await sha256(join(c, 'big.bin')), await sha256(join(src, 'big.bin')))
      assert.is(await readFile(join(c, 'folder', 'inner.txt'), 'utf8'), 'hello cluster\n')
      // The pinset holds one pin per top-level entry, named by it, with the configured replication.
      const pins = (await (await fetch(`${double.url}/allocations?filter=pin`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { name: string; cid: string; replication_factor_min: number; replication_factor_max: number })
      assert.equal(pins.map((p) => p.name).sort(), ['big.bin', 'folder', 'gone.txt', 'small.txt'])
      assert.ok(pins.every((p) => p.replication_factor_min === 1 && p.replication_factor_max === 2), 'replication from the config')
      const cid = (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', join(c, 'big.bin')])).trim()
      assert.is(cid, pins.find((p) => p.name === 'big.bin')?.cid, 'user.ipfs.cid is the pinned CID')
      await new Promise((r) => setTimeout(r, 100))
      const status = JSON.parse(await ok('getfattr', ['--only-values', '-n', 'user.cluster.status', join(c, 'big.bin')])) as { peers: Record<string, { status: string }> }
      assert.equal(Object.values(status.peers).map((p) => p.status), ['pinned', 'pinned'], 'both allocated peers report pinned')
      await fetch(`${double.url}/_test/fail`, { method: 'POST', body: JSON.stringify({ name: 'small.txt', error: 'context deadline exceeded', peer: 1 }) })
      const failed = JSON.parse(await ok('getfattr', ['--only-values', '-n', 'user.cluster.status', join(c, 'small.txt')])) as { peers: Record<string, { status: string; error?: string }> }
      assert.equal(failed.peers['double-1'], { status: 'pin_error', error: 'context deadline exceeded' })
      // ... and in `ipfs-vfs status` (exit 1: a mount is not healthy), with the pin, the peer and the cause.
      const st = await run(join(ROOT, 'bin/ipfs-vfs'), ['status', '--json', '--state-dir', m.stateDir])
      assert.is(st.code, 1, st.stderr)
      const row = (JSON.parse(st.stdout) as { mounts: { point: string; health: string; reason?: string }[] }).mounts.find((r) => r.point === '/cluster')
      assert.is(row?.health, 'degraded')
      assert.match(row?.reason ?? '', /small\.txt: double-1 pin_error \(context deadline exceeded\)/)
      // `ipfs-vfs cluster pin CID NAME`: a file of /ipfs (same Helia repository) pinned by name.
      await writeFile(join(m.mountpoint, 'ipfs', 'shared.txt'), 'from /ipfs\n')
      const ipfsCid = (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', join(m.mountpoint, 'ipfs', 'shared.txt')])).trim()
      const out = await clean(join(ROOT, 'bin/ipfs-vfs'), ['cluster', 'pin', ipfsCid, 'pinned-by-cli', '--state-dir', m.stateDir])
      assert.match(out, `pinned ${ipfsCid} as /cluster/pinned-by-cli`)
      assert.is(await readFile(join(c, 'pinned-by-cli'), 'utf8'), 'from /ipfs\n')
      await rm(join(c, 'pinned-by-cli'))
      await rm(join(c, 'gone.txt'))
      before = (await readdir(c)).sort()
      assert.equal(before, ['big.bin', 'folder', 'small.txt'])
      assert.ok(!(await (await fetch(`${double.url}/allocations?filter=pin`)).text()).includes('gone.txt'), 'rm unpinned')
    } catch (err) {
      await m.stop()
      throw err
    }
    await stopClean(m)
    m = await startMount({ dir: daemonDir, mounts })
    try {
      const c = join(m.mountpoint, 'cluster')
      assert.equal((await readdir(c)).sort(), before, 'the same listing after a restart')
      assert.is(await sha256(join(c, 'big.bin')), await sha256(join(src, 'big.bin')), 'the same bytes after a restart')
    } catch (err) {
      await m.stop()
      throw err
    }
    await stopClean(m)
    // The cluster gone: listing is EIO (with the cause in the log), not an empty folder.
    const down = await startMount({ dir: daemonDir, mounts })
    try {
      await double.stop()
      const r = await run('ls', [join(down.mountpoint, 'cluster')])
      assert.ok(r.code !== 0, 'ls fails')
      assert.match(r.stderr, /Input\/output error/)
      assert.match(down.logs(), /unreachable/)
    } finally {
      await down.stop()
    }
  } finally {
    await double.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
