/**
 * A real Kubo RPC server for the Kubo engine's tests: the js-ipfs 0.66.1 daemon (BACKENDS.md §2),
 * installed in its own package (test/kubo-standin, by scripts/setup.sh), started on free loopback
 * ports in a repository of the test's own, stopped by its PID. It serves Kubo's `/api/v0` with
 * Kubo's envelope and status codes; where it differs from Kubo, the tests say so.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NODE, ROOT } from './mount.ts'

const STANDIN = join(ROOT, 'test/kubo-standin')
const JSIPFS = join(STANDIN, 'node_modules/ipfs/src/cli.js')

export interface KuboDaemon {
  /** The RPC API's base URL ('http://127.0.0.1:41585'). */
  api: string
  /** The repository (IPFS_PATH); kept by stop({ keepRepo: true }) for a restart. */
  repo: string
  pid: number
  logs(): string
  /** SIGTERM, then SIGKILL after 5 s; removes the repository unless asked to keep it. */
  stop(opts?: { keepRepo?: boolean }): Promise<void>
}

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/** Why the Kubo tests cannot run here, or undefined when they can. */
export function kuboSkipReason(): string | undefined {
  if (!existsSync(JSIPFS)) return `the Kubo stand-in (js-ipfs) is not installed: run scripts/setup.sh (npm ci --prefix test/kubo-standin)`
  return undefined
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [JSIPFS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (out += d))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`jsipfs ${args.join(' ')} exited ${code}:\n${out}`))))
  })
}

/** A fresh repository with the test profile (no bootstrap, no MDNS) and every listener on a free loopback port. */
async function initRepo(repo: string, env: NodeJS.ProcessEnv): Promise<void> {
  await run(['init', '--profile', 'test'], env)
  const configPath = join(repo, 'config')
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { Addresses: Record<string, unknown> }
  config.Addresses = { ...config.Addresses, Swarm: ['/ip4/127.0.0.1/tcp/0'], API: '/ip4/127.0.0.1/tcp/0', Gateway: '/ip4/127.0.0.1/tcp/0', RPC: '/ip4/127.0.0.1/tcp/0' }
  await writeFile(configPath, JSON.stringify(config, null, 2))
}

/** Starts a daemon (in `opts.repo` when given: a restart on the same repository). Ready in about 2 s. */
export async function startKuboDaemon(opts: { repo?: string } = {}): Promise<KuboDaemon> {
  const reason = kuboSkipReason()
  if (reason !== undefined) throw new Error(reason)
  const repo = opts.repo ?? join(await mkdtemp(join(tmpdir(), 'ipfs-vfs-kubo-')), 'repo')
  const env = { ...process.env, IPFS_PATH: repo, IPFS_MONITORING: '', DEBUG: '' }
  if (opts.repo === undefined) await initRepo(repo, env)
  else await rm(join(repo, 'repo.lock'), { recursive: true, force: true })
  const child = spawn(NODE, [JSIPFS, 'daemon', '--offline', '--enable-preload=false'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let out = ''
  child.stderr.on('data', (d: Buffer) => (out += d))
  const api = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`js-ipfs not ready after 60 s:\n${out}`)), 60_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d
      const port = /HTTP API listening on \/ip4\/127\.0\.0\.1\/tcp\/(\d+)/.exec(out)?.[1]
      if (port !== undefined && out.includes('Daemon is ready')) {
        clearTimeout(timer)
        resolve(`http://127.0.0.1:${port}`)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`js-ipfs exited (${code}) before it was ready:\n${out}`))
    })
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL')
    live.delete(child)
    throw err
  })
  const pid = child.pid as number
  return {
    api,
    repo,
    pid,
    logs: () => out,
    stop: async ({ keepRepo = false } = {}) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        process.kill(pid, 'SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      live.delete(child)
      if (!keepRepo) await rm(join(repo, '..'), { recursive: true, force: true })
    },
  }
}
