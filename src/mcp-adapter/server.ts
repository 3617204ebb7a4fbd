import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { type AliasProfile, registerAliases } from './aliases.ts'
import type { Call } from './call.ts'
import { errorBody } from './errors.ts'
import { registerResources } from './resources.ts'
import { ipfsTools, journalTools } from './tools-journal.ts'
import { mountTools } from './tools-mounts.ts'
import { readTools } from './tools-read.ts'
import { writeTools } from './tools-write.ts'
import { type AdapterContext, type ToolDef, registerTool } from './tool.ts'

export const VERSION = '0.1.0'

/** Every canonical tool, in the order tools/list shows them. */
export const TOOLS: ToolDef[] = [...mountTools, ...readTools, ...writeTools, ...ipfsTools, ...journalTools]

export interface McpServerOptions {
  /** Alias profiles to add (none by default). */
  aliases?: readonly AliasProfile[]
}

function adapterContext(call: Call): AdapterContext {
  let points: string[] = []
  return {
    call,
    mountOf(path) {
      if (path === undefined) return undefined
      return points.filter((p) => path === p || path.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0]
    },
    async refreshMounts() {
      const r = (await call('vfs.mounts', {})) as { mounts: { point: string }[] }
      points = r.mounts.map((m) => m.point)
    },
  }
}

/**
 * Arguments that fail a tool's schema get the same error object as any other failure (code
 * EINVAL) instead of the SDK's bare text. The SDK keeps this step private; it is wrapped here,
 * and test/mcp checks that a wrong type still answers our error object.
 */
function uniformValidationErrors(server: McpServer): void {
  type Validating = { validateToolInput(tool: unknown, args: unknown, name: string): Promise<unknown> }
  const s = server as unknown as Validating
  const inner = s.validateToolInput.bind(server)
  s.validateToolInput = async (tool, args, name) => {
    try {
      return await inner(tool, args, name)
    } catch (err) {
      const message = (err as Error).message.replace(/^MCP error -?\d+: /, '')
      const path = (args as { path?: unknown } | undefined)?.path
      throw new Error(JSON.stringify(errorBody({ code: 'EINVAL', message }, { tool: name, op: name, path: typeof path === 'string' ? path : undefined })), { cause: err })
    }
  }
}

/** The MCP server over one call function (in-process Service or the daemon's socket). */
export function createMcpServer(call: Call, options: McpServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'ipfs-vfs', version: VERSION }, { capabilities: { tools: {}, resources: {} } })
  uniformValidationErrors(server)
  const ctx = adapterContext(call)
  for (const def of TOOLS) registerTool(server, def, ctx)
  registerAliases(server, TOOLS, ctx, options.aliases ?? [])
  registerResources(server, call)
  return server
}
