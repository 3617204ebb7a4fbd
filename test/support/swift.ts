/**
 * A real S3 server for tests: OpenStack Swift 2.30 with its s3api middleware (Debian packages
 * swift-proxy, swift-object, swift-container, swift-account, memcached), the most faithful S3
 * implementation installable here (shared/BACKENDS.md §1: SigV4 checked, listing pagination and
 * delimiter paging right, S3-style multipart ETags, ListParts/ListMultipartUploads). Five processes
 * in a temporary folder on free loopback ports, started in about 3 s and stopped by PID.
 *
 *   const swift = await startSwift()
 *   const s3 = swift.client(); await swift.createBucket('b')
 *   ...; await swift.stop()
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { statOf } from '../../src/mounts/s3/meta.ts'

export const SWIFT_CREDENTIALS = { accessKeyId: 'test:tester', secretAccessKey: 'testing' }

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL')
})

export interface SwiftClientConfig {
  endpoint: string
  region: string
  forcePathStyle: boolean
  credentials: { accessKeyId: string; secretAccessKey: string }
}

export interface Swift {
  /** http://127.0.0.1:PORT of the proxy (the S3 endpoint). */
  endpoint: string
  port: number
  dir: string
  /** Options for an S3Client (or an /s3 mount) on this server. */
  clientConfig(): SwiftClientConfig
  client(): S3Client
  createBucket(name: string): Promise<void>
  /** Stops only the S3 endpoint (the proxy): requests are refused while the data stays. */
  stopProxy(): Promise<void>
  /** Starts the S3 endpoint again (nothing when it runs). */
  startProxy(): Promise<void>
  stop(): Promise<void>
  logs(): Promise<string>
}

/** Whether the Debian packages are installed (tests skip with a message otherwise). */
export async function swiftInstalled(): Promise<boolean> {
  try {
    await promisify(execFile)('sh', ['-c', 'command -v swift-proxy-server && command -v memcached'])
    return true
  } catch {
    return false
  }
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => resolve(s))
    })),
  )
  const ports = servers.map((s) => (s.address() as { port: number }).port)
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  return ports
}

function serverConf(dir: string, name: string, port: number): string {
  return `[DEFAULT]
devices = ${dir}/srv/node
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}/etc
log_level = WARNING
log_address = /nonexistent
[pipeline:main]
pipeline = ${name}-server
[app:${name}-server]
use = egg:swift#${name}
[${name}-replicator]
[${name}-updater]
[${name}-auditor]
[object-reconstructor]
`
}

function proxyConf(dir: string, port: number, memcachedPort: number): string {
  return `[DEFAULT]
bind_ip = 127.0.0.1
bind_port = ${port}
workers = 0
swift_dir = ${dir}/etc
log_level = WARNING
log_address = /nonexistent
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
dns_compliant_bucket_names = true
allow_multipart_uploads = true
max_bucket_listing = 1000
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:${memcachedPort}
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:symlink]
use = egg:swift#symlink
`
}

/** The three rings in one Python process (swift-ring-builder takes 0.4 s per call, nine calls). */
const RINGS_PY = `
import sys
from swift.common.ring import RingBuilder
d = sys.argv[1]
for name, port in zip(('object', 'container', 'account'), sys.argv[2:5]):
    b = RingBuilder(10, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port), 'device': 'sdb1', 'weight': 1})
    b.rebalance()
    b.get_ring().save('%s/%s.ring.gz' % (d, name))
`

async function waitHealthy(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`swift proxy exited (${proc.exitCode})`)
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`swift proxy not healthy after ${timeoutMs} ms`)
}

