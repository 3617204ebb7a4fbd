// The /s3 section of `npm run bench` (BENCH_SECTIONS=s3): against one local S3 server (OpenStack
// Swift s3api, started as the tests start it: test/support/swift.ts) in one run, the same work
//   seq write  BENCH_S3_MB (256) MiB: 1 MiB writes + fsync + close through the mount; SDK: lib-storage
//              Upload of the same file (8 MiB parts, 4 in flight: what /s3 does)
//   seq read   the same object: 1 MiB reads through the mount (page cache dropped first);
//              SDK: one GetObject streamed to the end
//   small files BENCH_S3_FILES (2000) files of 1 KiB, one after the other: open/write/close
//              through the mount; SDK: PutObject each
//   list       BENCH_S3_LIST (10000) keys of 1 KiB in one folder: readdir through the mount, first
//              (cold) and again after the cache TTL; SDK: ListObjectsV2 with '/' delimiter, paginated
// through /s3 (the real CLI daemon), through the AWS SDK used directly (the reference: ratio
// /s3 ÷ SDK), and through s3fs (Debian package) mounted on the same bucket when it is installed.
// One round by default (BENCH_S3_ROUNDS): S3 work is slow and the server shares the 2 cores.
import { execFile, spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { detach, isMounted } from '../src/fuse/stale-mount.ts'
import { startMount } from '../test/support/mount.ts'
import { s3MountSpec, startSwift, type Swift, swiftEnv } from '../test/support/swift.ts'

const exec = promisify(execFile)
const ROOT = new URL('..', import.meta.url).pathname
const NODE = process.execPath
const MB = Number(process.env.BENCH_S3_MB ?? 256)
const FILES = Number(process.env.BENCH_S3_FILES ?? 2000)
const LIST = Number(process.env.BENCH_S3_LIST ?? 10000)
const ROUNDS = Number(process.env.BENCH_S3_ROUNDS ?? 1)
const BUCKET = 'bench'
const TTL_MS = 2000

type Target = 'sdk' | 's3' | 's3fs'
type Metric = 'seqWrite' | 'seqRead' | 'small' | 'listCold' | 'listWarm'
const ROWS: [Metric, string][] = [
  ['seqWrite', `seq write ${MB} MiB (MB/s)`],
  ['seqRead', `seq read ${MB} MiB (MB/s)`],
  ['small', `${FILES} files of 1 KiB (files/s)`],
  ['listCold', `list ${LIST} keys, first (keys/s)`],
  ['listWarm', `list ${LIST} keys, again (keys/s)`],
]

async function workload(args: string[]): Promise<Record<string, number>> {
  const { stdout } = await exec(NODE, [join(ROOT, 'bench/workload.ts'), ...args], { maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, number>
}

async function dropCaches(): Promise<void> {
  await exec('sync')
  await writeFile('/proc/sys/vm/drop_caches', '3\n').catch(() => {})
}

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The workloads on a folder of a mount (/s3 or s3fs). */
async function onMount(dir: string, listDir: string): Promise<Record<Metric, number>> {
  await mkdir(dir, { recursive: true })
  const w = await workload(['seqwrite', join(dir, 'big'), String(MB), 'varied'])
  await dropCaches()
  const r = await workload(['seqread', join(dir, 'big')])
  const s = await workload(['smallfiles', join(dir, 'small'), String(FILES), '1024'])
  let t0 = process.hrtime.bigint()
  const n = (await readdir(listDir)).length
  const listCold = secs(t0)
  await sleep(TTL_MS + 200)
  t0 = process.hrtime.bigint()
  const n2 = (await readdir(listDir)).length
  const listWarm = secs(t0)
  if (n !== LIST || n2 !== LIST) throw new Error(`listed ${n}, ${n2} of ${LIST}`)
  const n3 = (o: Record<string, number>, k: string) => o[k] as number
  return { seqWrite: n3(w, 'bytes') / n3(w, 'seconds') / 1e6, seqRead: n3(r, 'bytes') / n3(r, 'seconds') / 1e6, small: FILES / n3(s, 'seconds'), listCold: LIST / listCold, listWarm: LIST / listWarm }
}

async function direct(s3: S3Client, scratch: string): Promise<Record<Metric, number>> {
  const file = join(scratch, 'sdk-big')
  await workload(['seqwrite', file, String(MB), 'varied'])
  let t0 = process.hrtime.bigint()
  await new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'sdk/big', Body: createReadStream(file) }, partSize: 8 << 20, queueSize: 4 }).done()
  const seqWrite = (MB * 1048576) / secs(t0) / 1e6
  t0 = process.hrtime.bigint()
  const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'sdk/big' }))
  let bytes = 0
  for await (const c of got.Body as AsyncIterable<Uint8Array>) bytes += c.length
  const seqRead = bytes / secs(t0) / 1e6
  const body = Buffer.alloc(1024, 0x61)
  t0 = process.hrtime.bigint()
  for (let i = 0; i < FILES; i++) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `sdk/small/f${i}`, Body: body, ContentLength: body.length }))
  const small = FILES / secs(t0)
  const list = async (): Promise<number> => {
    const t = process.hrtime.bigint()
    let n = 0
    let token: string | undefined
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/', Delimiter: '/', ContinuationToken: token }))
      n += (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0)
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    if (n !== LIST) throw new Error(`SDK listed ${n} of ${LIST}`)
    return LIST / secs(t)
  }
  return { seqWrite, seqRead, small, listCold: await list(), listWarm: await list() }
}

