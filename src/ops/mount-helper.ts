/**
 * mount(8)'s calling convention. `mount -t fuse.ipfs-vfs SOURCE DIR -o OPTS` runs
 * `/sbin/mount.fuse.ipfs-vfs SOURCE DIR [-sfnv] [-N NS] -o OPTS [-t fuse.ipfs-vfs]` when that link
 * exists; otherwise mount.fuse3 runs `ipfs-vfs SOURCE DIR -o OPTS` found on the PATH mount(8)
 * resets to (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin), having dropped
 * `_netdev`, `nofail`, `noauto`, `defaults` itself. Both end here: the options become the
 * `mount` command's flags, the daemon is started detached (its output to `<state>/daemon.log`),
 * and this process returns to mount(8) only once the mount answers, or with the daemon's error.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, open, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Readable } from 'node:stream'
import { daemonAnswers } from '../control/client.ts'
import { controlSocketPath } from '../control/protocol.ts'
import { loadConfig } from '../cli/config.ts'
import { clearStaleMount, isMounted } from '../fuse/stale-mount.ts'
import { isLogLevel } from '../log.ts'
import { READY_FD_ENV } from './notify.ts'

const MAIN = new URL('../cli/main.ts', import.meta.url).pathname

/** mount(8)'s exit codes (mount(8) "RETURN CODES"): a helper answers with the same. */
export const EXIT_USAGE = 1
export const EXIT_FAILURE = 32

/** How long the daemon may take to mount (an /ipfs repository opening, a remote store answering). */
export const READY_TIMEOUT_MS = 90_000

export class MountHelperError extends Error {
  override name = 'MountHelperError'
  readonly exitCode: number
  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message)
    this.exitCode = exitCode
  }
}

/** Options meant for mount(8), systemd or the kernel's generic flags: not ours, dropped. */
const DROPPED = new Set(['defaults', 'rw', '_netdev', 'nofail', 'auto', 'noauto', 'user', 'nouser', 'users', 'owner', 'group', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'atime', 'noatime', 'relatime', 'norelatime', 'strictatime', 'nodiratime', 'diratime', 'async', 'sync', 'silent', 'loud'])
const DROPPED_PREFIXES = ['x-', 'comment=', 'context=', 'fscontext=', 'defcontext=', 'rootcontext=']

export interface HelperCall {
  source: string
  mountpoint: string
  /** -o options, split at commas. */
  options: string[]
  /** -f: mount(8)'s fake mount (check everything, start nothing). */
  fake: boolean
  verbose: boolean
}

/** Parses `SOURCE DIR [-sfnv] [-N NS] [-o OPTS] [-t TYPE]` (options may come before or after the two names). */
export function parseHelperArgs(argv: string[]): HelperCall {
  const positionals: string[] = []
  const options: string[] = []
  let fake = false
  let verbose = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '-o' || arg === '-t' || arg === '-N') {
      const value = argv[++i]
      if (value === undefined) throw new MountHelperError(`${arg} needs a value`, EXIT_USAGE)
      if (arg === '-o') options.push(...value.split(',').filter(Boolean))
      if (arg === '-N') throw new MountHelperError('-N (mount namespaces) is not supported', EXIT_USAGE)
    } else if (arg.startsWith('-o') && arg.length > 2) options.push(...arg.slice(2).split(',').filter(Boolean))
    else if (/^-[sfnv]+$/.test(arg)) {
      if (arg.includes('f')) fake = true
      if (arg.includes('v')) verbose = true
    } else if (arg.startsWith('-') && arg !== '-') throw new MountHelperError(`unknown flag ${arg}`, EXIT_USAGE)
    else positionals.push(arg)
  }
  const [source, mountpoint, ...extra] = positionals
  if (source === undefined || mountpoint === undefined || extra.length > 0) throw new MountHelperError('usage: mount.fuse.ipfs-vfs CONFIG MOUNTPOINT [-o OPTIONS]', EXIT_USAGE)
  return { source, mountpoint, options, fake, verbose }
}

export interface MappedOptions {
  /** The config file, or undefined for the embedded default (source none/ipfs-vfs/default). */
  config: string | undefined
  stateDir: string | undefined
  /** Flags of `ipfs-vfs mount` besides --config and --state-dir. */
  flags: string[]
  /** What was dropped as mount(8)'s own. */
  dropped: string[]
}

