// The bytes the /ipfs section writes, identical in every process: /ipfs and Helia deduplicate
// identical blocks, so every 1 MiB block and every small file differs (a seeded pseudo-random
// base with its index stamped in front).

const MiB = 1 << 20

/** A fresh copy of the pseudo-random base (xorshift32, fixed seed). */
export function baseBlock(size = MiB): Buffer {
  const buf = Buffer.allocUnsafe(size)
  let x = 0x2545f491
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    buf.writeUInt32LE(x >>> 0, i)
  }
  return buf
}

/** Stamps `index` into the first 8 bytes of `buf` (in place) and returns it. */
export function stamp(buf: Buffer, index: number): Buffer {
  buf.writeBigUInt64LE(BigInt(index), 0)
  return buf
}
