import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { getAttribute } from '@napi-rs/xattr'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { stringify } from 'yaml'
import { NODE, ROOT, type TestMount, startMount } from '../support/mount.ts'

/**
 * The MCP tools and FUSE on one daemon: `ipfs-vfs mount --mcp-http`, a shell on the mount, an
 * MCP client over HTTP and `ipfs-vfs mcp` over stdio (through the daemon's socket, and on its own
 * Service when no daemon runs). One mount for the whole file: mounting is the slow part.
 */
const run = promisify(execFile)
const test = suite('mcp front ends: FUSE, Streamable HTTP, stdio')
let m: TestMount
let url = ''
let token = ''

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise((r) => s.close(r))
  return port
}

async function httpClient(auth: string | undefined): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url), auth === undefined ? {} : { requestInit: { headers: { authorization: `Bearer ${auth}` } } }))
  return client
}

async function tool(client: Client, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult
  if (r.isError) assert.unreachable(`${name}: ${(r.content[0] as { text: string }).text}`)
  return r.structuredContent as Record<string, unknown>
}

test.before(async () => {
  const port = await freePort()
  m = await startMount({ mounts: { '/ipfs': { type: 'ipfs', engine: 'helia', networking: false } }, args: ['--mcp-http', `127.0.0.1:${port}`] })
  url = `http://127.0.0.1:${port}/mcp`
  token = (await readFile(join(m.stateDir, 'mcp-token'), 'utf8')).trim()
})
test.after(async () => {
  await m?.stop()
})

test('the generated token is in <state-dir>/mcp-token (0600); HTTP without it or with a wrong one is 401', async () => {
  assert.match(token, /^[0-9a-f]{64}$/)
  assert.is((await stat(join(m.stateDir, 'mcp-token'))).mode & 0o777, 0o600)
  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: token }]) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) })
    assert.is(res.status, 401, JSON.stringify(headers))
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/)
  }
  try {
    await httpClient('wrong')
    assert.unreachable('the SDK client cannot connect with a wrong token')
  } catch (err) {
    assert.match(String(err), /bearer token/, String(err))
  }
})

test('vfs_write over HTTP, the same bytes through FUSE with cat; cp through FUSE, then in the journal and in vfs_stat.cid', async () => {
  const client = await httpClient(token)
  try {
    const bytes = randomBytes(300_000)
    await tool(client, 'vfs_write', { path: '/local/from-mcp.bin', content: bytes.toString('base64'), encoding: 'base64' })
    const { stdout } = await run('cat', [join(m.mountpoint, 'local/from-mcp.bin')], { encoding: 'buffer', maxBuffer: 1 << 20 })
    assert.ok(Buffer.compare(stdout, bytes) === 0, 'cat through FUSE reads what vfs_write wrote')
    assert.ok(Buffer.compare(await readFile(join(m.localRoot, 'from-mcp.bin')), bytes) === 0)

    await run('cp', [join(m.mountpoint, 'local/from-mcp.bin'), join(m.mountpoint, 'ipfs/copied.bin')])
    const st = await tool(client, 'vfs_stat', { path: '/ipfs/copied.bin' })
    assert.equal([st.type, st.size], ['file', bytes.length])
    const fuseCid = (await getAttribute(join(m.mountpoint, 'ipfs/copied.bin'), 'user.ipfs.cid'))?.toString()
    assert.match(st.cid as string, /^baf/)
    assert.is(st.cid, fuseCid, 'vfs_stat.cid is the CID FUSE shows in user.ipfs.cid')
    const hist = (await tool(client, 'fs_journal_get_history', { path: '/ipfs/copied.bin' })).entries as unknown[]
    assert.ok(hist.length >= 1, 'cp through FUSE is in the journal')
    assert.match(JSON.stringify(hist), /\/ipfs\/copied\.bin/)
    const read = await tool(client, 'vfs_read', { path: '/ipfs/copied.bin', encoding: 'base64' })
    assert.is(read.content, bytes.toString('base64'))
  } finally {
    await client.close()
  }
})

