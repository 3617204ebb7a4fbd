/**
 * cp, mv, tar, appends and dd through the mount, each compared with the same work on a native
 * directory: the trees must diff clean and list the same modes, sizes and nanosecond mtimes.
 * Every scenario runs on /local (passthrough), /obj (whole-object: staged, uploaded on close) and
 * /ipfs (whole-object on embedded Helia; what it holds is read back by root CID).
 */
import { access, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ROOT } from '../support/mount.ts'
import { CAN, TARGETS, type Target, assertSameTree, clean, listing, makeTree, ok, onMount, run, sha256, sha256sum } from '../support/tools.ts'

const test = suite('tools: cp, mv, tar, append, dd')
let scratch = ''
test.before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ipfs-vfs-tools-copy-'))
})
test.after(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function gone(path: string): Promise<boolean> {
  return access(path).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ENOENT',
  )
}

for (const t of TARGETS) {
  const { symlinks, hardLinks } = CAN[t]
  test(`cp -a of a tree on /${t}: diff -r clean, same modes, sizes and mtimes`, () =>
    onMount(async ({ at, native }) => {
      await makeTree(join(native, 'src'), { symlinks, hardLinks })
      for (const dir of [join(native, 'copy'), join(at(t), 'copy')]) {
        await mkdir(dir)
        await clean('cp', ['-a', 'src', dir], { cwd: native })
      }
      await assertSameTree(join(native, 'copy'), join(at(t), 'copy'))
      const want = await listing(join(native, 'copy'))
      assert.is(await listing(join(at(t), 'copy')), want)
      // The listing compared really carries the preserved times (cp -a natively keeps them).
      assert.match(want, /^src\/a\/b\/c\/deep\.txt f 644 5 981173106\.1234567890 $/m)
      if (hardLinks) {
        const [a, b] = (await ok('stat', ['-c', '%h %i', 'hard1', 'hard2'], { cwd: join(at(t), 'copy/src') })).trim().split('\n')
        assert.is(a, b, 'cp -a keeps the hard-link pair as one inode')
        assert.match(a ?? '', /^2 /)
      }
    }))
}

test('/obj refuses symlinks and hard links with EPERM (ln reports it, nothing is left behind)', () =>
  onMount(async ({ at }) => {
    const dir = at('obj')
    await writeFile(join(dir, 'f'), 'x')
    const sym = await run('ln', ['-s', 'f', 'sym'], { cwd: dir })
    assert.is(sym.code, 1)
    assert.match(sym.stderr, /Operation not permitted/)
    const hard = await run('ln', ['f', 'hard'], { cwd: dir })
    assert.is(hard.code, 1)
    assert.match(hard.stderr, /Operation not permitted/)
    assert.is(await listing(dir, { times: false }), 'f f 644 1 - ')
  }))

test('/ipfs keeps symlinks (also dangling ones) and refuses hard links with EPERM', () =>
  onMount(async ({ at }) => {
    const dir = at('ipfs')
    await writeFile(join(dir, 'f'), 'x')
    await clean('ln', ['-s', 'f', 'sym'], { cwd: dir })
    await clean('ln', ['-s', '../nowhere', 'dangling'], { cwd: dir })
    assert.is(await ok('readlink', ['sym', 'dangling'], { cwd: dir }), 'f\n../nowhere\n')
    assert.is(await readFile(join(dir, 'sym'), 'utf8'), 'x')
    const hard = await run('ln', ['f', 'hard'], { cwd: dir })
    assert.is(hard.code, 1)
    assert.match(hard.stderr, /Operation not permitted/)
    assert.is(await listing(dir, { times: false }), 'dangling l 777 10 - ../nowhere\nf f 644 1 - \nsym l 777 1 - f')
  }))

