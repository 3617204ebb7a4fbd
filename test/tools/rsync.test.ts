/**
 * rsync through the mount: a tree copied in with -a --checksum and back out is identical, and a
 * second `rsync -a --itemize-changes` has nothing to do. That second run compares size and mtime
 * only, so it fails on any lost nanosecond, mode or time of a folder (broken utimens).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CAN, TARGETS, assertSameTree, listing, makeTree, ok, onMount } from '../support/tools.ts'

const test = suite('tools: rsync')

for (const t of TARGETS) {
  test(`rsync -a --checksum into /${t} and back out: same tree; a second rsync transfers nothing`, () =>
    onMount(async ({ at, native, store }) => {
      const src = join(native, 'src')
      await makeTree(src, { symlinks: CAN[t].symlinks, hardLinks: false })
      const dst = join(at(t), 'dst')
      const back = join(native, 'back')
      await ok('rsync', ['-a', '--checksum', `${src}/`, `${dst}/`])
      await ok('rsync', ['-a', '--checksum', `${dst}/`, `${back}/`])
      await ok('rsync', ['-a', '--checksum', `${src}/`, `${native}/dst/`])
      await assertSameTree(src, dst)
      await assertSameTree(src, back)
      const want = await listing(src)
      assert.is(await listing(join(native, 'dst')), want, 'natively, rsync -a keeps every time')
      assert.is(await listing(dst), want)
      assert.is(await listing(back), want)
      assert.is(await listing(join(await store(t), 'dst')), await listing(src, { readOnly: t === 'ipfs' }), 'what the store holds')

      assert.is(await ok('rsync', ['-a', '--itemize-changes', `${src}/`, `${dst}/`]), '')
      assert.is(await ok('rsync', ['-a', '--itemize-changes', `${dst}/`, `${back}/`]), '')

      // One file changed natively: exactly that file goes, and then nothing again.
      await writeFile(join(src, 'with space.txt'), 'changed\n')
      await ok('touch', ['-d', '2011-11-11 11:11:11.111111111', 'with space.txt'], { cwd: src })
      assert.is(await ok('rsync', ['-a', '--itemize-changes', `${src}/`, `${dst}/`]), '>f.st...... with space.txt\n')
      assert.is(await readFile(join(dst, 'with space.txt'), 'utf8'), 'changed\n')
      assert.is(await ok('rsync', ['-a', '--itemize-changes', `${src}/`, `${dst}/`]), '')
      assert.is(await listing(dst), await listing(src))
    }))
}

for (const t of TARGETS) {
  test(`rsync -a --delete --inplace inside /${t}: updates in place, deletes, then nothing to do`, () =>
    onMount(async ({ at, native }) => {
      const a = join(at(t), 'a')
      const b = join(at(t), 'b')
      await makeTree(a, { symlinks: false, hardLinks: false })
      await ok('rsync', ['-a', `${a}/`, `${b}/`])
      await mkdir(join(b, 'extra'))
      await writeFile(join(b, 'extra/stale'), 'stale')
      await writeFile(join(a, 'random.bin'), Buffer.alloc(1 << 20, 7))
      const out = await ok('rsync', ['-a', '--delete', '--inplace', '--itemize-changes', `${a}/`, `${b}/`])
      // On /obj rewriting random.bin moved a/'s mtime too (the test store uploads through a
      // temporary name in the same folder), so the two roots' times may already agree there.
      const rootLine = t === 'obj' ? [] : ['.d..t...... ./']
      assert.equal(out.trim().split('\n').filter((l) => t !== 'obj' || l !== '.d..t...... ./').sort(), ['*deleting   extra/', '*deleting   extra/stale', ...rootLine, '>f.st...... random.bin'])
      assert.is(await ok('rsync', ['-a', '--delete', '--itemize-changes', `${a}/`, `${b}/`]), '')
      await ok('rsync', ['-a', `${b}/`, `${native}/b/`])
      await assertSameTree(a, join(native, 'b'))
      assert.is(await listing(b), await listing(a))
    }))
}

test.run()
