/**
 * `ipfs-vfs sync` end to end: the real CLI against a mounted daemon. A tree copied onto /local
 * with cp -a syncs to the CID @helia/unixfs's addAll gives for the same tree; a second sync reads
 * nothing; `sync from-ipfs` materialises it on another mount with bytes, modes and mtimes; a
 * conflict fails with EEXIST and nothing written; the progress bar shows only on a terminal.
 */
import { execFileSync } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { MemoryBlockstore } from 'blockstore-core'
import type { CID } from 'multiformats/cid'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { syncImportOptions } from '../../src/journal/sync/to-ipfs.ts'
import { toMtime } from '../../src/mounts/ipfs/import-settings.ts'
import { NODE, ROOT, withMount } from '../support/mount.ts'
import { assertSameTree, listing, ok } from '../support/tools.ts'
import { cli, cliOk, makeFixture, NO_KERNEL_CACHE } from './cli-support.ts'

const test = suite<{ dir: string; fixture: string; other: string }>('sync-cli', { dir: '', fixture: '', other: '' })
test.before(async (c) => {
  c.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-synccli-'))
  c.fixture = join(c.dir, 'fixture')
  c.other = join(c.dir, 'other')
  await mkdir(c.other)
  await makeFixture(c.fixture)
})
test.after(async (c) => {
  await rm(c.dir, { recursive: true, force: true })
})

/** The root CID of a host tree through @helia/unixfs addAll: folders first, names in byte order, mode and mtime on each entry. */
async function heliaCid(host: string): Promise<string> {
  const candidates: unknown[] = []
  const visit = async (rel: string): Promise<void> => {
    const p = join(host, rel)
    const st = await lstat(p, { bigint: true })
    const path = rel === '' ? 'root' : `root/${rel}`
    const mtime = toMtime(st.mtimeNs)
    if (st.isDirectory()) {
      candidates.push({ path, mode: Number(st.mode) & 0o7777, mtime })
      for (const n of (await readdir(p)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) await visit(rel === '' ? n : `${rel}/${n}`)
    } else if (st.isSymbolicLink()) candidates.push({ path, link: await readlink(p), mtime })
    else candidates.push({ path, content: await readFile(p), mode: Number(st.mode) & 0o7777, mtime })
  }
  await visit('')
  const fs = unixfs({ blockstore: new MemoryBlockstore() } as unknown as Parameters<typeof unixfs>[0])
  let last: CID | undefined
  for await (const e of fs.addAll(candidates as Parameters<typeof fs.addAll>[0], syncImportOptions())) last = e.cid
  return String(last)
}

test('to-ipfs prints the addAll CID; again reads nothing; from-ipfs onto /other and /ipfs; conflicts; a progress bar only on a terminal', async (c) => {
  await withMount({ entry: 'cli', mounts: { '/ipfs': { type: 'ipfs' }, '/other': { type: 'local', root: c.other } }, config: NO_KERNEL_CACHE }, async (m) => {
    const tree = join(m.mountpoint, 'local/tree')
    await ok('cp', ['-a', `${c.fixture}/.`, tree])
    const cid = (await cliOk(m, ['sync', 'to-ipfs', '/local/tree'])).trim()
    assert.is(cid, await heliaCid(c.fixture))
    const again = JSON.parse(await cliOk(m, ['sync', 'to-ipfs', '/local/tree', '--json'])) as { cid: string; bytes: number; reused: number; files: number }
    assert.equal(again, { cid, files: 4, bytes: 0, reused: 4 })

    const out = await cliOk(m, ['sync', 'from-ipfs', cid, '/other/copy'])
    assert.match(out, /^5 file\(s\), \d+ bytes written/)
    await assertSameTree(c.fixture, join(c.other, 'copy'))
    assert.is(await listing(join(c.other, 'copy')), await listing(c.fixture))
    await cliOk(m, ['sync', 'from-ipfs', cid, '/ipfs/copy'])
    assert.is(await listing(join(m.mountpoint, 'ipfs/copy')), await listing(c.fixture))
    assert.is((await cliOk(m, ['sync', 'to-ipfs', '/ipfs/copy'])).trim(), cid, 'the /ipfs copy is the same tree')

    // A file that differs: fail (default) writes nothing; skip keeps it; overwrite + --delete makes it equal.
    await writeFile(join(c.other, 'copy/README'), 'mine\n')
    await writeFile(join(c.other, 'copy/extra'), 'extra\n')
    const fail = await cli(m, ['sync', 'from-ipfs', cid, '/other/copy'])
    assert.is(fail.code, 1)
    assert.match(fail.stderr, /EEXIST: \/other\/copy\/README exists and differs/)
    assert.is(await readFile(join(c.other, 'copy/README'), 'utf8'), 'mine\n')
    await cliOk(m, ['sync', 'from-ipfs', cid, '/other/copy', '--conflict', 'skip'])
    assert.is(await readFile(join(c.other, 'copy/README'), 'utf8'), 'mine\n')
    const over = JSON.parse(await cliOk(m, ['sync', 'from-ipfs', cid, '/other/copy', '--conflict', 'overwrite', '--delete', '--json'])) as { files: number; deleted: number }
    assert.equal([over.files, over.deleted], [1, 1])
    await assertSameTree(c.fixture, join(c.other, 'copy'))

    const bad = await cli(m, ['sync', 'from-ipfs', cid, '/other/x', '--conflict', 'maybe'])
    assert.is(bad.code, 2)

    // Progress: nothing on stderr without a terminal; a bar with bytes and files on one
    // (script(1) gives the CLI a pseudo-terminal).
    await writeFile(join(tree, 'README'), 'changed\n')
    const quiet = await cli(m, ['sync', 'to-ipfs', '/local/tree'])
    assert.is(quiet.stderr, '')
    await writeFile(join(tree, 'README'), 'changed again\n')
    const cmd = [NODE, join(ROOT, 'src/cli/main.ts'), 'sync', 'to-ipfs', '/local/tree', '--state-dir', m.stateDir].map((a) => `'${a}'`).join(' ')
    const tty = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '120' }, timeout: 60_000 })
    assert.match(tty, /\d+\/4 files/, 'the bar counts files')
    assert.match(tty, /MiB/, 'and bytes')
    assert.match(tty, /bafy\w+/)
  })
})

test.run()
