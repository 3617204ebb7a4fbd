import { parseArgs } from 'node:util'
import type { MountRow } from '../../ops/runtime-mounts.ts'
import { table } from '../../ops/table.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'

/** key=value arguments as a spec: values that parse as JSON (true, 3, "x", [..]) are taken as such. */
export function specFromPairs(type: string, pairs: string[]): Record<string, unknown> {
  const spec: Record<string, unknown> = { type }
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`expected key=value, got '${pair}'`)
    const raw = pair.slice(eq + 1)
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {
      // A plain string such as a path.
    }
    spec[pair.slice(0, eq)] = value
  }
  return spec
}

function formatMounts(rows: MountRow[]): string {
  return table(
    ['MOUNT', 'TYPE', 'SOURCE', 'DETAILS'],
    rows.map((m) => [
      m.point,
      m.type,
      m.source,
      m.active
        ? Object.entries(m.info)
            .filter(([k]) => k !== 'type')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')
        : `not mounted: ${m.error ?? ''}`,
    ]),
  )
}

export const mountsCommand: Command = {
  name: 'mounts',
  summary: 'List, add or remove mounts of the running daemon (added ones persist)',
  help: `Usage: ipfs-vfs mounts list [--json]
       ipfs-vfs mounts add <point> <type> [key=value ...]     e.g. mounts add /data local root=/srv/data
       ipfs-vfs mounts add <point> --spec '<json>'            e.g. --spec '{"type":"local","root":"/srv/data"}'
       ipfs-vfs mounts remove <point> [--force]

A mount added here is validated as the config file's mounts are (same keys, same messages),
appears at once, and is mounted again at every start until it is removed. Removing a mount of
the config file lasts until the next start. remove refuses (EBUSY) while files are open there or
uploads are unfinished; --force removes it anyway (open handles then fail).

Options:
  --config FILE      config (to find the state directory)
  --state-dir DIR    state directory
  --json             the mount table as JSON
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, spec: { type: 'string' }, force: { type: 'boolean' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(this.help)
    const [verb = 'list', ...rest] = positionals
    const opts = { config: values.config, stateDir: values['state-dir'] }
    let result: { mounts: MountRow[] }
    if (verb === 'list' || verb === 'ls') {
      if (rest.length) throw new UsageError('mounts list takes no arguments')
      result = (await callService('mounts.list', {}, opts)) as { mounts: MountRow[] }
    } else if (verb === 'add') {
      const [point, type, ...pairs] = rest
      if (!point) throw new UsageError('mounts add needs a mount point')
      let spec: unknown
      if (values.spec !== undefined) {
        if (type !== undefined) throw new UsageError('give either --spec or <type> key=value..., not both')
        try {
          spec = JSON.parse(values.spec)
        } catch (err) {
          throw new UsageError(`--spec: not JSON: ${(err as Error).message}`)
        }
      } else {
        if (!type) throw new UsageError('mounts add needs a type (local, ipfs, ...) or --spec')
        spec = specFromPairs(type, pairs)
      }
      result = (await callService('mounts.add', { point, spec }, opts)) as { mounts: MountRow[] }
    } else if (verb === 'remove' || verb === 'rm') {
      const [point, ...more] = rest
      if (!point || more.length) throw new UsageError('mounts remove takes one mount point')
      result = (await callService('mounts.remove', { point, force: values.force ?? false }, opts)) as { mounts: MountRow[] }
    } else throw new UsageError(`unknown mounts verb '${verb}' (list, add, remove)`)
    process.stdout.write(values.json ? `${JSON.stringify(result.mounts, null, 2)}\n` : `${formatMounts(result.mounts)}\n`)
    return 0
  },
}
