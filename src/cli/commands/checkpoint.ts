import { parseArgs } from 'node:util'
import type { Checkpoint } from '../../journal/checkpoints/store.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'
import { withProgress } from './progress-bar.ts'
import { restoreCommand } from './restore.ts'

const HELP = `Usage: ipfs-vfs checkpoint <subcommand> [options]

A checkpoint syncs paths to IPFS and records their root CIDs with the journal's sequence number
and a label. Restore one with 'ipfs-vfs restore ID' (or 'checkpoint restore ID').

Subcommands:
  create [PATH...]      sync PATHs (default: every writable mount) and record them; prints the id
  list                  every checkpoint: id, time, journal sequence, label, roots
  diff A B|current      what changed from checkpoint A to B (ids or labels), or to the tree now:
                        A added, D removed, M modified (bytes, mode or mtime), one line per path
  restore ID ...        the same as 'ipfs-vfs restore'

Options:
  --label L          create: a label (restore and diff accept it in place of the id)
  --json             print the method's JSON result
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

function describe(cp: Checkpoint): string[] {
  return [`checkpoint ${cp.id}${cp.label ? ` (${cp.label})` : ''} ${when(cp.time)} at #${cp.seq}`, ...Object.entries(cp.roots).map(([path, cid]) => `  ${path} ${cid}`)]
}

const LETTER: Record<string, string> = { added: 'A', removed: 'D', modified: 'M' }

export const checkpointCommand: Command = {
  name: 'checkpoint',
  aliases: ['checkpoints'],
  summary: 'Create, list and diff checkpoints (trees recorded as IPFS CIDs)',
  help: HELP,
  async run(argv) {
    if (argv[0] === 'restore') return restoreCommand.run(argv.slice(1))
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { label: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(HELP)
    const [sub, ...rest] = positionals
    const opts = { config: values.config, stateDir: values['state-dir'] }
    const out = (json: unknown, lines: string[]): number => {
      process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : lines.map((l) => `${l}\n`).join(''))
      return 0
    }
    if (sub === 'create') {
      for (const p of rest) if (!p.startsWith('/')) throw new UsageError(`checkpoint create: ${p}: expected a VFS path such as /local`)
      const params = { ...(rest.length ? { paths: rest } : {}), ...(values.label !== undefined ? { label: values.label } : {}) }
      const cp = (await withProgress(values.json === true, (onProgress, signal) => callService('checkpoint.create', params, { ...opts, onProgress, signal }))) as Checkpoint
      return out(cp, describe(cp))
    }
    if (values.label !== undefined) throw new UsageError('checkpoint: --label is for create')
    if (sub === 'list') {
      if (rest.length) throw new UsageError('checkpoint list takes no arguments')
      const r = (await callService('checkpoint.list', {}, opts)) as { checkpoints: Checkpoint[] }
      return out(r, r.checkpoints.length ? r.checkpoints.flatMap(describe) : ['no checkpoints'])
    }
    if (sub === 'diff') {
      const [a, b, ...more] = rest
      if (!a || !b || more.length) throw new UsageError('checkpoint diff takes two checkpoints (id or label), or one and current')
      const r = (await withProgress(values.json === true, (onProgress, signal) => callService('checkpoint.diff', { a, b }, { ...opts, onProgress, signal }))) as { changes: { path: string; change: string }[] }
      return out(r, r.changes.map((c) => `${LETTER[c.change] ?? '?'} ${c.path}`))
    }
    throw new UsageError(sub === undefined ? 'checkpoint: create, list, diff or restore?' : `checkpoint: unknown subcommand '${sub}' (create, list, diff, restore)`)
  },
}