/** Maps -o options to the mount command's flags; an option we do not know is an error, not ignored. */
export function mapOptions(call: HelperCall, cwd = process.cwd()): MappedOptions {
  const source = call.source
  let config = ['none', 'default', 'ipfs-vfs', ''].includes(source) ? undefined : resolve(cwd, source)
  let stateDir: string | undefined
  const flags: string[] = []
  const dropped: string[] = []
  for (const opt of call.options) {
    const eq = opt.indexOf('=')
    const key = eq < 0 ? opt : opt.slice(0, eq)
    const value = eq < 0 ? undefined : opt.slice(eq + 1)
    if (DROPPED.has(opt) || DROPPED_PREFIXES.some((p) => opt.startsWith(p))) dropped.push(opt)
    else if (key === 'allow_other' && value === undefined) flags.push('--allow-other')
    else if (key === 'ro' && value === undefined) flags.push('--read-only')
    else if (key === 'debug' && value === undefined) flags.push('--log-level', 'debug')
    else if ((key === 'state_dir' || key === 'statedir') && value) stateDir = resolve(cwd, value)
    else if (key === 'config' && value) config = resolve(cwd, value)
    else if (key === 'log_level' && isLogLevel(value)) flags.push('--log-level', value)
    else throw new MountHelperError(`unknown mount option '${opt}' (ipfs-vfs takes allow_other, ro, state_dir=DIR, config=FILE, log_level=LEVEL, debug)`, EXIT_USAGE)
  }
  return { config, stateDir, flags, dropped }
}

/** The daemon's failure as one line: its own `ipfs-vfs: ...` line, else the last error it logged. */
export function lastError(log: string): string | undefined {
  const lines = log.split('\n').filter(Boolean)
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] as string
    if (line.startsWith('ipfs-vfs: ')) return line.slice('ipfs-vfs: '.length)
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const entry = JSON.parse(lines[i] as string) as { level?: string; msg?: string }
      if (entry.level === 'error' || entry.level === 'fatal') return entry.msg
    } catch {
      return lines[i]
    }
  }
  return lines.at(-1)
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => resolveWait('timeout'), timeoutMs)
    const done = (r: 'ready' | 'exited') => {
      clearTimeout(timer)
      resolveWait(r)
    }
    let buf = ''
    const pipe = child.stdio[3] as Readable | null | undefined
    pipe?.on('data', (d: Buffer) => {
      buf += String(d)
      if (buf.includes('ready ')) done('ready')
    })
    pipe?.on('error', () => {})
    child.once('exit', () => done('exited'))
  })
}

/** stat(2) of the mount point from this process (never from the daemon's: that would deadlock it). */
async function answers(mountpoint: string, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))
  const ok = stat(mountpoint).then(
    () => true,
    () => false,
  )
  const r = await Promise.race([ok, late])
  clearTimeout(timer)
  return r
}

/** Runs the helper; resolves to the exit code for mount(8). Messages go to stderr as one line each. */
export async function runMountHelper(argv: string[], opts: { timeoutMs?: number } = {}): Promise<number> {
  const call = parseHelperArgs(argv)
  const mapped = mapOptions(call)
  const mountpoint = resolve(call.mountpoint)
  // Checked here so that a bad file fails `mount` itself, with the file and key named.
  const config = await loadConfig(mapped.config, mapped.stateDir === undefined ? {} : { stateDir: mapped.stateDir })
  // A daemon killed with SIGKILL leaves its mount answering ENOTCONN: cleared, not "already mounted".
  if ((await isMounted(mountpoint)) && !(await clearStaleMount(mountpoint))) throw new MountHelperError(`${mountpoint} is already mounted`)
  const socket = controlSocketPath(config.stateDir)
  if (await daemonAnswers(socket)) throw new MountHelperError(`a daemon already serves the state directory ${config.stateDir} (one daemon per state directory)`)
  const args = [MAIN, 'mount', mountpoint, '--state-dir', config.stateDir, ...(mapped.config ? ['--config', mapped.config] : []), ...mapped.flags]
  if (call.verbose) process.stderr.write(`ipfs-vfs: starting ${args.slice(1).join(' ')} (dropped: ${mapped.dropped.join(',') || 'nothing'})\n`)
  if (call.fake) return 0
  await mkdir(config.stateDir, { recursive: true })
  const logPath = join(config.stateDir, 'daemon.log')
  const logFile = await open(logPath, 'a', 0o600)
  const logStart = (await logFile.stat()).size
  let child: ChildProcess
  try {
    // Detached in its own session with no terminal: mount(8) and systemd wait for this process, not for it.
    child = spawn(process.execPath, args, { cwd: '/', detached: true, stdio: ['ignore', logFile.fd, logFile.fd, 'pipe'], env: { ...process.env, [READY_FD_ENV]: '3' } })
  } finally {
    await logFile.close()
  }
  const outcome = await waitReady(child, opts.timeoutMs ?? READY_TIMEOUT_MS)
  ;(child.stdio[3] as Readable | null | undefined)?.destroy()
  if (outcome === 'ready' && (await answers(mountpoint, 10_000))) {
    child.unref()
    return 0
  }
  if (outcome !== 'exited') child.kill('SIGTERM')
  const log = (await readFile(logPath, 'utf8').catch(() => '')).slice(logStart)
  const why = outcome === 'timeout' ? `no mount after ${Math.round((opts.timeoutMs ?? READY_TIMEOUT_MS) / 1000)} s` : (lastError(log) ?? `the daemon exited with ${child.exitCode ?? child.signalCode}`)
  throw new MountHelperError(`mounting ${mountpoint} failed: ${why} (log: ${logPath})`)
}
