/**
 * The running sha256 of write sessions (src/vfs/write-session.ts, src/vfs/hash-worker.ts): small
 * writes hashed inline, large ones on the worker in 1 MiB batches; digests mid-stream and at the
 * end equal a plain sha256 of the same bytes; out-of-order writes give up (undefined).
 */
import { createHash, randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { SequentialHash } from '../../src/vfs/write-session.ts'

const test = suite('sequential hash')

const CASES: [string, number[]][] = [
  ['small writes, inline', [100, 4096, 7, 8192]],
  ['large first write, on the worker, with a partial batch', [40_000, 131_072, 131_072, 7]],
  ['writes of exactly the batch size', [1 << 20, 1 << 20, 5]],
  ['one write larger than a batch, then small ones', [3 << 20, 100, 131_072]],
]

for (const [name, sizes] of CASES) {
  test(`${name}: equal to sha256 of the bytes, also mid-stream`, async () => {
    const h = new SequentialHash()
    const ref = createHash('sha256')
    let pos = 0
    for (const n of sizes) {
      const b = randomBytes(n)
      h.update(b, pos)
      ref.update(b)
      pos += n
      assert.is(await h.digest(pos), ref.copy().digest('hex'))
    }
    assert.is(await h.digest(pos + 1), undefined, 'a size other than what was hashed')
    h.discard()
  })
}

test('a write out of order gives up; truncate to 0 starts again', async () => {
  const h = new SequentialHash()
  h.update(Buffer.from('abc'), 0)
  h.update(Buffer.from('x'), 10)
  assert.is(await h.digest(11), undefined)
  h.truncate(0)
  h.update(Buffer.from('abc'), 0)
  assert.is(await h.digest(3), createHash('sha256').update('abc').digest('hex'))
  h.discard()
})

test.run()
