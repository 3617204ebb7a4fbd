// The sync section of `npm run bench` (BENCH_SECTIONS=sync): `sync.toIpfs` of a tree of
// BENCH_SYNC_FILES (default BENCH_FILES, 10000) files of 1 KiB in folders of 100, on /local of a
// mounted ipfs-vfs daemon, called through its control socket (what `ipfs-vfs sync to-ipfs` does,
// without the CLI's process start). First sync (every file read and imported) against an
// incremental re-sync after one file changed (one file read; every other file stat'ed and found
// in the index; folders rebuilt), BENCH_ROUNDS times (median). Target: re-sync <= 5% of the first.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { callDaemon } from '../src/control/client.ts'
import { controlSocketPath } from '../src/control/protocol.ts'
import { startMount } from '../test/support/mount.ts'

const FILES = Number(process.env.BENCH_SYNC_FILES ?? process.env.BENCH_FILES ?? 10000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const PER_DIR = 100
const TARGET = 0.05

interface SyncResult {
  cid: string
  files: number
  bytes: number
  reused: number
}

function median(vs: number[]): number {
  const s = [...vs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export async function syncSection(scratch: string, stops: (() => Promise<void>)[], log: (s: string) => void): Promise<string[]> {
  const dir = join(scratch, 'sync')
  await mkdir(dir)
  const m = await startMount({ dir })
  stops.push(async () => {
    const code = await m.stop()
    if (code !== 0) process.stderr.write(`ipfs-vfs daemon (sync) exited with ${code}\n${m.logs()}`)
  })
  log(`sync: writing ${FILES} files of 1 KiB`)
  const tree = join(m.localRoot, 'tree')
  const body = Buffer.alloc(1024, 0x61)
  for (let d = 0; d * PER_DIR < FILES; d++) {
    await mkdir(join(tree, `d${d}`), { recursive: true })
    const n = Math.min(PER_DIR, FILES - d * PER_DIR)
    await Promise.all(Array.from({ length: n }, (_, i) => writeFile(join(tree, `d${d}`, `f${i}`), body)))
  }
  const socket = controlSocketPath(m.stateDir)
  const sync = async (): Promise<{ r: SyncResult; s: number }> => {
    const t = performance.now()
    const r = (await callDaemon(socket, 'sync.toIpfs', { path: '/local/tree' })) as SyncResult
    return { r, s: (performance.now() - t) / 1000 }
  }
  log('sync: first sync')
  const first = await sync()
  if (first.r.files !== FILES || first.r.reused !== 0) throw new Error(`first sync: ${JSON.stringify(first.r)}`)
  const again: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    log(`sync: round ${round + 1}/${ROUNDS}: one file changed, re-sync`)
    await writeFile(join(tree, 'd0', 'f0'), `changed ${round}\n`)
    const r = await sync()
    if (r.r.reused !== FILES - 1 || r.r.cid === first.r.cid) throw new Error(`re-sync: ${JSON.stringify(r.r)}`)
    again.push(r.s)
  }
  const re = median(again)
  const ratio = re / first.s
  return [
    `sync to-ipfs of ${FILES} files of 1 KiB (/local, through the daemon's control socket)`,
    `  first sync                 ${first.s.toFixed(2)} s (${(FILES / first.s).toFixed(0)} files/s)`,
    `  re-sync, one file changed  ${re.toFixed(2)} s (median of ${ROUNDS})`,
    `  re-sync / first            ${(ratio * 100).toFixed(1)}% (target <= ${TARGET * 100}%: ${ratio <= TARGET ? 'met' : 'NOT met'})`,
  ]
}
