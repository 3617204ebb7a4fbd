import { parseArgs } from 'node:util'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { daemonAnswers } from '../../control/client.ts'
import { controlSocketPath } from '../../control/protocol.ts'
import { createLogger } from '../../log.ts'
import { ALIAS_PROFILES, type AliasProfile } from '../../mcp-adapter/aliases.ts'
import { type Call, daemonCall, inProcessCall } from '../../mcp-adapter/call.ts'
import { TOKEN_ENV, isLoopback, parseListen, resolveToken, startMcpHttp } from '../../mcp-adapter/http.ts'
import { createMcpServer } from '../../mcp-adapter/server.ts'
import { loadConfig } from '../config.ts'
import { Service } from '../service.ts'
import { type Command, printHelp, UsageError } from './command.ts'

const log = createLogger('mcp')

export function parseAliases(raw: string | undefined): AliasProfile[] {
  if (!raw) return []
  return raw.split(',').map((p) => {
    if (!Object.hasOwn(ALIAS_PROFILES, p)) throw new UsageError(`--aliases: unknown profile '${p}' (expected ${Object.keys(ALIAS_PROFILES).join(', ')})`)
    return p as AliasProfile
  })
}

/**
 * `ipfs-vfs mount --mcp-http`: Streamable HTTP from the daemon over its own Service, closed with
 * it. Returns the URL and where the token is, for the startup line.
 */
export async function serveMcpHttp(service: Service, listen: string, opts: { token?: string | undefined; aliases?: AliasProfile[] } = {}): Promise<string> {
  const { host, port } = parseListen(listen)
  const token = await resolveToken(service.config.stateDir, opts.token ?? process.env[TOKEN_ENV])
  const call = inProcessCall(service.methods)
  const http = await startMcpHttp({ host, port, token, newServer: () => createMcpServer(call, { aliases: opts.aliases ?? [] }) })
  service.onClose(() => http.close())
  if (!isLoopback(host)) log.warn(`--mcp-http ${listen} is reachable from other hosts`)
  return http.url
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'Serve the VFS to an MCP client over stdio (through the running daemon, or on its own)',
  help: `Usage: ipfs-vfs mcp [--config FILE] [--state-dir DIR] [--aliases reference,mbfs]

Serves the MCP tools (vfs_*, fs_journal_*) on stdin/stdout. When a daemon ('ipfs-vfs mount')
runs on this state directory the tools go through its control socket, so an agent and a shell
on the mount see one truth; otherwise the VFS is opened here and closed when stdin ends.

Options:
  --config FILE       YAML config (used when no daemon runs)
  --state-dir DIR     state directory (default $XDG_DATA_HOME/ipfs-vfs)
  --aliases LIST      add alias tool names: reference (the MCP filesystem server's), mbfs (the seed's)
  -h, --help          this help

Over HTTP instead: ipfs-vfs mount <dir> --mcp-http 127.0.0.1:PORT [--mcp-token TOKEN]`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, aliases: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    if (positionals.length) throw new UsageError('mcp takes no arguments')
    const aliases = parseAliases(values.aliases)
    const config = await loadConfig(values.config, values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] })
    const socket = controlSocketPath(config.stateDir)
    let service: Service | undefined
    let call: Call
    if (await daemonAnswers(socket)) call = daemonCall(socket)
    else {
      service = await Service.open(config)
      call = inProcessCall(service.methods)
    }
    const server = createMcpServer(call, { aliases })
    const done = Promise.withResolvers<void>()
    const transport = new StdioServerTransport()
    transport.onclose = () => done.resolve()
    process.stdin.once('end', () => done.resolve())
    process.once('SIGINT', () => done.resolve())
    process.once('SIGTERM', () => done.resolve())
    await server.connect(transport)
    log.info(service ? 'serving MCP on stdio over a Service of its own' : `serving MCP on stdio through the daemon at ${socket}`)
    await done.promise
    await server.close().catch(() => {})
    const failed = (await service?.close()) ?? []
    return failed.length ? 1 : 0
  },
}