export async function startSwift(): Promise<Swift> {
  const dir = await mkdtemp(join(tmpdir(), 'swift-'))
  const etc = join(dir, 'etc')
  await Promise.all([mkdir(etc, { recursive: true }), mkdir(join(dir, 'srv/node/sdb1'), { recursive: true })])
  const [object, container, account, proxy, memcachedPort] = (await freePorts(5)) as [number, number, number, number, number]
  await promisify(execFile)('/usr/bin/python3', ['-c', RINGS_PY, etc, String(object), String(container), String(account)])
  await Promise.all([
    writeFile(join(etc, 'object-server.conf'), serverConf(dir, 'object', object)),
    writeFile(join(etc, 'container-server.conf'), serverConf(dir, 'container', container)),
    writeFile(join(etc, 'account-server.conf'), serverConf(dir, 'account', account)),
    writeFile(join(etc, 'proxy-server.conf'), proxyConf(dir, proxy, memcachedPort)),
  ])
  const log = createWriteStream(join(dir, 'swift.log'))
  const procs = new Map<string, ChildProcess>()
  const run = (name: string, cmd: string, args: string[]): ChildProcess => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    p.stdout?.pipe(log, { end: false })
    p.stderr?.pipe(log, { end: false })
    live.add(p)
    p.once('exit', () => live.delete(p))
    procs.set(name, p)
    return p
  }
  const kill = async (name: string): Promise<void> => {
    const p = procs.get(name)
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    const timer = setTimeout(() => p.kill('SIGKILL'), 3000)
    await exited
    clearTimeout(timer)
  }
  const memcachedArgs = ['-l', '127.0.0.1', '-p', String(memcachedPort), '-U', '0', '-m', '64', ...(process.getuid?.() === 0 ? ['-u', 'root'] : [])]
  const startProxy = async (): Promise<void> => {
    const running = procs.get('proxy')
    if (running && running.exitCode === null && running.signalCode === null) return
    const p = run('proxy', 'swift-proxy-server', [join(etc, 'proxy-server.conf')])
    await waitHealthy(`http://127.0.0.1:${proxy}/healthcheck`, p, 60_000)
  }
  const stop = async (): Promise<void> => {
    await Promise.all([...procs.keys()].map(kill))
    log.end()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    run('memcached', 'memcached', memcachedArgs)
    for (const n of ['object', 'container', 'account']) run(n, `swift-${n}-server`, [join(etc, `${n}-server.conf`)])
    await startProxy()
  } catch (err) {
    const text = await readFile(join(dir, 'swift.log'), 'utf8').catch(() => '')
    await stop()
    throw new Error(`${(err as Error).message}\n${text}`, { cause: err })
  }
  const endpoint = `http://127.0.0.1:${proxy}`
  const clientConfig = (): SwiftClientConfig => ({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: SWIFT_CREDENTIALS })
  return {
    endpoint,
    port: proxy,
    dir,
    clientConfig,
    client: () => new S3Client(clientConfig()),
    createBucket: async (name) => {
      // Right after start the account and container servers may still be loading: Swift answers
      // 503 "reduce your request rate" until they answer, which the SDK retries.
      const c = new S3Client({ ...clientConfig(), maxAttempts: 10 })
      try {
        await c.send(new CreateBucketCommand({ Bucket: name }))
      } finally {
        c.destroy()
      }
    },
    stopProxy: () => kill('proxy'),
    startProxy,
    stop,
    logs: () => readFile(join(dir, 'swift.log'), 'utf8').catch(() => ''),
  }
}

/** The environment that gives the AWS default credential chain Swift's test user (never the config file). */
export function swiftEnv(): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1' }
}

/** An /s3 mount spec for the CLI config on `bucket` of this server (or of `endpoint`, a proxy in front of it). */
export function s3MountSpec(swift: Swift, bucket: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 's3', bucket, endpoint: swift.endpoint, region: 'us-east-1', forcePathStyle: true, ...extra }
}

/** What a bucket holds in one folder, read through the SDK past every cache (the functional suite's store check). */
export function bucketStore(s3: S3Client, bucket: string, folder: string): { readdir(): Promise<string[]>; lstat(name: string): Promise<{ size: number; mode: number; mtimeNs: bigint }>; hiddenBits: number } {
  const prefix = `${folder}/`
  return {
    readdir: async () => {
      const names = new Set<string>()
      let token: string | undefined
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }))
        for (const c of page.Contents ?? []) if (c.Key && c.Key !== prefix) names.add(c.Key.slice(prefix.length))
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) names.add(p.Prefix.slice(prefix.length, -1))
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return [...names].sort()
    },
    lstat: async (name) => {
      const head = async (Key: string) => s3.send(new HeadObjectCommand({ Bucket: bucket, Key })).catch(() => undefined)
      const file = await head(prefix + name)
      const h = file ?? (await head(`${prefix}${name}/`))
      if (!h) throw Object.assign(new Error(`ENOENT: ${prefix}${name} not in the bucket`), { code: 'ENOENT' })
      const st = statOf({ metadata: h.Metadata, size: h.ContentLength ?? 0, lastModified: h.LastModified }, file ? 'file' : 'dir', { uid: 0, gid: 0 })
      return { size: st.size, mode: st.mode, mtimeNs: st.mtimeNs }
    },
    hiddenBits: 0,
  }
}
