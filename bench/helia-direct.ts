// The /ipfs section's baseline: @helia/unixfs used directly on a fresh on-disk Helia repository
// (openHeliaEngine, the engine the daemon uses), with the daemon's import settings
// (src/mounts/ipfs/import-settings.ts, mtime stored as the daemon does with preserveMtime on).
// One phase per process (bench/run.ts drops the page caches between them). Prints one JSON line.
//   node bench/helia-direct.ts write <repo> <MiB>            addByteStream of <MiB> 1 MiB blocks
//   node bench/helia-direct.ts read <repo> <cid>             cat to the end (offline)
//   node bench/helia-direct.ts files <repo> <count> <bytes>  per file: addBytes, then cp into one
//                                                            directory CID (what the mount does per
//                                                            file: import, then edit its folder)
// Opening the repository is not timed.
import { unixfs } from '@helia/unixfs'
import { CID } from 'multiformats/cid'
import { openHeliaEngine } from '../src/mounts/ipfs/index.ts'
import { directoryEditOptions, fileImportOptions, KUBO_UNIXFS_V1_2025, toMtime } from '../src/mounts/ipfs/import-settings.ts'
import { baseBlock, stamp } from './data.ts'

const now = (): number => performance.now() / 1000
const settings = KUBO_UNIXFS_V1_2025
const mtime = () => toMtime(BigInt(Date.now()) * 1_000_000n)

async function main(): Promise<Record<string, number | string>> {
  const [phase, repo, arg, arg2] = process.argv.slice(2)
  if (!phase || !repo) throw new Error('usage: helia-direct.ts <phase> <repo> ...')
  const engine = await openHeliaEngine({ dir: repo })
  const fs = unixfs(engine.helia)
  try {
    switch (phase) {
      case 'write': {
        const n = Number(arg)
        const buf = baseBlock()
        async function* blocks(): AsyncGenerator<Uint8Array> {
          // A fresh buffer per block, as a read stream gives the daemon: the importer keeps what it
          // is given until the block is hashed and stored (reusing one buffer ran at ~11 MB/s and
          // stored wrong bytes).
          for (let i = 0; i < n; i++) yield Buffer.from(stamp(buf, i))
        }
        const t0 = now()
        const cid = await fs.addByteStream(blocks(), fileImportOptions(settings, { mtime: mtime() }))
        return { seconds: now() - t0, bytes: n * buf.byteLength, cid: cid.toString() }
      }
      case 'read': {
        const cid = CID.parse(arg!)
        let bytes = 0
        const t0 = now()
        for await (const chunk of fs.cat(cid, { offline: true })) bytes += chunk.byteLength
        return { seconds: now() - t0, bytes }
      }
      case 'files': {
        const n = Number(arg)
        const base = baseBlock(Number(arg2))
        const editOpts = directoryEditOptions(settings)
        const t0 = now()
        let dir = await fs.addDirectory({ mtime: mtime() })
        for (let i = 0; i < n; i++) {
          const cid = await fs.addBytes(stamp(base, i), fileImportOptions(settings, { mtime: mtime() }))
          dir = await fs.cp(cid, dir, `f${String(i).padStart(6, '0')}`, editOpts)
        }
        return { seconds: now() - t0, ops: n, cid: dir.toString() }
      }
      default:
        throw new Error(`unknown phase ${phase}`)
    }
  } finally {
    await engine.close()
  }
}

process.stdout.write(`${JSON.stringify(await main())}\n`)
