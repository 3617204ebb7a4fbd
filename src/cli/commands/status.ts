import { parseArgs } from 'node:util'
import type { StatusResult } from '../../ops/status.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'
import { table } from '../../ops/table.ts'

function mib(n: number): string {
  return n < 1 << 20 ? `${n} B` : `${(n / (1 << 20)).toFixed(1)} MiB`
}

/** One line for a checkpoint or a recovery report: what the journal and checkpoints features return, whatever its shape. */
function brief(value: unknown): string {
  if (value === null || value === undefined) return 'none'
  if (typeof value !== 'object') return String(value)
  const v = value as Record<string, unknown>
  if (typeof v.error === 'string') return `unknown (${v.error})`
  const parts: string[] = []
  for (const key of ['id', 'label', 'seq', 'time', 'at', 'replayed', 'rolledBack', 'uploaded', 'resumed', 'failed']) {
    if (v[key] !== undefined && typeof v[key] !== 'object') parts.push(`${key} ${String(v[key])}`)
  }
  return parts.length ? parts.join(', ') : JSON.stringify(value)
}

export function formatStatus(s: StatusResult): string {
  const rows = s.mounts.map((m) => [m.point, m.type, m.health + (m.reason ? ` (${m.reason})` : ''), String(m.pendingUploads), String(m.openHandles), m.source])
  const c = s.counters
  const lines = [
    s.daemon ? `daemon: pid ${s.pid}, up since ${s.startedAt}, state ${s.stateDir}` : `daemon: not running (state ${s.stateDir} opened for this call)`,
    '',
    table(['MOUNT', 'TYPE', 'HEALTH', 'PENDING', 'OPEN', 'SOURCE'], rows),
    '',
    `last checkpoint: ${brief(s.lastCheckpoint)}`,
    `last recovery:   ${brief(s.lastRecovery)}`,
    `operations:      ${c.operations} (${c.failed} failed), read ${mib(c.bytesRead)}, written ${mib(c.bytesWritten)}, cache ${c.cacheHits} hits / ${c.cacheMisses} misses`,
  ]
  if (s.metrics) lines.push(`metrics:         ${s.metrics}`)
  return lines.join('\n')
}

export const statusCommand: Command = {
  name: 'status',
  summary: "Each mount's health, pending uploads, open handles; last checkpoint and recovery; counters",
  help: `Usage: ipfs-vfs status [--json] [--config FILE] [--state-dir DIR]

Asks the running daemon (or, when none runs, the state directory itself) for each mount's
backend, health (ok, or degraded with the reason: a probe of the store that must answer within
5 s), uploads not yet finished and open handles, the last checkpoint, the last recovery report
and the operation counters (the same ones the metrics endpoint serves). Exit status 1 when a
mount is not healthy.

Options:
  --json             the whole status as JSON
  --config FILE      config (to find the state directory)
  --state-dir DIR    state directory
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    if (positionals.length) throw new UsageError('status takes no arguments')
    const status = (await callService('status', {}, { config: values.config, stateDir: values['state-dir'] })) as StatusResult
    process.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`)
    return status.mounts.every((m) => m.health === 'ok') ? 0 : 1
  },
}
