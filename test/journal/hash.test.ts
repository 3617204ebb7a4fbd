/**
 * The journal's content hash (src/vfs/content-hash.ts: XXH3-64, seed 0, 16 hex digits) and the
 * running hash of write sessions (src/vfs/write-session.ts): digests mid-stream and at the end
 * equal a one-shot XXH3-64 of the same bytes; out-of-order writes give up (undefined), and a
 * staged file (src/vfs/staging.ts) then reads itself back and still gets the right hash.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { xxh3 } from '@node-rs/xxhash'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ContentHash, contentHash, hashFile, hashRead } from '../../src/vfs/content-hash.ts'
import { Staging } from '../../src/vfs/staging.ts'
import { SequentialHash } from '../../src/vfs/write-session.ts'

const test = suite('content hash')

/** The reference: @node-rs/xxhash's one-shot XXH3-64, as 16 hex digits. */
const ref = (b: Uint8Array | string) => xxh3.xxh64(b, 0n).toString(16).padStart(16, '0')

test('XXH3-64 seed 0: the published vector for no bytes, 16 hex digits, zero-padded', () => {
  assert.is(contentHash(new Uint8Array(0)), '2d06800538d394c2')
  assert.is(new ContentHash().digest(), '2d06800538d394c2')
  // Some input whose hash is below 2^60 (1 in 16): its hex must still be 16 digits.
  let i = 0
  while (xxh3.xxh64(`x${i}`, 0n) >= 1n << 60n) i++
  const hex = contentHash(`x${i}`)
  assert.is(hex.length, 16)
  assert.is(hex[0], '0')
  assert.is(BigInt(`0x${hex}`), xxh3.xxh64(`x${i}`, 0n))
})

const CASES: [string, number[]][] = [
  ['small writes', [100, 4096, 7, 8192]],
  ['FUSE-sized writes with a partial tail', [40_000, 131_072, 131_072, 7]],
  ['MiB writes', [1 << 20, 1 << 20, 5]],
  ['one large write, then small ones', [3 << 20, 100, 131_072]],
]

for (const [name, sizes] of CASES) {
  test(`${name}: equal to a one-shot XXH3-64 of the bytes, also mid-stream`, () => {
    const h = new SequentialHash()
    const stream = xxh3.Xxh3.withSeed(0n)
    const all: Buffer[] = []
    let pos = 0
    for (const n of sizes) {
      const b = randomBytes(n)
      h.update(b, pos)
      stream.update(b)
      all.push(b)
      pos += n
      const whole = Buffer.concat(all)
      assert.is(h.digest(pos), ref(whole))
      assert.is(h.digest(pos), stream.digest().toString(16).padStart(16, '0'))
    }
    assert.is(h.digest(pos + 1), undefined, 'a size other than what was hashed')
  })
}

test('a write out of order gives up (seek back, hole, truncate to the middle); truncate to 0 starts again', () => {
  const h = new SequentialHash()
  h.update(Buffer.from('abc'), 0)
  h.update(Buffer.from('x'), 10)
  assert.is(h.digest(11), undefined, 'a hole')
  h.update(Buffer.from('y'), 11)
  assert.is(h.digest(12), undefined, 'stays given up')
  h.truncate(0)
  h.update(Buffer.from('abc'), 0)
  assert.is(h.digest(3), ref('abc'))
  h.truncate(3)
  h.update(Buffer.from('d'), 3)
  assert.is(h.digest(4), ref('abcd'), 'truncate to the current end keeps it')
  h.update(Buffer.from('Z'), 1)
  assert.is(h.digest(4), undefined, 'a seek back')
  const t = new SequentialHash()
  t.update(Buffer.from('abcdef'), 0)
  t.truncate(2)
  assert.is(t.digest(2), undefined, 'a truncate to the middle')
})

test('hashRead and hashFile: a reader range and a whole file; a reader that ends early gives no hash', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'content-hash-'))
  try {
    const data = randomBytes(3 * (1 << 20) + 123)
    const file = join(dir, 'f')
    await writeFile(file, data)
    assert.is(await hashFile(file), ref(data))
    const read = async (b: Uint8Array, p: number) => {
      const n = Math.min(b.length, data.length - p)
      b.set(data.subarray(p, p + n))
      return n
    }
    assert.is(await hashRead(read, data.length), ref(data))
    assert.is(await hashRead(read, 1000), ref(data.subarray(0, 1000)), 'the first 1000 bytes')
    assert.is(await hashRead(read, data.length + 1), undefined, 'the reader ends before size')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a staged file written out of order reads itself back: the right hash, never a wrong one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'content-hash-'))
  const staging = new Staging(dir)
  const meta = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 0n, atimeNs: 0n }
  const staged = await staging.create(meta)
  try {
    const data = randomBytes(300_000)
    // The second half first, then the first: the running hash gives up.
    await staged.write(data.subarray(150_000), 150_000)
    await staged.write(data.subarray(0, 150_000), 0)
    assert.is(staged.hash.digest(data.length), undefined)
    assert.is(await staged.contentHash(), ref(data))
    // A rewrite in the middle after that: read back again, not the cached digest.
    const patch = Buffer.from('patched')
    await staged.write(patch, 1000)
    patch.copy(data, 1000)
    assert.is(await staged.contentHash(), ref(data))
    // In order from a truncate to 0: the running hash again.
    await staged.truncate(0)
    await staged.write(data.subarray(0, 5000), 0)
    assert.is(staged.hash.digest(5000), ref(data.subarray(0, 5000)))
    assert.is(await staged.contentHash(), ref(data.subarray(0, 5000)))
  } finally {
    await staged.discard()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
