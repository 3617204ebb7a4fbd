/**
 * Crash consistency, in the spirit of JuiceFS's crash CI: writers put files through the mount
 * into /local, into /obj (a whole-object store, staged) and into /ipfs (whole-object, new files
 * imported while they are written), recording each in a manifest outside
 * the mount only after fsync of the file and of its folder; the daemon is SIGKILLed at a random
 * moment; after the next start (which clears the dead mount and recovers) every recorded file
 * has its size and sha256. CRASH_ROUNDS rounds (default 20; the bench script runs more).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { NODE, ROOT, type TestMount, startMount } from '../support/mount.ts'

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20)
const DAEMON = 'test/journal/journal-daemon.ts'
const TARGETS = ['local', 'obj', 'ipfs'] as const
const test = suite('crash')

interface Recorded {
  name: string
  size: number
  sha256: string
}

async function manifest(file: string): Promise<Recorded[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [name, size, sha256] = l.split(' ')
      return { name: name as string, size: Number(size), sha256: sha256 as string }
    })
}

function startWriter(dir: string, manifestFile: string, prefix: string, seed: number): ChildProcess {
  return spawn(NODE, [join(ROOT, 'test/journal/crash-writer.ts'), dir, manifestFile, prefix, String(seed)], { stdio: ['ignore', 'ignore', 'pipe'] })
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Every recorded file, read back through the mount: missing or different ones, as lines. */
async function check(m: TestMount, target: string, recorded: Recorded[]): Promise<string[]> {
  const bad: string[] = []
  for (const r of recorded) {
    const data = await readFile(join(m.mountpoint, target, 'crash', r.name)).catch((err: NodeJS.ErrnoException) => err)
    if (!Buffer.isBuffer(data)) bad.push(`/${target}/crash/${r.name}: ${data.code}`)
    else if (data.length !== r.size || createHash('sha256').update(data).digest('hex') !== r.sha256) bad.push(`/${target}/crash/${r.name}: ${data.length} bytes, expected ${r.size} with sha256 ${r.sha256.slice(0, 12)}`)
  }
  return bad
}

test(`every file acknowledged by fsync survives SIGKILL of the daemon (${ROUNDS} rounds, /local, /obj and /ipfs)`, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-test-crash-'))
  const manifests = Object.fromEntries(TARGETS.map((t) => [t, join(dir, `manifest-${t}`)])) as Record<(typeof TARGETS)[number], string>
  let m: TestMount | undefined
  let total = 0
  const checked = { local: 0, obj: 0, ipfs: 0 }
  /** What the recoveries did, summed from the daemons' log lines (how often a kill hit an upload or an operation). */
  const recovered = { resumed: 0, reapplied: 0, confirmed: 0, rolledBack: 0, discarded: 0 }
  const count = (logs: string) => {
    const r = /(\d+) upload\(s\) resumed, \d+ failed, (\d+) operation\(s\) re-applied, (\d+) confirmed, (\d+) rolled back, (\d+) unacknowledged/.exec(logs)
    if (!r) return
    recovered.resumed += Number(r[1])
    recovered.reapplied += Number(r[2])
    recovered.confirmed += Number(r[3])
    recovered.rolledBack += Number(r[4])
    recovered.discarded += Number(r[5])
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = Date.now()
      m = await startMount({ entry: 'test', daemon: DAEMON, dir }).catch(async (err: Error) => {
        // What holds the mount point, for a start that did not get it.
        const info = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(dir))
        throw new Error(`round ${round}: ${err.message}\nmounts under ${dir}:\n${info.join('\n')}`)
      })
      if (process.env.CRASH_VERBOSE) process.stderr.write(`round ${round}: started in ${Date.now() - t0} ms\n`)
      // What the previous round recorded must be there after this start's recovery (all of it
      // is checked again at the end).
      for (const t of TARGETS) {
        const recorded = await manifest(manifests[t])
        const bad = await check(m, t, recorded.slice(checked[t]))
        checked[t] = recorded.length
        assert.equal(bad, [], `round ${round}: acknowledged files lost or changed:\n${bad.join('\n')}\n${m.logs()}`)
      }
      for (const t of TARGETS) await mkdir(join(m.mountpoint, t, 'crash'), { recursive: true })
      const writers = TARGETS.map((t, i) => startWriter(join(m?.mountpoint as string, t, 'crash'), manifests[t], `r${round}`, round * 7919 + i + 1))
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 800))
      m.child.kill('SIGKILL')
      await exited(m.child)
      count(m.logs())
      await Promise.all(writers.map(exited))
      // No stop(): the dead mount stays for the next start to clear.
      m = undefined
    }
    m = await startMount({ entry: 'test', daemon: DAEMON, dir })
    count(m.logs())
    for (const t of TARGETS) {
      const recorded = await manifest(manifests[t])
      total += recorded.length
      const bad = await check(m, t, recorded)
      assert.equal(bad, [], `after the last round:\n${bad.join('\n')}`)
      assert.ok(recorded.length >= ROUNDS, `/${t}: only ${recorded.length} files recorded in ${ROUNDS} rounds`)
    }
    assert.ok(total > 0)
    process.stderr.write(`crash: ${ROUNDS} rounds, ${total} acknowledged files checked; recoveries: ${JSON.stringify(recovered)}\n`)
  } finally {
    await (m ?? (await startMount({ entry: 'test', daemon: DAEMON, dir }).catch(() => undefined)))?.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
