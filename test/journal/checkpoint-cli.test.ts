/**
 * Checkpoints end to end: the real CLI against a mounted daemon. Checkpoint → change through the
 * mount with cp, rm, chmod and a write → `checkpoint diff` prints exactly those changes →
 * `restore` → `diff -r` against the original, and modes and mtimes equal; restore into /ipfs and
 * into another local mount.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { withMount } from '../support/mount.ts'
import { assertSameTree, listing, ok } from '../support/tools.ts'
import { cli, cliOk, makeFixture, NO_KERNEL_CACHE } from './cli-support.ts'

const test = suite<{ dir: string; fixture: string; other: string }>('checkpoint-cli', { dir: '', fixture: '', other: '' })
test.before(async (c) => {
  c.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-cpcli-'))
  c.fixture = join(c.dir, 'fixture')
  c.other = join(c.dir, 'other')
  await mkdir(c.other)
  await makeFixture(c.fixture)
})
test.after(async (c) => {
  await rm(c.dir, { recursive: true, force: true })
})

test('checkpoint, change with cp/rm/chmod/>>, diff shows exactly that, restore gives back bytes, modes and mtimes; restore into /ipfs and /other', async (c) => {
  await withMount({ entry: 'cli', mounts: { '/ipfs': { type: 'ipfs' }, '/other': { type: 'local', root: c.other } }, config: NO_KERNEL_CACHE }, async (m) => {
    const proj = join(m.mountpoint, 'local/proj')
    await ok('cp', ['-a', `${c.fixture}/.`, proj])
    const before = await listing(proj)
    assert.is(before, await listing(c.fixture), 'cp -a kept everything')

    const created = JSON.parse(await cliOk(m, ['checkpoint', 'create', '/local/proj', '--label', 'base', '--json'])) as { id: number; roots: Record<string, string> }
    assert.is(created.id, 1)
    assert.match(created.roots['/local/proj'] ?? '', /^bafy/)
    assert.match(await cliOk(m, ['checkpoint', 'list']), /^checkpoint 1 \(base\) .* at #\d+\n {2}\/local\/proj bafy/)

    // Changes through the mount, with ordinary tools.
    await writeFile(join(c.dir, 'new.txt'), 'brand new\n')
    await ok('cp', [join(c.dir, 'new.txt'), join(proj, 'src/new.txt')])
    await ok('rm', [join(proj, 'src/lib/data.bin')])
    await ok('chmod', ['644', join(proj, 'src/run.sh')])
    await ok('sh', ['-c', `echo more >> "${join(proj, 'README')}"`])
    await ok('rm', ['-r', join(proj, 'empty-dir')])

    assert.is(await cliOk(m, ['checkpoint', 'diff', 'base', 'current']), ['M /local/proj/README', 'D /local/proj/empty-dir', 'D /local/proj/src/lib/data.bin', 'A /local/proj/src/new.txt', 'M /local/proj/src/run.sh', ''].join('\n'))

    const restored = JSON.parse(await cliOk(m, ['restore', 'base', '--delete', '--json'])) as { files: number; deleted: number; unchanged: number }
    assert.is(restored.files, 3, 'README, run.sh and data.bin written again')
    assert.is(restored.deleted, 1, 'new.txt removed')
    assert.is(restored.unchanged, 2, 'main.c and the link left alone')
    await assertSameTree(c.fixture, proj)
    assert.is(await listing(proj), before, 'modes and mtimes (folders too) as at the checkpoint')
    assert.is(await cliOk(m, ['checkpoint', 'diff', '1', 'current']), '')

    // Into other mounts: the whole recorded path, or one folder of it.
    await cliOk(m, ['restore', 'base', '--path', '/local/proj', '--target', '/ipfs/proj'])
    await assertSameTree(c.fixture, join(m.mountpoint, 'ipfs/proj'))
    assert.is(await listing(join(m.mountpoint, 'ipfs/proj')), before)
    await cliOk(m, ['checkpoint', 'restore', '1', '--path', '/local/proj/src', '--target', '/other/src-copy'])
    await assertSameTree(join(c.fixture, 'src'), join(c.other, 'src-copy'))
    assert.is(await listing(join(c.other, 'src-copy')), await listing(join(c.fixture, 'src')))

    // Errors: one line, non-zero.
    const missing = await cli(m, ['restore', '7'])
    assert.is(missing.code, 1)
    assert.match(missing.stderr, /ENOENT: no checkpoint 7/)
    const outside = await cli(m, ['restore', 'base', '--path', '/other'])
    assert.match(outside.stderr, /ENOENT: \/other is not in checkpoint 1/)
    const usage = await cli(m, ['checkpoint', 'diff', 'base'])
    assert.is(usage.code, 2)

    // No paths: every writable mount. Not on a terminal: no progress bar, stderr stays empty.
    const all = await cli(m, ['checkpoint', 'create'])
    assert.is(all.stderr, '')
    assert.match(all.stdout, /^checkpoint 2 .*\n {2}\/ipfs bafy\w+\n {2}\/local bafy\w+\n {2}\/other bafy\w+\n$/)
  })
})

test.run()
