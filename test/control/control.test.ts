import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { callDaemon, daemonAnswers } from '../../src/control/client.ts'
import { ControlError } from '../../src/control/protocol.ts'
import { startControlServer } from '../../src/control/server.ts'

const test = suite('control socket')
let dir = ''
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-control-'))
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function rejects(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p
  } catch (err) {
    assert.instance(err, ControlError)
    return err as ControlError
  }
  assert.unreachable('expected a rejection')
  throw new Error('unreachable')
}

test('a call gets its result, progress lines first; errors keep their code', async () => {
  const path = join(dir, 'a.sock')
  const server = await startControlServer(path, {
    add: async (p) => (p as { a: number; b: number }).a + (p as { a: number; b: number }).b,
    slow: async (_p, ctx) => {
      ctx.progress({ files: 1 })
      ctx.progress({ files: 2 })
      return 'done'
    },
    fail: async () => {
      throw Object.assign(new Error('no such path /x'), { code: 'ENOENT' })
    },
  })
  try {
    assert.is((await stat(path)).mode & 0o777, 0o600)
    assert.is(await callDaemon(path, 'add', { a: 2, b: 3 }), 5)
    const seen: unknown[] = []
    assert.is(await callDaemon(path, 'slow', {}, { onProgress: (u) => seen.push(u) }), 'done')
    assert.equal(seen, [{ files: 1 }, { files: 2 }])
    const e = await rejects(callDaemon(path, 'fail'))
    assert.is(e.code, 'ENOENT')
    assert.is(e.message, 'no such path /x')
    assert.is((await rejects(callDaemon(path, 'nope'))).code, 'ENOSYS')
    assert.ok(await daemonAnswers(path))
  } finally {
    await server.close()
  }
  assert.not.ok(await daemonAnswers(path))
  assert.is((await rejects(callDaemon(path, 'add'))).code, 'ENOENT')
})

test('closing the connection aborts the handler', async () => {
  const path = join(dir, 'b.sock')
  let aborted = Promise.withResolvers<string>()
  const server = await startControlServer(path, {
    wait: (_p, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted.resolve('aborted')
          reject(new Error('cancelled'))
        })
      }),
  })
  try {
    const ac = new AbortController()
    const call = callDaemon(path, 'wait', {}, { signal: ac.signal })
    setTimeout(() => ac.abort(), 50)
    assert.is((await rejects(call)).code, 'ECANCELED')
    assert.is(await aborted.promise, 'aborted')
    aborted = Promise.withResolvers<string>()
  } finally {
    await server.close()
  }
})

test('a stale socket file is replaced; a live daemon is not', async () => {
  const path = join(dir, 'c.sock')
  const stale = createServer()
  await new Promise<void>((r) => stale.listen(path, r))
  // Simulates a killed daemon: the file stays, nobody accepts.
  await new Promise<void>((r) => {
    stale.close(() => r())
  })
  await writeFile(join(dir, 'marker'), '')
  const server = await startControlServer(path, {})
  try {
    assert.ok(await daemonAnswers(path))
    let err: unknown
    await startControlServer(path, {}).catch((e: unknown) => {
      err = e
    })
    assert.is((err as { code?: string })?.code, 'EBUSY')
  } finally {
    await server.close()
  }
})

test.run()
