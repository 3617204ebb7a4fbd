// The journal section of `npm run bench` (BENCH_SECTIONS=journal): the same workloads through
// /local of two ipfs-vfs daemons (the real CLI), one with the journal (the default) and one with
// `journal: { enabled: false }`, mounted side by side, taking turns within each of BENCH_ROUNDS
// rounds; the verdict takes the median of the per-round ratios.
//   seq write  BENCH_JOURNAL_MB (256) MiB in 1 MiB blocks + fsync (one write session, hashed)
//   create     BENCH_FILES (10000) empty files, open O_CREAT|O_WRONLY + close (one write session each)
//   unlink     the same files (an intent and an outcome each)
// Then the crash test with BENCH_CRASH_ROUNDS (50) SIGKILL rounds (test/journal/crash.test.ts).
import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startMount } from '../test/support/mount.ts'

const exec = promisify(execFile)
const ROOT = new URL('..', import.meta.url).pathname
const NODE = process.execPath
const MB = Number(process.env.BENCH_JOURNAL_MB ?? 256)
const FILES = Number(process.env.BENCH_FILES ?? 10000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CRASH_ROUNDS = Number(process.env.BENCH_CRASH_ROUNDS ?? 50)

type Variant = 'on' | 'off'
type Metric = 'seqWrite' | 'create' | 'unlink'
const TARGETS: [Metric, string, number][] = [
  ['seqWrite', `seq write ${MB} MiB, 1 MiB blocks + fsync (MB/s)`, 0.1],
  ['create', `create x${FILES} (ops/s)`, 0.25],
  ['unlink', `unlink x${FILES} (ops/s)`, 0.25],
]

async function workload(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await exec(NODE, [join(ROOT, 'bench/workload.ts'), ...args], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number>
}

function median(vs: number[]): number | undefined {
  const s = [...vs].sort((a, b) => a - b)
  if (s.length === 0) return undefined
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1))

async function round(dir: string): Promise<Record<Metric, number>> {
  const w = await workload(['seqwrite', join(dir, 'big'), String(MB)])
  await exec('rm', ['-f', join(dir, 'big')])
  const f = await workload(['files', join(dir, 'many'), String(FILES)])
  return { seqWrite: (w.bytes as number) / (w.seconds as number) / 1e6, create: FILES / (f.create as number), unlink: FILES / (f.unlink as number) }
}

export async function journalSection(scratch: string, stops: (() => Promise<void>)[], log: (s: string) => void): Promise<string[]> {
  const dirs: Record<Variant, string> = { on: '', off: '' }
  for (const v of ['on', 'off'] as Variant[]) {
    const dir = join(scratch, `journal-${v}`)
    await mkdir(dir)
    const m = await startMount({ dir, ...(v === 'off' ? { config: { journal: { enabled: false } } } : {}) })
    stops.push(async () => {
      const code = await m.stop()
      if (code !== 0) process.stderr.write(`ipfs-vfs daemon (journal ${v}) exited with ${code}\n${m.logs()}`)
    })
    dirs[v] = join(m.mountpoint, 'local')
  }
  const results: Record<Variant, Record<Metric, number>[]> = { on: [], off: [] }
  for (let r = 1; r <= ROUNDS; r++) {
    log(`journal round ${r}/${ROUNDS}`)
    // Alternate who goes first, so a slow spell of the machine does not always hit the same one.
    for (const v of (r % 2 ? ['on', 'off'] : ['off', 'on']) as Variant[]) {
      const res = await round(dirs[v])
      results[v].push(res)
      log(`  journal ${v.padEnd(3)} seq write ${fmt(res.seqWrite)} MB/s, create ${fmt(res.create)}/s, unlink ${fmt(res.unlink)}/s`)
    }
  }
  const rows = TARGETS.map(([k, label, budget]) => {
    const overhead = median(results.on.map((on, i) => 1 - on[k] / (results.off[i]?.[k] as number)))
    const verdict = overhead === undefined ? '-' : overhead <= budget ? 'ok' : `ABOVE ${budget * 100}%`
    return [label, fmt(median(results.off.map((x) => x[k]))), fmt(median(results.on.map((x) => x[k]))), overhead === undefined ? '-' : `${(overhead * 100).toFixed(1)}%`, `<= ${budget * 100}%`, verdict]
  })
  const head = ['metric', 'journal off', 'journal on', 'overhead', 'target', '']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')
  const out = [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)]
  out.push(`overhead: median of the per-round 1 - on/off; ${ROUNDS} rounds`)
  if (CRASH_ROUNDS > 0) {
    log(`crash test, ${CRASH_ROUNDS} rounds`)
    const t0 = Date.now()
    const r = await exec(NODE, [join(ROOT, 'test/journal/crash.test.ts')], { env: { ...process.env, CRASH_ROUNDS: String(CRASH_ROUNDS) }, maxBuffer: 16 << 20 }).then(
      (x) => ({ ok: true, text: `${x.stdout}${x.stderr}` }),
      (err: { stdout?: string; stderr?: string }) => ({ ok: false, text: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    )
    const checked = /crash: (\d+) rounds, (\d+) acknowledged files checked/.exec(r.text)
    out.push(`crash consistency: ${CRASH_ROUNDS} SIGKILL rounds on /local, /obj and /ipfs: ${r.ok ? 'ok' : 'FAILED'}${checked ? `, ${checked[2]} acknowledged files checked` : ''} (${((Date.now() - t0) / 1000).toFixed(0)} s)`)
    if (!r.ok) out.push(r.text.split('\n').slice(-30).join('\n'))
  }
  return out
}
