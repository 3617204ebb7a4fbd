/**
 * /storacha through the real CLI mount and the kernel: the real @storacha/client in the daemon,
 * over HTTP to the real @storacha/upload-api handlers on loopback (test/support/storacha-standin.ts),
 * key and proof from the environment. cp in, ls, sha256 of cat, rm, a folder as one upload,
 * restart and the same listing (names from the state database); a second daemon with a fresh state
 * directory sees the same uploads under their root CIDs and reads them from the stand-in's
 * trustless gateway, verified per block.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startMount, type TestMount } from '../support/mount.ts'
import { startStorachaStandin } from '../support/storacha-standin.ts'
import { createTestSpace } from '../support/storacha-space.ts'
import { clean, ok, sha256 } from '../support/tools.ts'

const test = suite('storacha: through the CLI mount (upload-api stand-in)')

async function within(m: TestMount, fn: (dir: string) => Promise<void>): Promise<void> {
  try {
    await fn(join(m.mountpoint, 'storacha'))
  } catch (err) {
    await m.stop()
    throw err
  }
  assert.is(await m.stop(), 0, `a clean exit on SIGTERM:\n${m.logs()}`)
}

test('cp in, ls, cat hashes, a folder as one upload, rm, restart; a fresh state reads through the gateway', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-storacha-mount-'))
  const standin = await startStorachaStandin()
  try {
    const sp = await createTestSpace(standin.url)
    const env = { STORACHA_KEY: sp.key, STORACHA_PROOF: sp.proof }
    const mounts = { '/storacha': { type: 'storacha', space: sp.space, service: standin.url, serviceDid: standin.did, gateway: standin.url, listTtlMs: 0 } }
    const src = join(dir, 'src')
    await mkdir(src)
    const big = Buffer.alloc(2 * 1024 * 1024 + 5)
    for (let i = 0; i < big.length; i += 1000) big[i] = (i / 1000) % 253
    await writeFile(join(src, 'big.bin'), big)
    await writeFile(join(src, 'note.txt'), 'hello storacha\n')
    const daemonDir = join(dir, 'daemon')
    await mkdir(daemonDir)
    let listing: string[] = []
    const cids: Record<string, string> = {}
    await within(await startMount({ dir: daemonDir, mounts, env }), async (s) => {
      await clean('cp', [join(src, 'big.bin'), join(src, 'note.txt'), s])
      await mkdir(join(s, 'album'))
      await clean('cp', [join(src, 'note.txt'), join(s, 'album', 'a.txt')])
      await writeFile(join(s, 'tmp.txt'), 'removed soon')
      await rm(join(s, 'tmp.txt'))
      listing = (await readdir(s)).sort()
      assert.equal(listing, ['album', 'big.bin', 'note.txt'])
      assert.equal(await readdir(join(s, 'album')), ['a.txt'])
      assert.is(await sha256(join(s, 'big.bin')), await sha256(join(src, 'big.bin')))
      assert.is(await readFile(join(s, 'album', 'a.txt'), 'utf8'), 'hello storacha\n')
      for (const n of listing) cids[n] = (await ok('getfattr', ['--only-values', '-n', 'user.ipfs.cid', join(s, n)])).trim()
    })
    await within(await startMount({ dir: daemonDir, mounts, env }), async (s) => {
      assert.equal((await readdir(s)).sort(), listing, 'the same names after a restart')
      assert.is(await sha256(join(s, 'big.bin')), await sha256(join(src, 'big.bin')))
    })
    // Another machine's view: no name map, no local blocks. Uploads show under their root CIDs.
    const freshDir = join(dir, 'fresh')
    await mkdir(freshDir)
    await within(await startMount({ dir: freshDir, mounts, env }), async (s) => {
      assert.equal((await readdir(s)).sort(), Object.values(cids).sort(), 'uploads made elsewhere appear as their root CID')
      assert.is(await sha256(join(s, cids['big.bin'] as string)), await sha256(join(src, 'big.bin')), 'read through the gateway, same bytes')
      assert.is(await readFile(join(s, cids.album as string, 'a.txt'), 'utf8'), 'hello storacha\n')
    })
  } finally {
    await standin.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
