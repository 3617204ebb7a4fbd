import { createReadStream } from 'node:fs'
import { xxh3 } from '@node-rs/xxhash'

/**
 * The journal's content hash: XXH3-64 (seed 0) as 16 lower-case hex digits. It tells whether the
 * bytes of a write session or a staged copy changed, it is not a cryptographic digest (stores
 * name their objects by their own hashes). About 8 GB/s streaming here, against ~1.3 GB/s for
 * sha256 with SHA-NI: cheap enough to hash every FUSE write inline, on the event loop.
 */
export const CONTENT_HASH = 'xxh3'

const hex = (v: bigint): string => v.toString(16).padStart(16, '0')

/** A running XXH3-64: `update` with the bytes in order, `digest` at any point (more updates may follow). */
export class ContentHash {
  #h = xxh3.Xxh3.withSeed(0n)

  update(bytes: Uint8Array): this {
    this.#h.update(bytes)
    return this
  }

  digest(): string {
    return hex(this.#h.digest())
  }

  reset(): void {
    this.#h.reset()
  }
}

/** The content hash of bytes in memory. */
export function contentHash(bytes: Uint8Array | string): string {
  return hex(xxh3.xxh64(bytes, 0n))
}

const CHUNK = 1 << 20

/** The content hash of the first `size` bytes that `read(buffer, position)` returns; undefined when it ends before. */
export async function hashRead(read: (buffer: Uint8Array, position: number) => Promise<number>, size: number): Promise<string | undefined> {
  const hash = new ContentHash()
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)))
  for (let position = 0; position < size; ) {
    const bytesRead = await read(buffer.subarray(0, Math.min(buffer.length, size - position)), position)
    if (bytesRead === 0) return undefined
    hash.update(buffer.subarray(0, bytesRead))
    position += bytesRead
  }
  return hash.digest()
}

/** The content hash of a whole local file. */
export function hashFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = new ContentHash()
    createReadStream(file, { highWaterMark: CHUNK })
      .on('data', (d) => hash.update(d as Buffer))
      .on('error', reject)
      .on('end', () => resolve(hash.digest()))
  })
}
