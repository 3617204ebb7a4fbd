/**
 * What `systemctl stop` and a crash do to unfinished uploads, through the real daemon and a real
 * S3 server (fauxqs, in this process, its objects kept in a folder so it can be stopped and
 * started again): SIGTERM with a file still open and written uploads it before the daemon exits;
 * SIGKILL after an acknowledged close whose upload failed leaves a stale mount and a pending
 * upload, and the next start clears the mount and finishes the upload (its recovery report says
 * so in `status`). Mount access goes through child processes: this process serves S3 to the daemon.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { startFauxqs } from 'fauxqs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { isMounted } from '../../src/fuse/stale-mount.ts'
import type { StatusResult } from '../../src/ops/status.ts'
import { NODE, ROOT, startMount } from '../support/mount.ts'

const run = promisify(execFile)
const CLI = join(ROOT, 'src/cli/main.ts')
const CREDS = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' }
const BUCKET = 'ops-bucket'

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>

async function s3Server(dataDir: string, port = 0): Promise<Fauxqs> {
  const server = await startFauxqs({ port, logger: false, dataDir, host: '127.0.0.1' } as Parameters<typeof startFauxqs>[0])
  server.createBucket(BUCKET)
  return server
}

async function getObject(endpoint: string, key: string): Promise<string | undefined> {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 })
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
    return await r.Body?.transformToString()
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined
    throw err
  } finally {
    s3.destroy()
  }
}

async function status(stateDir: string): Promise<StatusResult> {
  const { stdout } = await run(NODE, [CLI, 'status', '--json', '--state-dir', stateDir]).catch((e: { stdout: string }) => e)
  return JSON.parse(stdout) as StatusResult
}

/**
 * A process that opens `path`, writes `data` and keeps the file open: it prints `written`, and
 * closes the file when told to on stdin, printing `closed` or `close failed <code>`.
 */
function writer(path: string, data: string): { proc: ChildProcess; written: Promise<void>; close(): Promise<string> } {
  const js = `const fs = require('fs'); const fd = fs.openSync(${JSON.stringify(path)}, 'w'); fs.writeSync(fd, ${JSON.stringify(data)}); console.log('written');
process.stdin.once('data', () => { try { fs.closeSync(fd); console.log('closed') } catch (e) { console.log('close failed ' + e.code) } process.exit(0) })`
  const proc = spawn(NODE, ['-e', js], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  const seen = (what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(what) && resolve()
      proc.stdout?.on('data', (d: Buffer) => {
        out += d
        check()
      })
      proc.once('exit', () => (out.includes(what) ? resolve() : reject(new Error(`writer exited before '${what}': ${out}`))))
      check()
    })
  const written = seen('written')
  return {
    proc,
    written,
    async close() {
      proc.stdin?.write('close\n')
      await new Promise((r) => proc.once('exit', r))
      return out.split('\n').find((l) => l.startsWith('close')) ?? out
    },
  }
}

const s3Mount = (endpoint: string) => ({ '/s3': { type: 's3', bucket: BUCKET, endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1, timeoutMs: 3000 } })

const test = suite('shutdown with pending uploads')

test('SIGTERM with a file open and written: it is uploaded before the daemon exits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-sigterm-'))
  const server = await s3Server(join(dir, 's3data'))
  const endpoint = `http://127.0.0.1:${server.port}`
  try {
    const m = await startMount({ mounts: s3Mount(endpoint), env: CREDS })
    const holder = writer(`${m.mountpoint}/s3/pending.txt`, 'staged, not closed')
    try {
      await holder.written
      const s = await status(m.stateDir)
      const row = s.mounts.find((x) => x.point === '/s3')
      assert.equal({ pending: row?.pendingUploads, open: row?.openHandles }, { pending: 1, open: 1 })
      assert.is(await getObject(endpoint, 'pending.txt'), undefined, 'nothing uploaded while the file is open')
      assert.is(await m.stop(), 0, m.logs())
      assert.is(await getObject(endpoint, 'pending.txt'), 'staged, not closed')
    } finally {
      holder.proc.kill('SIGKILL')
      await m.stop()
    }
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test('SIGKILL after a failed upload, then start again: the stale mount is cleared and the upload resumes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-sigkill-'))
  const dataDir = join(dir, 's3data')
  let server = await s3Server(dataDir)
  const port = server.port
  const endpoint = `http://127.0.0.1:${port}`
  const first = await startMount({ dir, mounts: s3Mount(endpoint), env: CREDS })
  let second: Awaited<ReturnType<typeof startMount>> | undefined
  try {
    const w = writer(`${first.mountpoint}/s3/resume.txt`, 'acknowledged')
    await w.written
    await server.stop()
    // close(2) reports the failed upload; the bytes stay staged and journaled as owed to the store.
    assert.is(await w.close(), 'close failed EIO')
    const s = await status(first.stateDir)
    const row = s.mounts.find((x) => x.point === '/s3')
    assert.is(row?.pendingUploads, 1, JSON.stringify(row))
    first.child.kill('SIGKILL')
    await new Promise((r) => first.child.once('exit', r))
    const stale = await run('ls', [first.mountpoint]).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    )
    assert.match(stale, /Transport endpoint is not connected/)

    server = await s3Server(dataDir, port)
    second = await startMount({ dir, mounts: s3Mount(endpoint), env: CREDS })
    assert.ok(await isMounted(second.mountpoint))
    assert.is(await getObject(endpoint, 'resume.txt'), 'acknowledged')
    const after = await status(second.stateDir)
    assert.is(after.mounts.find((x) => x.point === '/s3')?.pendingUploads, 0)
    assert.match(JSON.stringify(after.lastRecovery), /"resumedUploads":1/)
    const { stdout } = await run('cat', [`${second.mountpoint}/s3/resume.txt`])
    assert.is(stdout, 'acknowledged')
  } finally {
    await second?.stop()
    await first.stop()
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
