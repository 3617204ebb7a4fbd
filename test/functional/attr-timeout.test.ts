/**
 * Hard links through FUSE and the kernel's attribute cache. libfuse 2's high-level API gives
 * every path its own kernel inode, so after a write through one name the other shows its old
 * size until `fuse.attrTimeout` has passed (the functional suite asserts that on the test
 * daemon's default of 1 s). With `attrTimeout: 0` the kernel asks on every access, and the other
 * name is exact at once: checked here through the real `ipfs-vfs mount` with that config.
 */
import { link, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { withMount } from '../support/mount.ts'

test('fuse.attrTimeout 0: a write through one hard link shows through the other at once', () =>
  withMount({ config: { fuse: { attrTimeout: 0 } } }, async (m) => {
    const a = join(m.mountpoint, 'local', 'a')
    const b = join(m.mountpoint, 'local', 'b')
    await writeFile(a, 'short')
    await link(a, b)
    assert.is((await stat(a)).size, 5)
    await writeFile(b, 'much longer content')
    assert.is((await stat(a)).size, 19, 'the size through the other name, at once')
    assert.is(await readFile(a, 'latin1'), 'much longer content')
    await writeFile(a, 'tiny')
    assert.is((await stat(b)).size, 4, 'and back, a shrink through the first name')
    assert.is(await readFile(b, 'latin1'), 'tiny')
  }),
)

test.run()