async function s3fsInstalled(): Promise<boolean> {
  return exec('sh', ['-c', 'command -v s3fs']).then(() => true, () => false)
}

async function mountS3fs(swift: Swift, dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true })
  const child = spawn('s3fs', [BUCKET, dir, '-f', '-o', `url=${swift.endpoint}`, '-o', 'use_path_request_style'], {
    env: { ...process.env, AWSACCESSKEYID: 'test:tester', AWSSECRETACCESSKEY: 'testing' },
    stdio: 'ignore',
  })
  for (let i = 0; i < 100 && !(await isMounted(dir)); i++) await sleep(100)
  if (!(await isMounted(dir))) throw new Error('s3fs did not mount')
  return async () => {
    await exec('fusermount', ['-u', dir]).catch(() => detach(dir))
    child.kill()
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1))

function median(vs: number[]): number | undefined {
  const s = [...vs].sort((a, b) => a - b)
  if (s.length === 0) return undefined
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

export async function s3Section(scratch: string, allStops: (() => Promise<void>)[], log: (s: string) => void): Promise<string[]> {
  // Torn down last-first: the mounts before the server they talk to.
  const stops: (() => Promise<void>)[] = []
  allStops.push(async () => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`s3 stop: ${err}`))
  })
  const swift = await startSwift()
  stops.push(() => swift.stop())
  await swift.createBucket(BUCKET)
  const s3 = swift.client()
  stops.push(async () => s3.destroy())
  log(`s3: ${LIST} keys for the listing`)
  const body = Buffer.alloc(1024, 0x62)
  for (let i = 0; i < LIST; i += 32) {
    await Promise.all(Array.from({ length: Math.min(32, LIST - i) }, (_, j) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `list/k${String(i + j).padStart(6, '0')}`, Body: body, ContentLength: body.length }))))
  }
  const dir = await mkdtemp(join(scratch, 's3-'))
  const m = await startMount({ dir, mounts: { '/s3': s3MountSpec(swift, BUCKET, { cacheTtlMs: TTL_MS }) }, env: swiftEnv() })
  stops.push(async () => void (await m.stop()))
  const withS3fs = await s3fsInstalled()
  const s3fsDir = join(scratch, 's3fs-mnt')
  if (withS3fs) stops.push(await mountS3fs(swift, s3fsDir))
  else log('s3: s3fs not installed (apt-get install s3fs): its column is empty')
  const results: Record<Target, Record<Metric, number>[]> = { sdk: [], s3: [], s3fs: [] }
  for (let round = 1; round <= ROUNDS; round++) {
    log(`s3 round ${round}/${ROUNDS}: SDK`)
    results.sdk.push(await direct(s3, scratch))
    log(`s3 round ${round}/${ROUNDS}: /s3`)
    results.s3.push(await onMount(join(m.mountpoint, 's3', `vfs${round}`), join(m.mountpoint, 's3', 'list')))
    if (withS3fs) {
      log(`s3 round ${round}/${ROUNDS}: s3fs`)
      results.s3fs.push(await onMount(join(s3fsDir, `s3fs${round}`), join(s3fsDir, 'list')))
    }
    await rm(join(scratch, 'sdk-big'), { force: true })
  }
  const out = [`/s3 on Swift s3api (${MB} MiB, ${FILES} files, ${LIST} keys)`, `${'metric'.padEnd(34)}${'SDK'.padStart(9)}${'/s3'.padStart(9)}${'s3fs'.padStart(9)}${'/s3÷SDK'.padStart(9)}${'/s3÷s3fs'.padStart(10)}`]
  for (const [metric, label] of ROWS) {
    const v = (t: Target) => median(results[t].map((r) => r[metric]))
    const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2))
    out.push(`${label.padEnd(34)}${fmt(v('sdk')).padStart(9)}${fmt(v('s3')).padStart(9)}${fmt(v('s3fs')).padStart(9)}${ratio(v('s3'), v('sdk')).padStart(9)}${ratio(v('s3'), v('s3fs')).padStart(10)}`)
  }
  out.push(`${ROUNDS} round(s); list "again" is after the ${TTL_MS} ms cache TTL (kernel and /s3 caches expired)`)
  return out
}
