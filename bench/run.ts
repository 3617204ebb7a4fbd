// `npm run bench`: the same workloads on a native directory, on a minimal fuse-native
// passthrough (bench/passthrough.ts, the ceiling of the binding) and on /local through ipfs-vfs
// (the real CLI, via test/support/mount.ts), in one run; prints one table and the daemons' peak RSS.
//
// Method (identical for every target; each phase runs in its own process, bench/workload.ts).
// Both daemons are mounted for the whole run; BENCH_ROUNDS rounds (default 3), each running
// every phase on native, passthrough, ipfs-vfs in turn; the table gives the median per metric.
//   seq write  1 MiB writeSync blocks into a new file, then fsync: the fsync is inside the timing
//   seq read   caches dropped first (sync; echo 3 > /proc/sys/vm/drop_caches, needs root),
//              then 1 MiB readSync blocks to EOF
//   4k random  right after the seq read (backing file warm in the page cache: this measures the
//              per-op cost of the layer), 4 KiB reads at seeded random 4 KiB-aligned offsets
//              from one FileHandle, one at a time
//   files      create (open O_CREAT|O_WRONLY + close of an empty file) each, stat each, one
//              readdir, unlink each, all in one directory; stat and unlink start 1.1 s after the
//              previous phase so the kernel's 1 s entry/attr caches have expired (every op asks
//              the daemon). readdir is reported as entries/s.
// Then a second section and table, /ipfs against @helia/unixfs used directly and /local (see
// ipfsSection below).
// Knobs: BENCH_SIZE_MB (1024), BENCH_FILES (10000), BENCH_RANDOM_READS (20000), BENCH_ROUNDS (3),
//        BENCH_TARGETS (native,passthrough,ipfs-vfs), BENCH_CPU_PROF=<dir> (--cpu-prof the daemons),
//        BENCH_SECTIONS (local,ipfs,journal,sync,s3: which sections run; s3: see bench/s3.ts), BENCH_IPFS_MB (256), BENCH_IPFS_FILES (2000).
import { execFile, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { detach, isMounted } from '../src/fuse/stale-mount.ts'
import { startMount, waitForLine } from '../test/support/mount.ts'
import { journalSection } from './journal.ts'
import { s3Section } from './s3.ts'
import { syncSection } from './sync.ts'

const ROOT = new URL('..', import.meta.url).pathname
const NODE = process.execPath
const SIZE_MB = Number(process.env.BENCH_SIZE_MB ?? 1024)
const FILES = Number(process.env.BENCH_FILES ?? 10000)
const RANDOM_READS = Number(process.env.BENCH_RANDOM_READS ?? 20000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const ALL_TARGETS = ['native', 'passthrough', 'ipfs-vfs'] as const
const TARGETS = (process.env.BENCH_TARGETS ?? ALL_TARGETS.join(',')).split(',') as Target[]
const CPU_PROF = process.env.BENCH_CPU_PROF
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'local,ipfs,journal,sync,s3').split(',')
const IPFS_MB = Number(process.env.BENCH_IPFS_MB ?? 256)
const IPFS_FILES = Number(process.env.BENCH_IPFS_FILES ?? 2000)

type Target = (typeof ALL_TARGETS)[number]
type Metric = 'seqWrite' | 'seqRead' | 'randRead' | 'create' | 'stat' | 'readdir' | 'unlink'
type Results = Partial<Record<Metric, number>>

interface Site {
  /** Directory the workloads run in. */
  dir: string
  /** Daemon pid (peak RSS), if any. */
  pid?: number
  stop(): Promise<void>
}

const exec = promisify(execFile)

function daemonEnv(name: string): Record<string, string> {
  if (!CPU_PROF) return {}
  return { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${join(CPU_PROF, name)}` }
}

async function workload(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await exec(NODE, [join(ROOT, 'bench/workload.ts'), ...args], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number>
}

async function dropCaches(): Promise<boolean> {
  try {
    await exec('sync')
    await writeFile('/proc/sys/vm/drop_caches', '3\n')
    return true
  } catch {
    return false
  }
}

function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined
  }
}


async function startPassthrough(scratch: string): Promise<Site> {
  const backing = join(scratch, 'pt-backing')
  const mnt = join(scratch, 'pt-mnt')
  await Promise.all([mkdir(backing), mkdir(mnt)])
  const child = spawn(NODE, [join(ROOT, 'bench/passthrough.ts'), backing, mnt], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...daemonEnv('passthrough') },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    const t = await Promise.race([exited.then(() => 'ok'), new Promise((r) => setTimeout(() => r('timeout'), 15_000))])
    if (t === 'timeout') child.kill('SIGKILL')
    if (await isMounted(mnt)) await detach(mnt).catch(() => {})
  }
  try {
    await waitForLine(child, 'mounted ', 20_000)
  } catch (err) {
    await stop()
    throw err
  }
  return { dir: mnt, pid: child.pid, stop }
}

async function startSite(target: Target, scratch: string): Promise<Site> {
  if (target === 'native') {
    const dir = join(scratch, 'native')
    await mkdir(dir)
    return { dir, stop: async () => {} }
  }
  if (target === 'passthrough') return startPassthrough(scratch)
  // Our own folder, not startMount's ipfs-vfs-test-*: scripts/run-tests.ts clears every
  // fuse.ipfs-vfs mount whose line holds 'ipfs-vfs-' that appeared during its run, so a test run
  // alongside the bench would detach this mount.
  const dir = join(scratch, 'vfs')
  await mkdir(dir)
  const m = await startMount({ dir, env: daemonEnv('ipfs-vfs') })
  return {
    dir: join(m.mountpoint, 'local'),
    pid: m.child.pid,
    stop: async () => {
      const code = await m.stop()
      if (code !== 0) process.stderr.write(`ipfs-vfs daemon exited with ${code}\n${m.logs()}`)
    },
  }
}

/** Runs the phases of one round on one target, appending to its results. */
async function runRound(target: Target, site: Site, into: Results[], log: (s: string) => void): Promise<void> {
  const results: Results = {}
  const file = join(site.dir, 'big')
  const w = await workload(['seqwrite', file, String(SIZE_MB)])
  results.seqWrite = w.bytes! / w.seconds! / 1e6
  await dropCaches()
  const r = await workload(['seqread', file])
  results.seqRead = r.bytes! / r.seconds! / 1e6
  const rr = await workload(['randread', file, String(RANDOM_READS)])
  results.randRead = rr.ops! / rr.seconds!
  await rm(file)
  const f = await workload(['files', join(site.dir, 'many'), String(FILES)])
  results.create = FILES / f.create!
  results.stat = FILES / f.stat!
  results.readdir = FILES / f.readdir!
  results.unlink = FILES / f.unlink!
  into.push(results)
  log(`  ${target.padEnd(11)} ${ROWS.map(([k]) => `${k} ${fmt(results[k])}`).join(', ')}`)
}

const ROWS: [Metric, string][] = [
  ['seqWrite', `seq write ${SIZE_MB} MiB, 1 MiB blocks + fsync (MB/s)`],
  ['seqRead', `seq read ${SIZE_MB} MiB, 1 MiB blocks, cold (MB/s)`],
  ['randRead', `4k random read x${RANDOM_READS}, warm (ops/s)`],
  ['create', `create x${FILES} (ops/s)`],
  ['stat', `stat x${FILES} (ops/s)`],
  ['readdir', `readdir of ${FILES} (entries/s)`],
  ['unlink', `unlink x${FILES} (ops/s)`],
]

function median<K extends string>(rs: Partial<Record<K, number>>[] | undefined, k: K): number | undefined {
  const vs = (rs ?? []).map((r) => r[k]).filter((v): v is number => v !== undefined).sort((a, b) => a - b)
  if (vs.length === 0) return undefined
  const mid = vs.length >> 1
  return vs.length % 2 ? vs[mid] : (vs[mid - 1]! + vs[mid]!) / 2
}

function fmt(v: number | undefined): string {
  if (v === undefined) return '-'
  return v >= 100 ? v.toFixed(0) : v.toFixed(1)
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`
}

/** The native / passthrough / ipfs-vfs (/local) section: one table. */
async function localSection(scratch: string, stops: (() => Promise<void>)[], log: (s: string) => void): Promise<string[]> {
  const sites: Partial<Record<Target, Site>> = {}
  const rounds: Partial<Record<Target, Results[]>> = {}
  const rss: Partial<Record<Target, number | undefined>> = {}
  const fsInfo = await statfs(scratch)
  const need = SIZE_MB * 2 ** 20 * 1.1
  if (fsInfo.bavail * fsInfo.bsize < need) throw new Error(`${scratch}: less than ${SIZE_MB} MiB free`)
  for (const target of TARGETS) {
    if (!ALL_TARGETS.includes(target)) throw new Error(`unknown target ${target} (BENCH_TARGETS: ${ALL_TARGETS.join(',')})`)
  }
  // Both daemons stay mounted for the whole section and the targets take turns within each round,
  // so a slow spell of this (shared, virtual) machine hits every target alike.
  for (const target of TARGETS) {
    const site = await startSite(target, scratch)
    sites[target] = site
    stops.push(() => site.stop())
  }
  for (let round = 1; round <= ROUNDS; round++) {
    log(`round ${round}/${ROUNDS}`)
    for (const target of TARGETS) await runRound(target, sites[target]!, (rounds[target] ??= []), log)
  }
  for (const target of TARGETS) rss[target] = peakRssMiB(sites[target]?.pid)

  const head = ['metric', 'native', 'passthrough', 'ipfs-vfs', 'vfs/passthrough', 'vfs/native']
  const rows = ROWS.map(([k, label]) => {
    const n = median(rounds.native, k)
    const p = median(rounds.passthrough, k)
    const v = median(rounds['ipfs-vfs'], k)
    return [label, fmt(n), fmt(p), fmt(v), ratio(v, p), ratio(v, n)]
  })
  const out = table(head, rows)
  out.push('')
  out.push(`peak RSS (VmHWM): passthrough ${fmt(rss.passthrough)} MiB, ipfs-vfs daemon ${fmt(rss['ipfs-vfs'])} MiB`)
  // Paired ratios: within a round the targets ran back to back, so a slow spell of the machine
  // hits both; the verdict takes the median of these.
  out.push('ipfs-vfs/passthrough, paired per round (target >= 0.8x):')
  for (const k of ['seqWrite', 'seqRead', 'create'] as Metric[]) {
    const paired = (rounds['ipfs-vfs'] ?? []).flatMap((r, i) => {
      const p = rounds.passthrough?.[i]?.[k]
      return r[k] === undefined || p === undefined ? [] : [{ [k]: r[k] / p }]
    })
    const m = median(paired, k)
    const verdict = m === undefined ? '-' : m >= 0.8 ? 'ok' : 'BELOW 0.8'
    out.push(`  ${k.padEnd(8)} ${paired.map((r) => ratio(r[k], 1)).join(' ')}  median ${ratio(m, 1)} ${verdict}`)
  }
  out.push(`${ROUNDS} rounds, median per metric`)
  return out
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
}

// The /ipfs section: the same bytes written and read through /ipfs, through /local (one daemon
// with both mounts) and with @helia/unixfs directly (bench/helia-direct.ts, a fresh on-disk repo
// per round), each phase in its own process, BENCH_ROUNDS interleaved rounds, medians.
//   write  BENCH_IPFS_MB (256) 1 MiB blocks, every block different (bench/data.ts); through the
//          mount: writeSync loop + fsync + close (the fsync imports the file into Helia); direct:
//          addByteStream of the same blocks
//   read   page caches dropped first; 1 MiB readSync to EOF / cat to the end
//   files  BENCH_IPFS_FILES (2000) files of 1 KiB in one new folder; through the mount: open
//          O_CREAT + write + close each; direct: addBytes + cp into the folder's CID each (the
//          per-file import and folder edit the mount has to do; `addAll` of the whole batch
//          would import one directory once, which a mount cannot know to do)
type IpfsTarget = 'helia' | 'ipfs' | 'local'
type IpfsMetric = 'write' | 'read' | 'files'
const IPFS_TARGETS: IpfsTarget[] = ['helia', 'ipfs', 'local']
const SMALL_BYTES = 1024

async function heliaDirect(args: string[]): Promise<Record<string, number | string>> {
  const { stdout } = await exec(NODE, [join(ROOT, 'bench/helia-direct.ts'), ...args], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number | string>
}

async function ipfsRound(target: IpfsTarget, base: string, round: number): Promise<Record<IpfsMetric, number>> {
  if (target === 'helia') {
    const repo = join(base, `helia-${round}`)
    try {
      const w = await heliaDirect(['write', repo, String(IPFS_MB)])
      await dropCaches()
      const r = await heliaDirect(['read', repo, w.cid as string])
      if (r.bytes !== w.bytes) throw new Error(`helia read ${r.bytes} of ${w.bytes} bytes`)
      const f = await heliaDirect(['files', repo, String(IPFS_FILES), String(SMALL_BYTES)])
      return { write: (w.bytes as number) / (w.seconds as number) / 1e6, read: (r.bytes as number) / (r.seconds as number) / 1e6, files: IPFS_FILES / (f.seconds as number) }
    } finally {
      await rm(repo, { recursive: true, force: true })
    }
  }
  const file = join(base, 'big')
  const w = await workload(['seqwrite', file, String(IPFS_MB), 'varied'])
  await dropCaches()
  const r = await workload(['seqread', file])
  if (r.bytes !== w.bytes) throw new Error(`${target} read ${r.bytes} of ${w.bytes} bytes`)
  await rm(file)
  // A new folder per round, left in place (unlinking 2,000 entries is not what is measured).
  const f = await workload(['smallfiles', join(base, `many-${round}`), String(IPFS_FILES), String(SMALL_BYTES)])
  return { write: w.bytes! / w.seconds! / 1e6, read: r.bytes! / r.seconds! / 1e6, files: IPFS_FILES / f.seconds! }
}

async function ipfsSection(scratch: string, stops: (() => Promise<void>)[], log: (s: string) => void): Promise<string[]> {
  const fsInfo = await statfs(scratch)
  const need = IPFS_MB * 2 ** 20 * 4
  if (fsInfo.bavail * fsInfo.bsize < need) throw new Error(`${scratch}: less than ${4 * IPFS_MB} MiB free`)
  const dir = join(scratch, 'vfs-ipfs')
  await mkdir(dir)
  const m = await startMount({ dir, mounts: { '/ipfs': { type: 'ipfs' } }, env: daemonEnv('ipfs-vfs-ipfs') })
  stops.push(async () => {
    const code = await m.stop()
    if (code !== 0) process.stderr.write(`ipfs-vfs daemon exited with ${code}\n${m.logs()}`)
  })
  const bases: Record<IpfsTarget, string> = { helia: join(scratch, 'helia'), ipfs: join(m.mountpoint, 'ipfs'), local: join(m.mountpoint, 'local') }
  await mkdir(bases.helia)
  const rounds: Record<IpfsTarget, Record<IpfsMetric, number>[]> = { helia: [], ipfs: [], local: [] }
  for (let round = 1; round <= ROUNDS; round++) {
    log(`ipfs round ${round}/${ROUNDS}`)
    for (const target of IPFS_TARGETS) {
      const r = await ipfsRound(target, bases[target], round)
      rounds[target].push(r)
      log(`  ${target.padEnd(6)} write ${fmt(r.write)} MB/s, read ${fmt(r.read)} MB/s, files ${fmt(r.files)}/s`)
    }
  }
  const rss = peakRssMiB(m.child.pid)
  const med = (t: IpfsTarget, k: IpfsMetric) => median(rounds[t], k)
  const paired = (k: IpfsMetric) => median(rounds.ipfs.map((r, i) => ({ [k]: r[k] / rounds.helia[i]![k] })), k)
  const labels: [IpfsMetric, string, boolean][] = [
    ['write', `seq write ${IPFS_MB} MiB, 1 MiB blocks (+ fsync, close) (MB/s)`, true],
    ['read', `seq read ${IPFS_MB} MiB, 1 MiB blocks, cold (MB/s)`, true],
    ['files', `create ${IPFS_FILES} x ${SMALL_BYTES} B files in one folder (files/s)`, false],
  ]
  const rows = labels.map(([k, label, target]) => {
    const p = paired(k)
    const verdict = !target || p === undefined ? '(no target)' : p >= 0.8 ? 'ok' : 'BELOW 0.8'
    return [label, fmt(med('helia', k)), fmt(med('ipfs', k)), fmt(med('local', k)), ratio(p, 1), verdict]
  })
  const out = table(['metric', 'helia direct', '/ipfs', '/local', '/ipfs ÷ helia', 'vs 0.8x'], rows)
  out.push('')
  out.push(`/ipfs ÷ helia: median of the per-round ratios; peak RSS of the /ipfs+/local daemon ${fmt(rss)} MiB`)
  out.push(`${ROUNDS} rounds, median per metric`)
  return out
}

async function main(): Promise<number> {
  for (const s of SECTIONS) if (s !== 'local' && s !== 'ipfs' && s !== 'journal' && s !== 'sync' && s !== 's3') throw new Error(`unknown section ${s} (BENCH_SECTIONS: local,ipfs,journal,sync,s3)`)
  const scratch = await mkdtemp(join(tmpdir(), 'vfsbench-'))
  const stops: (() => Promise<void>)[] = []
  const log = (s: string) => process.stderr.write(`${s}\n`)
  const t0 = Date.now()
  const load0 = loadavg().map((l) => l.toFixed(2)).join(' ')
  let cleaning: Promise<void> | undefined
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const stop of stops) await stop().catch((err: unknown) => log(`stop: ${err}`))
      await rm(scratch, { recursive: true, force: true })
    })())
  // Ctrl-C: unmount and clean up before leaving.
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)))
  const out: string[] = []
  try {
    const root = await dropCaches()
    if (!root) log('warning: cannot drop caches (not root): seq read is warm')
    if (SECTIONS.includes('local')) out.push(...(await localSection(scratch, stops, log)))
    if (SECTIONS.includes('ipfs')) {
      if (out.length) out.push('')
      out.push(...(await ipfsSection(scratch, stops, log)))
    }
    if (SECTIONS.includes('journal')) out.push(...(out.length ? [''] : []), ...(await journalSection(scratch, stops, log)))
    if (SECTIONS.includes('sync')) out.push(...(out.length ? [''] : []), ...(await syncSection(scratch, stops, log)))
    if (SECTIONS.includes('s3')) out.push(...(out.length ? [''] : []), ...(await s3Section(scratch, stops, log)))
  } finally {
    await cleanup()
  }
  out.push('')
  out.push(`loadavg at start ${load0}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  out.push(`total ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  process.stdout.write(`${out.join('\n')}\n`)
  return 0
}

process.exitCode = await main()
