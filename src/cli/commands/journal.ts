import { parseArgs } from 'node:util'
import type { JournalEntry, RecoveryReport } from '../../journal/entries.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'

const HELP = `Usage: ipfs-vfs journal <subcommand> [options]

The write-ahead journal: every operation that changed a mount, its outcome, and what recovery
did at the last start.

Subcommands:
  history PATH      operations on PATH and everything below it, oldest first
  list              the latest operations (--since SEQ for those after SEQ, --mount /obj)
  status            last sequence number, entries kept, pending uploads, last recovery
  track PATH        keep PATH's history when older entries are compacted
  untrack PATH      stop keeping it
  tracked           the tracked paths

Options:
  --limit N          at most N entries (default 100)
  --since SEQ        list: entries after SEQ
  --mount POINT      list: entries of one mount
  --json             print the method's JSON result instead of lines
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/** One line per entry: `#12 2026-... write /local/a ok size=5 xxh3=9555e8555c62dcfd`. */
export function formatEntry(e: JournalEntry): string {
  const outcome = e.status === 'recovered' ? `recovered:${e.recovery}${e.errno ? ` ${e.errno}` : ''}` : e.status === 'error' ? `error ${e.errno}` : e.status === 'intent' ? 'unfinished' : 'ok'
  const r = e.result ?? {}
  const extra: string[] = []
  if (typeof r.size === 'number') extra.push(`size=${r.size}`)
  if (typeof r.xxh3 === 'string') extra.push(`xxh3=${r.xxh3}`)
  if (Array.isArray(r.ranges) && r.ranges.length) extra.push(`ranges=${(r.ranges as [number, number][]).map(([a, b]) => `${a}-${b}`).join(',')}`)
  const a = e.args ?? {}
  if (e.op === 'chmod' && typeof a.mode === 'number') extra.push(`mode=${a.mode.toString(8)}`)
  if (e.op === 'truncate' && typeof a.size === 'number') extra.push(`size=${a.size}`)
  if (e.op === 'symlink' && typeof a.target === 'string') extra.push(`target=${a.target}`)
  return `#${e.seq} ${when(e.time)} ${e.op} ${e.paths.join(' -> ')} ${outcome}${extra.length ? ` ${extra.join(' ')}` : ''}`
}

function formatRecovery(r: RecoveryReport | null): string[] {
  if (!r) return ['last recovery: none']
  const lines = [`last recovery: ${when(r.time)}: ${r.resumedUploads} upload(s) resumed, ${r.failedUploads} failed, ${r.reapplied} re-applied, ${r.confirmed} confirmed, ${r.rolledBack} rolled back, ${r.discardedStaged} staged file(s) discarded${r.kept ? `, ${r.kept} kept for another configuration` : ''}`]
  for (const d of r.details) lines.push(`  ${d.kind} ${d.seq === undefined ? '' : `#${d.seq} `}${d.op ? `${d.op} ` : ''}${d.path ?? ''} ${d.action}${d.errno ? ` ${d.errno}` : ''}${d.message ? `: ${d.message}` : ''}`.replace(/ {2,}/g, ' '))
  return lines
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`journal: --${name} takes a whole number, not '${raw}'`)
  return n
}

export const journalCommand: Command = {
  name: 'journal',
  summary: 'Operation history, journal status and recovery report; track paths',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { limit: { type: 'string' }, since: { type: 'string' }, mount: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(HELP)
    const [sub, ...rest] = positionals
    const opts = { config: values.config, stateDir: values['state-dir'] }
    const limit = positiveInt('limit', values.limit)
    const onePath = (): string => {
      const [path, ...more] = rest
      if (!path || more.length) throw new UsageError(`journal ${sub} takes exactly one path`)
      if (!path.startsWith('/')) throw new UsageError(`journal ${sub}: ${path}: expected a VFS path such as /local/notes`)
      return path
    }
    const noArgs = () => {
      if (rest.length) throw new UsageError(`journal ${sub} takes no path`)
    }
    let method: string
    let params: Record<string, unknown>
    switch (sub) {
      case 'history':
        ;[method, params] = ['journal.history', { path: onePath(), ...(limit ? { limit } : {}) }]
        break
      case 'list': {
        noArgs()
        const since = positiveInt('since', values.since)
        ;[method, params] = ['journal.list', { ...(limit ? { limit } : {}), ...(since === undefined ? {} : { since }), ...(values.mount ? { mount: values.mount } : {}) }]
        break
      }
      case 'status':
        noArgs()
        ;[method, params] = ['journal.status', {}]
        break
      case 'track':
      case 'untrack':
        ;[method, params] = [`journal.${sub}`, { path: onePath() }]
        break
      case 'tracked':
        noArgs()
        ;[method, params] = ['journal.tracked', {}]
        break
      case undefined:
        throw new UsageError('journal needs a subcommand: history, list, status, track, untrack, tracked (try --help)')
      default:
        throw new UsageError(`journal: unknown subcommand '${sub}' (try --help)`)
    }
    const out = (await callService(method, params, opts)) as Record<string, unknown>
    if (values.json) {
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
      return 0
    }
    process.stdout.write(`${render(sub, out).join('\n')}\n`)
    return 0
  },
}

function render(sub: string, out: Record<string, unknown>): string[] {
  switch (sub) {
    case 'history':
    case 'list': {
      const entries = out.entries as JournalEntry[]
      return entries.length ? entries.map(formatEntry) : ['(no entries)']
    }
    case 'status': {
      const tracked = out.tracked as string[]
      return [
        `last sequence: ${out.lastSeq}`,
        `entries: ${out.entries}`,
        `pending uploads: ${out.pendingUploads}`,
        `tracked: ${tracked.length ? tracked.join(' ') : '(none)'}`,
        ...formatRecovery(out.lastRecovery as RecoveryReport | null),
      ]
    }
    case 'track':
      return [`tracking ${out.path}`]
    case 'untrack':
      return [out.wasTracked ? `no longer tracking ${out.path}` : `${out.path} was not tracked`]
    default: {
      const paths = out.paths as string[]
      return paths.length ? paths : ['(none)']
    }
  }
}
