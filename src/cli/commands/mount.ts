import { parseArgs } from 'node:util'
import { loadConfig } from '../config.ts'
import { Daemon } from '../daemon.ts'
import { parseListen } from '../../mcp-adapter/http.ts'
import { parseAliases, serveMcpHttp } from './mcp.ts'
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
  --mcp-http HOST:PORT  also serve MCP over Streamable HTTP at http://HOST:PORT/mcp (loopback
                     by default), bearer token required
  --mcp-token TOKEN  that token (default $IPFS_VFS_MCP_TOKEN, else <state-dir>/mcp-token, generated)
  --mcp-aliases LIST add alias tool names over HTTP: reference, mbfs
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, 'mcp-http': { type: 'string' }, 'mcp-token': { type: 'string' }, 'mcp-aliases': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    const [target, ...rest] = positionals
    if (!target || rest.length) throw new UsageError('mount takes exactly one mount point')
    const config = await loadConfig(values.config, values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] })
    const mcpHttp = values['mcp-http']
    const mcpAliases = parseAliases(values['mcp-aliases'])
    if (mcpHttp !== undefined) parseListen(mcpHttp)
    const daemon = await Daemon.start(config, target)
    if (mcpHttp !== undefined) {
      // Printed before 'mounted': whoever waits for that line can use the endpoint too.
      const url = await serveMcpHttp(daemon.service, mcpHttp, { token: values['mcp-token'], aliases: mcpAliases }).catch(async (err: unknown) => {
        await daemon.stop('MCP over HTTP could not start')
        throw err
      })
      process.stdout.write(`mcp ${url}\n`)
    }
    process.stdout.write(`mounted ${daemon.service.vfs.mounts.list().map((m) => m.point).join(' ')} at ${daemon.fuse.mountpoint}\n`)
    return daemon.serve()
  },
}