async function stdioClient(args: string[]): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({ command: NODE, args: [join(ROOT, 'src/cli/main.ts'), 'mcp', ...args], cwd: ROOT, stderr: 'pipe', env: { ...process.env } as Record<string, string> })
  let err = ''
  transport.stderr?.on('data', (d: Buffer) => (err += d))
  const client = new Client({ name: 'stdio-test', version: '1' })
  await client.connect(transport)
  return { client, stderr: () => err }
}

test('ipfs-vfs mcp over stdio talks to the running daemon: it sees what FUSE wrote, and FUSE sees its writes', async () => {
  await writeFile(join(m.mountpoint, 'local/from-fuse.txt'), 'written by the shell\n')
  const { client } = await stdioClient(['--state-dir', m.stateDir])
  try {
    assert.is((await tool(client, 'vfs_read', { path: '/local/from-fuse.txt' })).content, 'written by the shell\n')
    await tool(client, 'vfs_write', { path: '/ipfs/from-stdio.txt', content: 'stdio' })
    assert.is(await readFile(join(m.mountpoint, 'ipfs/from-stdio.txt'), 'utf8'), 'stdio')
    const r = (await client.callTool({ name: 'vfs_read', arguments: { path: '/local/nothing' } })) as CallToolResult
    assert.ok(r.isError)
    assert.is(JSON.parse((r.content[0] as { text: string }).text).error_code, 'ENOENT', 'errors keep their code across the socket')
  } finally {
    await client.close()
  }
})

test('over stdio through the daemon, progress arrives and cancellation reaches the daemon: a recursive copy stops part way', async () => {
  const n = 150
  await mkdir(join(m.localRoot, 'many'))
  const chunk = Buffer.alloc(64 << 10, 3)
  for (let i = 0; i < n; i++) await writeFile(join(m.localRoot, 'many', `f${i}`), chunk)
  const { client } = await stdioClient(['--state-dir', m.stateDir])
  try {
    const abort = new AbortController()
    let progress = 0
    const call = client.callTool({ name: 'vfs_copy', arguments: { source: '/local/many', destination: '/local/many-copy', recursive: true } }, undefined, {
      signal: abort.signal,
      onprogress: () => {
        if (++progress === 3) abort.abort(new Error('user cancelled'))
      },
    })
    await call.then(
      () => assert.unreachable('a cancelled call rejects'),
      (err: unknown) => assert.match(String(err), /cancel/i),
    )
    let last = -1
    for (let i = 0; i < 50; i++) {
      await sleep(100)
      const now = (await readdir(join(m.localRoot, 'many-copy')).catch(() => [])).length
      if (now === last) break
      last = now
    }
    assert.ok(progress >= 3, 'progress notifications came through the socket')
    assert.ok(last >= 3 && last < n, `copied ${last} of ${n} before the cancellation took`)
  } finally {
    await client.close()
  }
})

test('ipfs-vfs mcp over stdio with no daemon opens the VFS itself', async () => {
  const dir = join(m.dir, 'solo')
  const config = join(m.dir, 'solo.yaml')
  await writeFile(config, stringify({ mounts: { '/local': { type: 'local', root: join(dir, 'local') } } }))
  await run('mkdir', ['-p', join(dir, 'local')])
  const { client, stderr } = await stdioClient(['--config', config, '--state-dir', join(dir, 'state'), '--aliases', 'reference'])
  try {
    await tool(client, 'write_file', { path: '/local/solo.txt', content: 'alone' })
    assert.equal(((await tool(client, 'vfs_list_mounts', {})).mounts as { point: string }[]).map((x) => x.point), ['/local'])
  } finally {
    await client.close()
  }
  assert.is(await readFile(join(dir, 'local/solo.txt'), 'utf8'), 'alone', stderr())
})

test.run()
