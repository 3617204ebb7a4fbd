/**
 * The journal through the real daemon and the real CLI: operations done with ordinary tools
 * through FUSE are in `ipfs-vfs journal history`; a daemon killed between an intent and its
 * outcome (fault injected) finishes the operation at the next start; a close whose upload failed
 * is uploaded at the next start; the recovery report reaches `ipfs-vfs journal status`.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { contentHash } from '../../src/vfs/content-hash.ts'
import { NODE, ROOT, type TestMount, startMount } from '../support/mount.ts'

const run = promisify(execFile)
const DAEMON = 'test/journal/journal-daemon.ts'
const test = suite('journal through the daemon')

async function cli(m: Pick<TestMount, 'stateDir'>, ...args: string[]): Promise<string> {
  const { stdout } = await run(NODE, [join(ROOT, 'src/cli/main.ts'), 'journal', ...args, '--state-dir', m.stateDir], { cwd: ROOT })
  return stdout
}

async function sh(cmd: string, cwd: string): Promise<void> {
  await run('sh', ['-c', cmd], { cwd })
}

const xxh3 = (b: Buffer | string) => contentHash(b)

test('cp, mv, rm and mkdir through FUSE are journaled with sizes and hashes; history and status through the CLI, with and without the daemon', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-test-'))
  const m = await startMount({ entry: 'test', daemon: DAEMON, dir })
  try {
    const src = join(m.dir, 'src.txt')
    const body = 'journal me\n'.repeat(1000)
    await writeFile(src, body)
    const mnt = m.mountpoint
    await sh(`mkdir local/dir && cp ${src} local/dir/a.txt && mv local/dir/a.txt local/dir/b.txt && cp local/dir/b.txt obj/c.txt && rm local/dir/b.txt`, mnt)
    const lines = (await cli(m, 'history', '/local/dir')).trim().split('\n')
    const ops = lines.map((l) => l.split(' ').slice(3, -1).join(' ').replace(/ ok$/, ''))
    assert.ok(lines.every((l) => / ok( |$)/.test(l)), lines.join('\n'))
    assert.equal(
      lines.map((l) => l.replace(/^#\d+ \S+ \S+ /, '').replace(/ xxh3=.*$/, '')),
      ['mkdir /local/dir ok', 'write /local/dir/a.txt ok size=11000', 'rename /local/dir/a.txt -> /local/dir/b.txt ok', 'unlink /local/dir/b.txt ok'],
      ops.join('\n'),
    )
    assert.ok(lines[1]?.includes(` size=11000 xxh3=${xxh3(body)} ranges=0-11000`), lines[1])
    const json = JSON.parse(await cli(m, 'history', '/obj/c.txt', '--json')) as { entries: { op: string; result?: { xxh3?: string; size?: number } }[] }
    const write = json.entries.find((e) => e.op === 'write')
    assert.equal({ size: write?.result?.size, xxh3: write?.result?.xxh3 }, { size: body.length, xxh3: xxh3(body) })
    assert.match(await cli(m, 'status'), /^last sequence: \d+\nentries: \d+\npending uploads: 0\n/)
    assert.match(await cli(m, 'track', '/local/dir'), /tracking \/local\/dir/)
    assert.is((await cli(m, 'tracked')).trim(), '/local/dir')
    await m.stop()
    // No daemon: the CLI opens the state itself (one writer at a time) and sees the same journal.
    const config = join(dir, 'only-local.yaml')
    await writeFile(config, `mounts:\n  /local: { type: local, root: ${m.localRoot} }\n`)
    const again = (await cli(m, 'history', '/local/dir', '--config', config)).trim().split('\n')
    assert.equal(again, lines)
    assert.is((await cli(m, 'tracked', '--config', config)).trim(), '/local/dir')
  } finally {
    await m.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test('a daemon killed between the intent and the rename finishes the rename at the next start', async () => {
  let m = await startMount({ entry: 'test', daemon: DAEMON, env: { IPFS_VFS_TEST_CRASH_AFTER_INTENT: 'rename:/obj/' } })
  const dir = m.dir
  try {
    await writeFile(join(m.mountpoint, 'obj', 'before'), 'renamed after a crash')
    const mv = await sh('mv obj/before obj/after', m.mountpoint).then(() => 'ok', (err: Error) => err.message)
    assert.not.equal(mv, 'ok', 'mv must fail: the daemon died under it')
    await new Promise<void>((resolve) => (m.child.exitCode !== null || m.child.signalCode !== null ? resolve() : m.child.once('exit', () => resolve())))
    assert.is(m.child.signalCode, 'SIGKILL')
    assert.equal(await readdir(m.objectRoot), ['before'], 'the intent was written, the rename not applied')
    m = await startMount({ entry: 'test', daemon: DAEMON, dir })
    assert.equal(await readdir(m.objectRoot), ['after'])
    assert.is(await readFile(join(m.mountpoint, 'obj', 'after'), 'utf8'), 'renamed after a crash')
    const status = JSON.parse(await cli(m, 'status', '--json')) as { lastRecovery: { reapplied: number; details: { op?: string; action: string }[] } }
    assert.is(status.lastRecovery.reapplied, 1)
    assert.ok(status.lastRecovery.details.some((d) => d.op === 'rename' && d.action === 'reapplied'))
    assert.match(await cli(m, 'history', '/obj/after'), /rename \/obj\/before -> \/obj\/after recovered:reapplied/)
  } finally {
    await m.stop()
    await run('rm', ['-rf', dir])
  }
})

test('a close whose upload failed is uploaded from its staged copy at the next start', async () => {
  let m = await startMount({ entry: 'test', daemon: DAEMON, env: { IPFS_VFS_TEST_FAIL_PUT: 'unreachable' } })
  const dir = m.dir
  const body = 'kept through a failed upload\n'.repeat(5000)
  try {
    const err = await writeFile(join(m.mountpoint, 'obj', 'unreachable.txt'), body).then(() => undefined, (e: NodeJS.ErrnoException) => e.code)
    assert.is(err, 'EIO', 'close reports the failed upload')
    assert.match(await cli(m, 'status'), /pending uploads: 1\n/)
    m.child.kill('SIGKILL')
    await new Promise<void>((resolve) => (m.child.exitCode !== null || m.child.signalCode !== null ? resolve() : m.child.once('exit', () => resolve())))
    assert.equal(await readdir(m.objectRoot), [])
    m = await startMount({ entry: 'test', daemon: DAEMON, dir })
    assert.is(await readFile(join(m.objectRoot, 'unreachable.txt'), 'utf8'), body)
    const out = await cli(m, 'status')
    assert.match(out, /pending uploads: 0\n/)
    assert.match(out, /last recovery: .*1 upload\(s\) resumed, 0 failed/)
    assert.equal(await readdir(join(m.stateDir, 'staging')), [])
  } finally {
    await m.stop()
    await run('rm', ['-rf', dir])
  }
})

test.run()
