/**
 * `ipfs-vfs status` and the Prometheus endpoint against a running daemon: the operations a test
 * does through the mount are counted by mount, op and result, bytes read and written match, the
 * status counters are the same numbers, health turns degraded with the reason when a store stops
 * answering, and a non-loopback endpoint is refused.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { StatusResult } from '../../src/ops/status.ts'
import { startMount, withMount } from '../support/mount.ts'
import { cli } from '../support/cli.ts'

const run = promisify(execFile)


/** Parses the Prometheus text format into `name{labels}` -> value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const i = line.lastIndexOf(' ')
    out.set(line.slice(0, i), Number(line.slice(i + 1)))
  }
  return out
}

const test = suite('status and metrics')

test('the endpoint counts the operations done through the mount; status shows the same counters', async () => {
  await withMount({ config: { metrics: { listen: '127.0.0.1:0' } } }, async (m) => {
    const status = async () => JSON.parse((await cli('status', '--json', '--state-dir', m.stateDir)).stdout) as StatusResult
    const before = await status()
    assert.ok(before.daemon)
    assert.is(before.pid, m.child.pid)
    assert.match(before.metrics ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const url = before.metrics as string
    const scrape = async () => parseMetrics(await (await fetch(url)).text())
    const m0 = await scrape()
    const key = (op: string, result: string) => `ipfs_vfs_operations_total{mount="/local",op="${op}",result="${result}"}`
    const count = (ms: Map<string, number>, k: string) => ms.get(k) ?? 0

    // Three files of known sizes written, read back; three lookups of a missing name.
    const sizes = [1000, 70_000, 5]
    const sh = sizes.map((n, i) => `head -c ${n} /dev/zero > ${m.mountpoint}/local/f${i}`).join(' && ')
    await run('sh', ['-c', sh])
    for (let i = 0; i < 3; i++) await run('sh', ['-c', `cat ${m.mountpoint}/local/f${i} > /dev/null`])
    for (let i = 0; i < 3; i++) await run('sh', ['-c', `test -e ${m.mountpoint}/local/missing${i} || true`])

    const m1 = await scrape()
    const total = sizes.reduce((a, b) => a + b)
    assert.is(count(m1, 'ipfs_vfs_written_bytes_total{mount="/local"}') - count(m0, 'ipfs_vfs_written_bytes_total{mount="/local"}'), total)
    assert.is(count(m1, 'ipfs_vfs_read_bytes_total{mount="/local"}') - count(m0, 'ipfs_vfs_read_bytes_total{mount="/local"}'), total)
    assert.is(count(m1, key('create', 'ok')) - count(m0, key('create', 'ok')), 3)
    assert.ok(count(m1, key('stat', 'ENOENT')) - count(m0, key('stat', 'ENOENT')) >= 3, 'the missing names are counted as ENOENT')
    assert.ok(count(m1, key('release', 'ok')) - count(m0, key('release', 'ok')) >= 6)
    assert.ok(count(m1, 'ipfs_vfs_operation_duration_seconds_count{mount="/local",op="write"}') >= 1, 'latency histogram')
    assert.is(m1.get('ipfs_vfs_pending_uploads{mount="/local"}'), 0)
    assert.is(m1.get('ipfs_vfs_open_handles{mount="/local"}'), 0)
    assert.ok(m1.has('ipfs_vfs_cache_hits_total'))

    const after = await status()
    assert.is(after.counters.bytesWritten - before.counters.bytesWritten, total)
    assert.is(after.counters.bytesRead - before.counters.bytesRead, total)
    assert.is((after.counters.byOp.create?.ok ?? 0) - (before.counters.byOp.create?.ok ?? 0), 3)
    // The endpoint and status read one set of counters.
    const m2 = await scrape()
    assert.is(after.counters.bytesWritten, count(m2, 'ipfs_vfs_written_bytes_total{mount="/local"}'))
    assert.is((await fetch(url.replace('/metrics', '/other'))).status, 404)
  })
})

test('status: health, pending uploads and open handles per mount; degraded with the reason; human form', async () => {
  await withMount({}, async (m) => {
    // A file held open through the mount is an open handle.
    const holder = execFile('sh', ['-c', `exec 3>${m.mountpoint}/local/held; echo ready; exec sleep 30`])
    try {
      await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()))
      const s = JSON.parse((await cli('status', '--json', '--state-dir', m.stateDir)).stdout) as StatusResult
      const local = s.mounts.find((x) => x.point === '/local')
      assert.equal({ type: local?.type, health: local?.health, source: local?.source, openHandles: local?.openHandles, pendingUploads: local?.pendingUploads }, { type: 'local', health: 'ok', source: 'config', openHandles: 1, pendingUploads: 0 })
    } finally {
      holder.kill()
    }
    await rm(m.localRoot, { recursive: true, force: true })
    const r = await cli('status', '--state-dir', m.stateDir)
    assert.is(r.code, 1, 'a mount that is not healthy makes status exit 1')
    assert.match(r.stdout, /^MOUNT\s+TYPE\s+HEALTH\s+PENDING\s+OPEN\s+SOURCE$/m)
    assert.match(r.stdout, /^\/local\s+local\s+degraded \(.*ENOENT.*\)/m)
    assert.match(r.stdout, /^last checkpoint: /m)
    assert.match(r.stdout, /^last recovery: /m)
    assert.match(r.stdout, new RegExp(`^daemon: pid ${m.child.pid}`, 'm'))
  })
})

test('a metrics endpoint on a non-loopback address is refused at start, one line', async () => {
  const err = await startMount({ config: { metrics: { listen: '0.0.0.0:9464' } } }).then(
    async (m) => {
      await m.stop()
      return undefined
    },
    (e: unknown) => e as Error,
  )
  assert.ok(err, 'the daemon must not start')
  assert.match(err?.message ?? '', /ipfs-vfs: metrics\.listen: 0\.0\.0\.0:9464 is not a loopback address/)
})

test('status without a daemon opens the state itself and says so', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-status-'))
  try {
    const config = join(dir, 'config.yaml')
    await writeFile(config, `mounts:\n  /local: { type: local, root: ${join(dir, 'local')} }\n`)
    const r = await cli('status', '--json', '--config', config, '--state-dir', join(dir, 'state'))
    assert.is(r.code, 0, r.stderr)
    const s = JSON.parse(r.stdout) as StatusResult
    assert.is(s.daemon, false)
    assert.is(s.counters.operations, 0)
    assert.equal(s.mounts.map((x) => [x.point, x.health]), [['/local', 'ok']])
    const human = await cli('status', '--config', config, '--state-dir', join(dir, 'state'))
    assert.match(human.stdout, /^daemon: not running/m)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
