import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { stringify } from 'yaml'
import * as assert from 'uvu/assert'
import { parseConfig } from '../../src/cli/config.ts'
import { Service } from '../../src/cli/service.ts'
import { inProcessCall } from '../../src/mcp-adapter/call.ts'
import { type McpServerOptions, createMcpServer } from '../../src/mcp-adapter/server.ts'

export interface Harness {
  dir: string
  localRoot: string
  service: Service
  client: Client
  /** Calls a tool; asserts it succeeded and returns its structured result. */
  ok(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>
  /** Calls a tool; asserts it failed with our error object and returns it. */
  fails(name: string, args?: Record<string, unknown>): Promise<{ error: string; error_code: string; context: { tool?: string; op: string; path?: string; mount?: string }; hint?: string }>
  close(): Promise<void>
}

/** A Service over /local (a temp folder) and, with ipfs, /ipfs on embedded Helia; an SDK Client on the in-memory transport. */
export async function openHarness(opts: { ipfs?: boolean; mounts?: Record<string, unknown>; server?: McpServerOptions } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-mcp-'))
  const localRoot = join(dir, 'local')
  await mkdir(localRoot)
  const mounts: Record<string, unknown> = { '/local': { type: 'local', root: localRoot } }
  if (opts.ipfs) mounts['/ipfs'] = { type: 'ipfs', engine: 'helia', networking: false }
  Object.assign(mounts, opts.mounts)
  const config = parseConfig(stringify({ mounts }), 'test', { stateDir: join(dir, 'state') })
  const service = await Service.open(config)
  const server = createMcpServer(inProcessCall(service.methods), opts.server)
  const [a, b] = InMemoryTransport.createLinkedPair()
  await server.connect(a)
  const client = new Client({ name: 'test', version: '1' })
  await client.connect(b)
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult
  return {
    dir,
    localRoot,
    service,
    client,
    async ok(name, args = {}) {
      const r = await call(name, args)
      if (r.isError) assert.unreachable(`${name} failed: ${(r.content[0] as { text: string }).text}`)
      assert.ok(r.structuredContent, `${name}: structuredContent`)
      assert.equal(JSON.parse((r.content[0] as { text: string }).text), r.structuredContent)
      return r.structuredContent as Record<string, unknown>
    },
    async fails(name, args = {}) {
      const r = await call(name, args)
      assert.ok(r.isError, `${name} should fail: ${JSON.stringify(r.content)}`)
      assert.is(r.structuredContent, undefined, 'no structuredContent on errors')
      const body = JSON.parse((r.content[0] as { text: string }).text)
      assert.is(body.status, 'error')
      assert.match(body.error_code, /^E[A-Z]+$/)
      assert.type(body.context?.op, 'string')
      return body
    },
    async close() {
      await client.close().catch(() => {})
      await server.close().catch(() => {})
      await service.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