for (const t of TARGETS) {
  test(`mv within /${t}: a file over another, a folder, a folder over an empty one`, () =>
    onMount(async ({ at, native }) => {
      const expected = ['d2 d 755 - - ', 'd2/sub d 755 - - ', 'd2/sub/x f 644 1 - ', 'd4 d 755 - - ', 'd4/y f 644 1 - ', 'f2 f 644 3 - '].join('\n')
      for (const root of [native, at(t)]) {
        const w = join(root, 'w')
        await mkdir(join(w, 'd1/sub'), { recursive: true })
        await mkdir(join(w, 'd3'))
        await mkdir(join(w, 'd4'))
        await writeFile(join(w, 'f1'), 'one')
        await writeFile(join(w, 'f2'), 'two!')
        await writeFile(join(w, 'd1/sub/x'), 'x')
        await writeFile(join(w, 'd3/y'), 'y')
        await ok('touch', ['-d', '2010-01-01 00:00:00.5', 'f1', 'd1/sub/x', 'd3/y'], { cwd: w })
        await clean('mv', ['f1', 'f2'], { cwd: w })
        await clean('mv', ['d1', 'd2'], { cwd: w })
        await clean('mv', ['-T', 'd3', 'd4'], { cwd: w })
        assert.is(await listing(w, { times: false }), expected, root)
        assert.is(await readFile(join(w, 'f2'), 'utf8'), 'one')
      }
      await assertSameTree(join(native, 'w'), join(at(t), 'w'))
      // Files keep their mtimes through a rename (folders' change with their entries).
      assert.is(await listing(join(at(t), 'w'), { dirTimes: false }), await listing(join(native, 'w'), { dirTimes: false }))
    }))
}

const OBJECT_TARGETS: readonly Target[] = ['obj', 'ipfs']

for (const t of OBJECT_TARGETS) {
  test(`mv across mounts, /local and /${t}: rename answers EXDEV, mv copies with modes and mtimes, the source is gone`, () =>
    onMount(async ({ m, at, store }) => {
      await makeTree(join(at('local'), 'tree'), { symlinks: false, hardLinks: false })
      await writeFile(join(at('local'), 'file.txt'), 'moving\n', { mode: 0o640 })
      await ok('touch', ['-d', '2005-05-05 05:05:05.555555555', 'file.txt'], { cwd: at('local') })
      const tree = await listing(join(at('local'), 'tree'))
      const stored = await listing(join(at('local'), 'tree'), { readOnly: t === 'ipfs' })
      const fileStat = await ok('stat', ['-c', '%a %s %Y %y', 'file.txt'], { cwd: at('local') })
      const err = await rename(join(at('local'), 'file.txt'), join(at(t), 'file.txt')).catch((e: NodeJS.ErrnoException) => e)
      assert.is((err as NodeJS.ErrnoException | undefined)?.code, 'EXDEV')

      await clean('mv', [join(at('local'), 'file.txt'), join(at('local'), 'tree'), at(t)])
      assert.ok(await gone(join(at('local'), 'file.txt')))
      assert.ok(await gone(join(at('local'), 'tree')))
      assert.ok(await gone(join(m.localRoot, 'tree')), 'removed from the store behind /local')
      assert.is(await ok('stat', ['-c', '%a %s %Y %y', 'file.txt'], { cwd: at(t) }), fileStat)
      assert.is(await listing(join(at(t), 'tree')), tree)
      assert.is(await listing(join(await store(t), 'tree')), stored, 'uploaded to the store')

      // And back again, /${t} -> /local.
      await clean('mv', [join(at(t), 'tree'), join(at('local'), 'back')])
      assert.ok(await gone(join(at(t), 'tree')))
      assert.ok(await gone(join(await store(t), 'tree')))
      assert.is(await listing(join(at('local'), 'back')), tree)
    }))
}

let tarball = ''
async function packTarball(): Promise<string> {
  if (tarball) return tarball
  tarball = join(scratch, 'uvu.tgz')
  await ok('tar', ['czf', tarball, '-C', join(ROOT, 'node_modules'), 'uvu'])
  return tarball
}

