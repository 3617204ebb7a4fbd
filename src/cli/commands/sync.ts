import { parseArgs } from 'node:util'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'
import { withProgress } from './progress-bar.ts'

const HELP = `Usage: ipfs-vfs sync to-ipfs PATH [options]
       ipfs-vfs sync from-ipfs CID PATH [--delete] [--conflict fail|skip|overwrite] [options]

to-ipfs     imports PATH (any folder or file of any mount) into the IPFS engine, with mode and
            mtime, and prints its root CID. Incremental: a file whose size, mtime and mode are
            those of the last sync is not read again.
from-ipfs   writes the tree (or file) CID at PATH on any mount, with modes and mtimes. A file
            that is already there and differs is a conflict: fail (default: nothing is written),
            skip (keep it) or overwrite. --delete removes what CID does not have.

Options:
  --conflict MODE    from-ipfs: fail, skip or overwrite (default fail)
  --delete           from-ipfs: remove entries of PATH that CID does not have
  --json             print the method's JSON result
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help

A progress bar (bytes and files) is drawn on stderr when it is a terminal.`

function vfsPath(cmd: string, path: string | undefined): string {
  if (!path) throw new UsageError(`${cmd}: missing PATH`)
  if (!path.startsWith('/')) throw new UsageError(`${cmd}: ${path}: expected a VFS path such as /local/x`)
  return path
}

export const syncCommand: Command = {
  name: 'sync',
  summary: 'Import a VFS path into IPFS (prints its CID), or write a CID into a VFS path',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { conflict: { type: 'string' }, delete: { type: 'boolean' }, json: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(HELP)
    const [sub, ...rest] = positionals
    const opts = { config: values.config, stateDir: values['state-dir'] }
    const print = (json: unknown, line: string): number => {
      process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : `${line}\n`)
      return 0
    }
    if (sub === 'to-ipfs') {
      if (rest.length !== 1) throw new UsageError('sync to-ipfs takes exactly one PATH')
      if (values.conflict !== undefined || values.delete) throw new UsageError('sync to-ipfs: --conflict and --delete are for from-ipfs')
      const path = vfsPath('sync to-ipfs', rest[0])
      const r = (await withProgress(values.json === true, (onProgress, signal) => callService('sync.toIpfs', { path }, { ...opts, onProgress, signal }))) as { cid: string }
      return print(r, r.cid)
    }
    if (sub === 'from-ipfs') {
      if (rest.length !== 2) throw new UsageError('sync from-ipfs takes a CID and a PATH')
      const conflict = values.conflict
      if (conflict !== undefined && !['fail', 'skip', 'overwrite'].includes(conflict)) throw new UsageError(`sync from-ipfs: --conflict takes fail, skip or overwrite, not '${conflict}'`)
      const params = { cid: rest[0], path: vfsPath('sync from-ipfs', rest[1]), ...(conflict ? { conflict } : {}), ...(values.delete ? { delete: true } : {}) }
      const r = (await withProgress(values.json === true, (onProgress, signal) => callService('sync.fromIpfs', params, { ...opts, onProgress, signal }))) as Record<string, number>
      return print(r, `${r.files} file(s), ${r.bytes} bytes written; ${r.unchanged ?? 0} unchanged, ${r.skipped} skipped, ${r.deleted} deleted`)
    }
    throw new UsageError(sub === undefined ? 'sync: to-ipfs or from-ipfs?' : `sync: unknown subcommand '${sub}' (to-ipfs, from-ipfs)`)
  },
}
