/**
 * The writer of the crash test: writes files of random size and content into DIR (inside the
 * mount) and appends `name size sha256` to MANIFEST (outside the mount) only once the file and
 * its folder are fsynced and closed, so the manifest lists exactly what the filesystem
 * acknowledged. Runs until the daemon dies under it (its next call fails) or COUNT files.
 * Usage: crash-writer.ts DIR MANIFEST PREFIX SEED [COUNT]
 */
import { createHash } from 'node:crypto'
import { appendFileSync, closeSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const [dir, manifest, prefix, seedArg, countArg] = process.argv.slice(2) as [string, string, string, string, string | undefined]
const count = Number(countArg ?? 1e9)
let seed = Number(seedArg) >>> 0
function rand(): number {
  // xorshift32: the same seed writes the same files, so a failure can be replayed.
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) / 2 ** 32
}

const manifestFd = openSync(manifest, 'a')
for (let i = 0; i < count; i++) {
  const name = `${prefix}-${i}`
  // Mostly small files, some spanning several FUSE writes, a few several 1 MiB chunks of /ipfs.
  const kind = rand()
  const size = kind < 0.8 ? Math.floor(rand() * 8192) : kind < 0.96 ? Math.floor(rand() * 400_000) : Math.floor(rand() * 3_500_000)
  const words = new Uint32Array(Math.ceil(size / 4))
  for (let w = 0; w < words.length; w++) words[w] = Math.floor(rand() * 2 ** 32)
  const data = Buffer.from(words.buffer, 0, size)
  const fd = openSync(join(dir, name), 'wx')
  for (let o = 0; o < size; ) o += writeSync(fd, data, o, Math.min(65_536, size - o), o)
  fsyncSync(fd)
  closeSync(fd)
  const dfd = openSync(dir, 'r')
  fsyncSync(dfd)
  closeSync(dfd)
  appendFileSync(manifestFd, `${name} ${size} ${createHash('sha256').update(data).digest('hex')}\n`)
  fsyncSync(manifestFd)
}