for (const t of TARGETS) {
  test(`tar x of a package on /${t}: same tree and restored mtimes; tar c of it is byte-equal`, () =>
    onMount(async ({ at, native }) => {
      const tgz = await packTarball()
      const dirs = [join(native, 'x'), join(at(t), 'x')]
      for (const dir of dirs) {
        await mkdir(dir)
        await clean('tar', ['xzf', tgz], { cwd: dir })
      }
      await assertSameTree(dirs[0] as string, dirs[1] as string)
      const want = await listing(dirs[0] as string)
      assert.ok(want.split('\n').length > 10, want)
      assert.is(await listing(dirs[1] as string), want)
      // Reading back: an archive of the extracted tree has the same bytes (contents, modes, mtimes).
      const shas: string[] = []
      for (const dir of dirs) {
        const out = join(scratch, `${t}-${shas.length}.tar`)
        await clean('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-cf', out, 'uvu'], { cwd: dir })
        shas.push(await sha256(out))
      }
      assert.is(shas[1], shas[0])
    }))
}

for (const t of TARGETS) {
  test(`>> 100 times on /${t}: byte-equal, in the store too`, () =>
    onMount(async ({ at, native, store }) => {
      const script = 'for i in $(seq 1 100); do echo "line $i" >> app.log; done'
      const expected = Array.from({ length: 100 }, (_, i) => `line ${i + 1}\n`).join('')
      for (const dir of [native, at(t)]) {
        await clean('sh', ['-c', script], { cwd: dir })
        assert.is(await readFile(join(dir, 'app.log'), 'utf8'), expected, dir)
      }
      assert.is(await readFile(join(await store(t), 'app.log'), 'utf8'), expected)
    }))
}

for (const t of TARGETS) {
  test(`dd conv=notrunc at several offsets and a sparse write past EOF on /${t}`, () =>
    onMount(async ({ at, native, store }) => {
      const rnd = join(scratch, `rnd-${t}`)
      await ok('dd', ['if=/dev/urandom', `of=${rnd}`, 'bs=1M', 'count=1', 'iflag=fullblock', 'status=none'])
      const steps = [
        ['of=dd.bin', 'bs=4096', 'count=10'],
        ['of=dd.bin', 'bs=1', 'count=1000', 'skip=5', 'seek=100', 'conv=notrunc'],
        ['of=dd.bin', 'bs=4096', 'count=3', 'skip=20', 'seek=7', 'conv=notrunc'],
        ['of=dd.bin', 'bs=4096', 'count=2', 'skip=30', 'seek=9', 'conv=notrunc'],
        ['of=dd.bin', 'bs=4096', 'count=1', 'skip=40', 'seek=1000', 'conv=notrunc'],
        // Without notrunc dd cuts the file after what it wrote.
        ['of=cut.bin', 'bs=4096', 'count=8'],
        ['of=cut.bin', 'bs=1000', 'count=3', 'skip=7', 'seek=5'],
      ]
      for (const dir of [native, at(t)]) {
        for (const step of steps) await clean('dd', [`if=${rnd}`, ...step, 'status=none'], { cwd: dir })
      }
      const want = await sha256sum(native, ['dd.bin', 'cut.bin'])
      assert.is(await sha256sum(at(t), ['dd.bin', 'cut.bin']), want)
      assert.is(await sha256sum(await store(t), ['dd.bin', 'cut.bin']), want)
      assert.is(await ok('stat', ['-c', '%s', 'dd.bin', 'cut.bin'], { cwd: at(t) }), `${1001 * 4096}\n8000\n`)
    }))
}

let big: { path: string; sha: string } | undefined
async function bigFile(): Promise<{ path: string; sha: string }> {
  if (big) return big
  const path = join(scratch, 'big.bin')
  await ok('dd', ['if=/dev/urandom', `of=${path}`, 'bs=16M', 'count=64', 'iflag=fullblock', 'status=none'])
  big = { path, sha: await sha256(path) }
  return big
}

for (const t of TARGETS) {
  test(`cp of a 1 GiB file into /${t}: same sha256, through the mount and in the store`, () =>
    onMount(async ({ at, store }) => {
      const { path, sha } = await bigFile()
      await clean('cp', [path, join(at(t), 'big.bin')], { timeoutMs: 180_000 })
      assert.is((await stat(join(at(t), 'big.bin'))).size, 1 << 30)
      assert.is(await sha256(join(at(t), 'big.bin')), sha)
      assert.is(await sha256(join(await store(t), 'big.bin')), sha)
    }))
}

test.run()
