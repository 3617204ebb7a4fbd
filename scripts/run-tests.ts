/**
 * The test command: type check, lint, then every test/**\/*.test.ts file in its own Node 24
 * process (uvu), two at a time. uvu prints a summary per file; this sums them and ends with the
 * line CI reads: `N passed, N failed, N skipped`.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const jobs = Number(process.env.TEST_JOBS ?? 2)
// The slowest file (the 1 GiB copies) takes about 2 minutes on a busy 2-core machine; a file that has
// not ended by this is hung, and waiting longer would only eat the suite's 15-minute budget.
const fileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 5 * 60_000)
const filter = process.argv.slice(2)

interface Result {
  name: string
  passed: number
  failed: number
  skipped: number
  output: string
  ms: number
}

function runProcess(name: string, cmd: string, args: string[]): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const timer = setTimeout(() => {
      output += `\n${name}: killed after ${fileTimeoutMs} ms\n`
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {}
    }, fileTimeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output, ms: Date.now() - started })
    })
  })
}

/** A check that is not a uvu file (tsc, lint) counts as one test. */
async function check(name: string, cmd: string, args: string[]): Promise<Result> {
  const { code, output, ms } = await runProcess(name, cmd, args)
  return { name, passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0, output, ms }
}

async function testFile(file: string): Promise<Result> {
  const name = relative(root, file)
  const { code, output, ms } = await runProcess(name, process.execPath, [file])
  const num = (label: string) => Number(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(output)?.[1] ?? Number.NaN)
  const total = num('Total')
  const passed = num('Passed')
  const skipped = num('Skipped')
  if (Number.isNaN(total) || Number.isNaN(passed)) return { name, passed: 0, failed: 1, skipped: 0, output: `${output}\n(no uvu summary; exit ${code})`, ms }
  // A file that passed every test but exited non-zero (an unhandled rejection, a leak) still fails.
  const failed = total - passed + (code !== 0 && total === passed ? 1 : 0)
  return { name, passed, failed, skipped: Number.isNaN(skipped) ? 0 : skipped, output, ms }
}

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules') out.push(...(await findTests(p)))
    else if (entry.name.endsWith('.test.ts')) out.push(p)
  }
  return out.sort()
}

function report(r: Result): void {
  const status = r.failed ? 'FAIL' : 'ok  '
  process.stdout.write(`${status} ${r.name} (${r.passed} passed${r.failed ? `, ${r.failed} failed` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''}; ${(r.ms / 1000).toFixed(1)} s)\n`)
  if (r.failed) process.stdout.write(`${r.output.trimEnd().split('\n').map((l) => `    ${l}`).join('\n')}\n`)
}

const results: Result[] = []
const mountsBefore = (await readFile('/proc/self/mounts', 'utf8')).split('\n')
if (filter.length === 0) {
  const js = (file: string) => join(root, 'node_modules', file)
  const checks = [
    check('typecheck (tsc --noEmit)', process.execPath, [js('typescript/bin/tsc'), '--noEmit', '-p', root]),
    check('lint (eslint)', process.execPath, [js('eslint/bin/eslint.js'), 'src', 'test', 'scripts', 'bench', '--no-error-on-unmatched-pattern']),
  ]
  for (const r of await Promise.all(checks)) {
    report(r)
    results.push(r)
  }
}
const files = (await findTests(join(root, 'test'))).filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)))
const queue = [...files]
await Promise.all(
  Array.from({ length: Math.max(1, jobs) }, async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const r = await testFile(f)
      report(r)
      results.push(r)
    }
  }),
)
// Mount hygiene: a test that left its mount behind fails the run (and the mount is cleared).
const ourMounts = async () => (await readFile('/proc/self/mounts', 'utf8')).split('\n').filter((l) => l.includes(' fuse.ipfs-vfs ') && l.includes('ipfs-vfs-'))
const leftovers = (await ourMounts()).filter((l) => !mountsBefore.includes(l))
if (leftovers.length && filter.length === 0) {
  const r: Result = { name: 'mount hygiene', passed: 0, failed: 1, skipped: 0, output: leftovers.join('\n'), ms: 0 }
  for (const line of leftovers) spawnSync('fusermount', ['-uz', line.split(' ')[1] ?? ''])
  report(r)
  results.push(r)
}
const sum = (k: 'passed' | 'failed' | 'skipped') => results.reduce((n, r) => n + r[k], 0)
const skipped = sum('skipped')
process.stdout.write(`\n${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
process.exitCode = sum('failed') ? 1 : 0
