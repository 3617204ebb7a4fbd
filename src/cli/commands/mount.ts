import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { Daemon } from '../daemon.ts'
import { type Command, printHelp, UsageError } from './command.ts'

export const mountCommand: Command = {
  name: 'mount',
  summary: 'Mount the VFS in the foreground (Ctrl-C or SIGTERM unmounts cleanly)',
  help: `Usage: ipfs-vfs mount <mountpoint> [--config FILE] [--state-dir DIR]

Mounts every configured mount under <mountpoint> and serves it in the foreground.
With no --config: /local over a folder in the state directory and /ipfs on embedded Helia.

Options:
  --config FILE      YAML config (mounts, fuse options); unknown keys are errors
  --state-dir DIR    journal, staging and control files (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    const [target, ...rest] = positionals
    if (!target || rest.length) throw new UsageError('mount takes exactly one mount point')
    const config = await loadConfig(values.config, values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] })
    const daemon = await Daemon.start(config, target)
    process.stdout.write(`mounted ${daemon.service.vfs.mounts.list().map((m) => m.point).join(' ')} at ${daemon.fuse.mountpoint}\n`)
    return daemon.serve()
  },
}
