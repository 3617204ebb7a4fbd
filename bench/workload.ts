// One benchmark phase, run in its own process by bench/run.ts (so that the runner's event loop
// stays free to drain the daemons' pipes while a phase blocks in synchronous calls). Prints one
// JSON line: seconds per timed part. Process start-up is not timed.
//   node bench/workload.ts seqwrite <file> <MiB> [varied]
//                                                    1 MiB writeSync loop, then fsync and close
//                                                    (timed); `varied`: every block differs
//                                                    (bench/data.ts), else all 0x5a
//   node bench/workload.ts seqread <file>            1 MiB readSync loop to EOF
//   node bench/workload.ts randread <file> <count>   4 KiB reads at random 4 KiB-aligned offsets,
//                                                    one FileHandle, one at a time (queue depth 1)
//   node bench/workload.ts files <dir> <count>       create (open O_CREAT|O_WRONLY + close) each,
//                                                    stat each, one readdir, unlink each
//   node bench/workload.ts smallfiles <dir> <count> <bytes>
//                                                    per file: open O_CREAT|O_WRONLY, write
//                                                    <bytes> (each file differs), close
import fs from 'node:fs'
import { open } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { baseBlock, stamp } from './data.ts'

const MiB = 1 << 20
const now = (): number => performance.now() / 1000

/** Deterministic offsets (same sequence on every target): xorshift32. */
function offsets(count: number, blocks: number): number[] {
  let x = 0x9e3779b9
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out.push(((x >>> 0) % blocks) * 4096)
  }
  return out
}

async function main(): Promise<Record<string, number>> {
  const [phase, target, arg, arg2] = process.argv.slice(2)
  if (!phase || !target) throw new Error('usage: workload.ts <phase> <path> [n]')
  const n = Number(arg)
  switch (phase) {
    case 'seqwrite': {
      const varied = arg2 === 'varied'
      const buf = varied ? baseBlock() : Buffer.alloc(MiB, 0x5a)
      const t0 = now()
      const fd = fs.openSync(target, fs.constants.O_CREAT | fs.constants.O_WRONLY | fs.constants.O_TRUNC, 0o644)
      for (let i = 0; i < n; i++) {
        if (varied) stamp(buf, i)
        if (fs.writeSync(fd, buf, 0, MiB) !== MiB) throw new Error('short write')
      }
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      return { seconds: now() - t0, bytes: n * MiB }
    }
    case 'seqread': {
      const buf = Buffer.allocUnsafe(MiB)
      const t0 = now()
      const fd = fs.openSync(target, fs.constants.O_RDONLY)
      let bytes = 0
      for (;;) {
        const r = fs.readSync(fd, buf, 0, MiB, null)
        if (r === 0) break
        bytes += r
      }
      fs.closeSync(fd)
      return { seconds: now() - t0, bytes }
    }
    case 'randread': {
      const size = fs.statSync(target).size
      const offs = offsets(n, Math.floor(size / 4096))
      const buf = Buffer.allocUnsafe(4096)
      const fh = await open(target, 'r')
      const t0 = now()
      for (const off of offs) {
        const { bytesRead } = await fh.read(buf, 0, 4096, off)
        if (bytesRead !== 4096) throw new Error(`short read at ${off}`)
      }
      const seconds = now() - t0
      await fh.close()
      return { seconds, ops: n }
    }
    case 'files': {
      fs.mkdirSync(target, { recursive: true })
      const names = Array.from({ length: n }, (_, i) => `${target}/f${String(i).padStart(6, '0')}`)
      const flags = fs.constants.O_CREAT | fs.constants.O_WRONLY
      let t0 = now()
      for (const p of names) fs.closeSync(fs.openSync(p, flags, 0o644))
      const create = now() - t0
      // Past entry_timeout/attr_timeout (1 s): every stat and unlink below asks the daemon.
      await sleep(1100)
      t0 = now()
      for (const p of names) fs.statSync(p)
      const stat = now() - t0
      t0 = now()
      const listed = fs.readdirSync(target).length
      const readdir = now() - t0
      if (listed !== n) throw new Error(`readdir listed ${listed} of ${n}`)
      await sleep(1100)
      t0 = now()
      for (const p of names) fs.unlinkSync(p)
      const unlink = now() - t0
      fs.rmdirSync(target)
      return { create, stat, readdir, unlink, ops: n }
    }
    case 'smallfiles': {
      fs.mkdirSync(target, { recursive: true })
      const base = baseBlock(Number(arg2))
      const flags = fs.constants.O_CREAT | fs.constants.O_WRONLY
      const t0 = now()
      for (let i = 0; i < n; i++) {
        const fd = fs.openSync(`${target}/f${String(i).padStart(6, '0')}`, flags, 0o644)
        fs.writeSync(fd, stamp(base, i))
        fs.closeSync(fd)
      }
      return { seconds: now() - t0, ops: n }
    }
    default:
      throw new Error(`unknown phase ${phase}`)
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`)
