/**
 * The health probes `status` runs: local's and ipfs's own health(), the stat('/') fallback for a
 * backend without one, and a probe that never answers counted as degraded after the timeout.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { EngineRegistry } from '../../src/cli/mount-types/engines.ts'
import { createMountBackend } from '../../src/cli/mount-types/index.ts'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { probe } from '../../src/ops/status.ts'
import type { Backend } from '../../src/vfs/backend.ts'
import { MountTable } from '../../src/vfs/mount-table.ts'

const test = suite('health')

let dir = ''
test.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-health-'))
})
test.after.each(async () => {
  await rm(dir, { recursive: true, force: true })
})

const mountOf = (backend: Backend, point = '/m') => new MountTable().add(point, backend)

test('local: ok while its folder is there, degraded with ENOENT once it is gone', async () => {
  const root = join(dir, 'root')
  await mkdir(root)
  const backend = createLocalBackend({ root })
  assert.ok(backend.health, 'local declares health()')
  assert.equal(await probe(mountOf(backend)), { health: 'ok' })
  await rm(root, { recursive: true })
  const r = await probe(mountOf(backend))
  assert.is(r.health, 'degraded')
  assert.match(r.reason ?? '', /ENOENT/)
})

test('ipfs: ok on an open repository, degraded once the backend is closed', async () => {
  const engines = new EngineRegistry()
  const backend = await createMountBackend('/ipfs', { type: 'ipfs', engine: 'helia', networking: false, preserveMtime: true }, { stateDir: dir, engines })
  try {
    assert.ok(backend.health, 'ipfs declares health()')
    assert.equal(await probe(mountOf(backend, '/ipfs')), { health: 'ok' })
  } finally {
    await backend.close?.()
  }
  const r = await probe(mountOf(backend, '/ipfs'))
  assert.is(r.health, 'degraded')
  assert.match(r.reason ?? '', /closed/)
})

test('no health(): stat of the root is the probe; a probe that never answers is degraded after the timeout', async () => {
  const root = join(dir, 'root')
  await mkdir(root)
  const { health: _h, ...plain } = createLocalBackend({ root })
  assert.equal(await probe(mountOf(plain as Backend)), { health: 'ok' })
  await rm(root, { recursive: true })
  assert.is((await probe(mountOf(plain as Backend))).health, 'degraded')
  const hung = { ...plain, health: () => new Promise<void>(() => {}) } as Backend
  const started = Date.now()
  const r = await probe(mountOf(hung), 200)
  assert.equal(r, { health: 'degraded', reason: 'no answer within 200 ms' })
  assert.ok(Date.now() - started < 2000)
})

test.run()
