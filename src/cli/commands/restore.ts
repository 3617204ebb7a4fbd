import { parseArgs } from 'node:util'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'
import { withProgress } from './progress-bar.ts'

const HELP = `Usage: ipfs-vfs restore ID [--path P] [--target T] [--delete] [options]

Writes checkpoint ID (its id or label) back: every path it recorded, in place; or with --path
only P (a recorded path or anything inside one), in place or at --target T, a path on any mount.
Files already equal to the checkpoint's are left alone; others are overwritten, with their modes
and mtimes. --delete removes what the checkpoint did not have.

Options:
  --path P           restore only P
  --target T         restore to T instead of in place (any mount)
  --delete           remove entries the checkpoint does not have
  --json             print the method's JSON result
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help

A progress bar (bytes and files) is drawn on stderr when it is a terminal.`

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore a checkpoint (or one path of it) in place or into any path',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { path: { type: 'string' }, target: { type: 'string' }, delete: { type: 'boolean' }, json: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(HELP)
    const [id, ...rest] = positionals
    if (!id || rest.length) throw new UsageError('restore takes exactly one checkpoint (id or label)')
    for (const [k, v] of [['path', values.path], ['target', values.target]] as const) {
      if (v !== undefined && !v.startsWith('/')) throw new UsageError(`restore: --${k} ${v}: expected a VFS path such as /local/x`)
    }
    const params = { id, ...(values.path ? { path: values.path } : {}), ...(values.target ? { target: values.target } : {}), ...(values.delete ? { delete: true } : {}) }
    const r = (await withProgress(values.json === true, (onProgress, signal) => callService('checkpoint.restore', params, { config: values.config, stateDir: values['state-dir'], onProgress, signal }))) as Record<string, number>
    process.stdout.write(values.json ? `${JSON.stringify(r)}\n` : `${r.files} file(s), ${r.bytes} bytes written; ${r.unchanged ?? 0} unchanged, ${r.deleted} deleted\n`)
    return 0
  },
}
