import { parseArgs } from 'node:util'
import { isLogLevel, LOG_LEVELS, setLogLevel } from '../../log.ts'
import { notifyReady } from '../../ops/notify.ts'
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
  --allow-other      let other users into the mount (fuse.allowOther; mount -o allow_other)
  --read-only        every mount read-only (mount -o ro)
  --log-level LEVEL  ${LOG_LEVELS.join('|')} (default warn, or $IPFS_VFS_LOG)
  --mcp-http HOST:PORT  also serve MCP over Streamable HTTP at http://HOST:PORT/mcp (loopback
                     by default), bearer token required
  --mcp-token TOKEN  that token (default $IPFS_VFS_MCP_TOKEN, else <state-dir>/mcp-token, generated)
  --mcp-aliases LIST add alias tool names over HTTP: reference, mbfs
  -h, --help         this help

Under systemd (Type=notify, NOTIFY_SOCKET set) it reports readiness once the mount answers.`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, 'allow-other': { type: 'boolean' }, 'read-only': { type: 'boolean' }, 'log-level': { type: 'string' }, 'mcp-http': { type: 'string' }, 'mcp-token': { type: 'string' }, 'mcp-aliases': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(this.help)
    const [target, ...rest] = positionals
    if (!target || rest.length) throw new UsageError('mount takes exactly one mount point')
    const level = values['log-level']
    if (level !== undefined) {
      if (!isLogLevel(level)) throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}`)
      setLogLevel(level)
    }
    const config = await loadConfig(values.config, {
      ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
      ...(values['allow-other'] ? { fuse: { allowOther: true } } : {}),
      ...(values['read-only'] ? { readOnly: true } : {}),
    })
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
    const points = daemon.service.vfs.mounts.list().map((m) => m.point)
    // Signal handlers first: whoever reads the 'mounted' line may send SIGTERM at once, and
    // before serve() installs them the kernel's default action would kill us mid-mount.
    const served = daemon.serve()
    process.stdout.write(`mounted ${points.join(' ')} at ${daemon.fuse.mountpoint}\n`)
    await notifyReady(`serving ${points.join(' ')} at ${daemon.fuse.mountpoint}`)
    return served
  },
}
