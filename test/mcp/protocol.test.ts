import { constants } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ALIAS_PROFILES } from '../../src/mcp-adapter/aliases.ts'
import { type Harness, openHarness } from './helpers.ts'

const SNAPSHOT = new URL('./tools.snapshot.json', import.meta.url)
const test = suite('mcp protocol: tool list, resources, aliases, bad input')
let h: Harness
test.before(async () => {
  h = await openHarness({})
})
test.after(async () => {
  await h.close()
})

const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']

test('the tool list (names, annotations, schemas) matches the committed snapshot (UPDATE_SNAPSHOTS=1 rewrites it)', async () => {
  const { tools } = await h.client.listTools()
  for (const t of tools) {
    assert.equal(Object.keys(t.annotations ?? {}).filter((k) => HINTS.includes(k)).sort(), [...HINTS].sort(), `${t.name}: all four hints`)
    assert.ok(t.outputSchema, `${t.name}: an output schema`)
    for (const [k, v] of Object.entries(t.inputSchema.properties ?? {})) assert.type((v as { description?: string }).description, 'string', `${t.name}.${k} is described`)
    assert.ok(t.description && t.description.length > 20, `${t.name}: described`)
  }
  const actual = `${JSON.stringify(tools, null, 2)}\n`
  if (process.env.UPDATE_SNAPSHOTS) await writeFile(SNAPSHOT, actual)
  assert.fixture(actual, await readFile(SNAPSHOT, 'utf8'))
  assert.equal(tools.map((t) => t.name), [
    'vfs_list_mounts', 'vfs_mount', 'vfs_unmount',
    'vfs_stat', 'vfs_ls', 'vfs_tree', 'vfs_search', 'vfs_read', 'vfs_read_many', 'vfs_getxattr', 'vfs_readlink',
    'vfs_write', 'vfs_edit', 'vfs_truncate', 'vfs_mkdir', 'vfs_rm', 'vfs_rmdir', 'vfs_copy', 'vfs_move',
    'vfs_sync_to_ipfs', 'vfs_sync_from_ipfs',
    'fs_journal_status', 'fs_journal_list', 'fs_journal_get_history', 'fs_journal_track', 'fs_journal_untrack', 'fs_journal_list_tracked',
    'vfs_checkpoint', 'vfs_checkpoint_list', 'vfs_checkpoint_diff', 'vfs_restore',
  ])
  const byName = new Map(tools.map((t) => [t.name, t.annotations]))
  assert.is(byName.get('vfs_read')?.readOnlyHint, true)
  assert.is(byName.get('vfs_rm')?.destructiveHint, true)
  assert.is(byName.get('vfs_write')?.readOnlyHint, false)
})

test('resources: vfs:///{+path} (text and blob), vfs://mounts, vfs://journal/status', async () => {
  await h.ok('vfs_write', { path: '/local/res/a.md', content: '# hi', parents: true })
  await h.ok('vfs_write', { path: '/local/res/b.bin', content: Buffer.from([0, 1, 2]).toString('base64'), encoding: 'base64' })
  const templates = await h.client.listResourceTemplates()
  assert.equal(templates.resourceTemplates.map((t) => t.uriTemplate), ['vfs:///{+path}'])
  const list = await h.client.listResources()
  assert.equal(list.resources.map((r) => r.uri).sort(), ['vfs://journal/status', 'vfs://mounts'])
  const a = await h.client.readResource({ uri: 'vfs:///local/res/a.md' })
  assert.equal(a.contents, [{ uri: 'vfs:///local/res/a.md', mimeType: 'text/markdown', text: '# hi' }])
  const b = await h.client.readResource({ uri: 'vfs:///local/res/b.bin' })
  assert.equal(b.contents, [{ uri: 'vfs:///local/res/b.bin', mimeType: 'application/octet-stream', blob: 'AAEC' }])
  const mounts = JSON.parse(((await h.client.readResource({ uri: 'vfs://mounts' })).contents[0] as { text: string }).text)
  assert.equal(mounts.mounts.map((m: { point: string }) => m.point), ['/local'])
  const status = JSON.parse(((await h.client.readResource({ uri: 'vfs://journal/status' })).contents[0] as { text: string }).text)
  assert.type(status.lastSeq, 'number')
  try {
    await h.client.readResource({ uri: 'vfs:///local/res/missing' })
    assert.unreachable('a missing file is an error')
  } catch (err) {
    assert.match((err as Error).message, /ENOENT/)
  }
})

test('alias profiles are off by default and delegate to the canonical tool when on', async () => {
  const names = (await h.client.listTools()).tools.map((t) => t.name)
  assert.not.ok(names.includes('read_text_file') || names.includes('mbfs_store'))
  const a = await openHarness({ server: { aliases: ['reference', 'mbfs'] } })
  try {
    const all = (await a.client.listTools()).tools.map((t) => t.name)
    for (const alias of [...Object.keys(ALIAS_PROFILES.reference), ...Object.keys(ALIAS_PROFILES.mbfs)]) assert.ok(all.includes(alias), alias)
    await a.ok('write_file', { path: '/local/al.txt', content: 'via alias' })
    assert.is((await a.ok('read_text_file', { path: '/local/al.txt' })).content, 'via alias')
    assert.is((await a.ok('mbfs_retrieve', { path: '/local/al.txt' })).content, 'via alias')
    assert.equal(((await a.ok('list_allowed_directories', {})).mounts as { point: string }[]).map((m) => m.point), ['/local'])
    assert.is((await a.fails('get_file_info', { path: '/local/nope' })).error_code, 'ENOENT')
  } finally {
    await a.close()
  }
})

test('mount tools: vfs_mount adds a mount the file tools reach; vfs_unmount is EBUSY while a file is open, unless force', async () => {
  if (!Object.hasOwn(h.service.methods, 'mounts.add')) {
    assert.is((await h.fails('vfs_mount', { mount_point: '/extra', backend: 'local', options: { root: h.dir } })).error_code, 'ENOSYS')
    assert.is((await h.fails('vfs_unmount', { mount_point: '/extra' })).error_code, 'ENOSYS')
    return
  }
  const root = join(h.dir, 'extra')
  await mkdir(root)
  await h.ok('vfs_mount', { mount_point: '/extra', backend: 'local', options: { root }, read_only: false })
  const listed = (await h.ok('vfs_list_mounts', {})).mounts as { point: string; type: string; health?: string }[]
  assert.equal(listed.map((m) => `${m.point}:${m.type}`), ['/extra:local', '/local:local'])
  await h.ok('vfs_write', { path: '/extra/x.txt', content: 'on the new mount' })
  assert.is(await readFile(join(root, 'x.txt'), 'utf8'), 'on the new mount')
  const fh = await h.service.vfs.open('/extra/x.txt', constants.O_RDONLY)
  try {
    const busy = await h.fails('vfs_unmount', { mount_point: '/extra' })
    assert.equal([busy.error_code, busy.context.mount], ['EBUSY', '/extra'])
  } finally {
    await h.service.vfs.release(fh)
  }
  await h.ok('vfs_unmount', { mount_point: '/extra' })
  assert.is((await h.fails('vfs_stat', { path: '/extra/x.txt' })).error_code, 'ENOENT')
  assert.is((await h.fails('vfs_unmount', { mount_point: '/nothere' })).error_code, 'ENOENT')
  const ro = await h.ok('vfs_mount', { mount_point: '/ro', backend: 'local', options: { root }, read_only: true })
  assert.ok(JSON.stringify(ro).includes('/ro'))
  assert.is((await h.fails('vfs_write', { path: '/ro/y.txt', content: 'no' })).error_code, 'EROFS')
  await h.ok('vfs_unmount', { mount_point: '/ro', force: true })
})

const ESCAPES = ['relative/x', 'x', '', '/local/../etc/passwd', '/local/a/../../ipfs', '/local/\0x', '/..', '/local/..']

test('bad paths are EINVAL on every path-taking tool, and nothing is written', async () => {
  const cases: [string, (p: string) => Record<string, unknown>][] = [
    ['vfs_stat', (p) => ({ path: p })],
    ['vfs_ls', (p) => ({ path: p })],
    ['vfs_tree', (p) => ({ path: p })],
    ['vfs_search', (p) => ({ path: p, pattern: '*' })],
    ['vfs_read', (p) => ({ path: p })],
    ['vfs_read_many', (p) => ({ paths: ['/local/ok', p] })],
    ['vfs_getxattr', (p) => ({ path: p })],
    ['vfs_readlink', (p) => ({ path: p })],
    ['vfs_write', (p) => ({ path: p, content: 'x', parents: true })],
    ['vfs_edit', (p) => ({ path: p, edits: [{ old_text: 'a', new_text: 'b' }] })],
    ['vfs_truncate', (p) => ({ path: p, size: 0 })],
    ['vfs_mkdir', (p) => ({ path: p, parents: true })],
    ['vfs_rm', (p) => ({ path: p, recursive: true })],
    ['vfs_rmdir', (p) => ({ path: p })],
    ['vfs_copy', (p) => ({ source: '/local/src.txt', destination: p })],
    ['vfs_move', (p) => ({ source: p, destination: '/local/dst.txt' })],
    ['vfs_sync_to_ipfs', (p) => ({ path: p })],
    ['fs_journal_track', (p) => ({ path: p })],
    ['vfs_mount', (p) => ({ mount_point: p, backend: 'local', options: { root: '/tmp' } })],
  ]
  await h.ok('vfs_write', { path: '/local/src.txt', content: 'src' })
  const before = JSON.stringify(await h.ok('vfs_tree', { path: '/local', max_depth: 5 }))
  for (const [tool, args] of cases) {
    for (const p of ESCAPES) {
      const e = await h.fails(tool, args(p))
      assert.is(e.error_code, 'EINVAL', `${tool} ${JSON.stringify(p)}: ${e.error}`)
    }
  }
  assert.is(JSON.stringify(await h.ok('vfs_tree', { path: '/local', max_depth: 5 })), before, 'nothing written')
})

test('wrong types, unknown enums and oversized content: EINVAL/EFBIG error objects, the client does not throw, nothing written', async () => {
  for (const [tool, args] of [
    ['vfs_read', { path: 42 }],
    ['vfs_read', {}],
    ['vfs_read', { path: '/local/src.txt', encoding: 'latin1' }],
    ['vfs_read', { path: '/local/src.txt', offset: -1 }],
    ['vfs_write', { path: '/local/t.txt', content: { a: 1 } }],
    ['vfs_write', { path: '/local/t.txt', content: 'x', create: 'sometimes' }],
    ['vfs_ls', { path: '/local', limit: 'many' }],
    ['vfs_edit', { path: '/local/src.txt', edits: [] }],
    ['vfs_copy', { source: '/local/src.txt' }],
  ] as const) {
    const e = await h.fails(tool, args)
    assert.is(e.error_code, 'EINVAL', `${tool} ${JSON.stringify(args)}: ${e.error}`)
  }
  const big = 'x'.repeat((8 << 20) + 1)
  const e = await h.fails('vfs_write', { path: '/local/big.txt', content: big })
  assert.is(e.error_code, 'EFBIG')
  assert.match(e.error, /offset/)
  const b64 = await h.fails('vfs_write', { path: '/local/big.txt', content: 'not base64!', encoding: 'base64' })
  assert.is(b64.error_code, 'EINVAL')
  assert.is((await h.fails('vfs_stat', { path: '/local/big.txt' })).error_code, 'ENOENT')
  assert.is((await h.fails('vfs_read', { path: '/local/src.txt', head: 1, tail: 1 })).error_code, 'EINVAL')
  const secret = await h.fails('vfs_mount', { mount_point: '/s3', backend: 's3', options: { bucket: 'b', secretAccessKey: 'x' } })
  assert.match(secret.error, /secret/)
})

test('an over-size inline read says how to read by range; ranged reads of it work', async () => {
  const mib = 1 << 20
  await h.ok('vfs_write', { path: '/local/large.bin', content: Buffer.alloc(mib + 10, 7).toString('base64'), encoding: 'base64' })
  const e = await h.fails('vfs_read', { path: '/local/large.bin', encoding: 'base64' })
  assert.is(e.error_code, 'EFBIG')
  assert.match(e.error, /offset and length/)
  const part = await h.ok('vfs_read', { path: '/local/large.bin', encoding: 'base64', offset: mib, length: mib })
  assert.equal([part.bytes, part.eof, part.size], [10, true, mib + 10])
  const many = await h.ok('vfs_read_many', { paths: ['/local/large.bin', '/local/src.txt'] })
  assert.equal((many.files as { error_code?: string; content?: string }[]).map((f) => f.error_code ?? f.content), ['EFBIG', 'src'])
})

test('every error path is an error object with code and context, never structuredContent', async () => {
  for (const [tool, args, code] of [
    ['vfs_stat', { path: '/local/none' }, 'ENOENT'],
    ['vfs_ls', { path: '/local/src.txt' }, 'ENOTDIR'],
    ['vfs_tree', { path: '/local/none' }, 'ENOENT'],
    ['vfs_search', { path: '/local/none', pattern: '*' }, 'ENOENT'],
    ['vfs_read', { path: '/local' }, 'EISDIR'],
    ['vfs_getxattr', { path: '/local/none', name: 'user.x' }, 'ENOENT'],
    ['vfs_readlink', { path: '/local/none' }, 'ENOENT'],
    ['vfs_write', { path: '/local/no/such/dir/f', content: 'x' }, 'ENOENT'],
    ['vfs_write', { path: '/newmount/f', content: 'x' }, 'ENOENT'],
    ['vfs_write', { path: '/f', content: 'x' }, 'EROFS'],
    ['vfs_edit', { path: '/local/none', edits: [{ old_text: 'a', new_text: 'b' }] }, 'ENOENT'],
    ['vfs_truncate', { path: '/local/none', size: 1 }, 'ENOENT'],
    ['vfs_mkdir', { path: '/local/src.txt' }, 'EEXIST'],
    ['vfs_rm', { path: '/local/none' }, 'ENOENT'],
    ['vfs_rmdir', { path: '/local/src.txt' }, 'ENOTDIR'],
    ['vfs_copy', { source: '/local/none', destination: '/local/x' }, 'ENOENT'],
    ['vfs_move', { source: '/local/none', destination: '/local/x' }, 'ENOENT'],
    ['fs_journal_get_history', { path: 'rel' }, 'EINVAL'],
  ] as const) {
    const e = await h.fails(tool, args)
    assert.is(e.error_code, code, `${tool} ${JSON.stringify(args)}: ${e.error}`)
    assert.is(e.context.tool, tool)
  }
  const e = await h.fails('vfs_read', { path: '/local/none' })
  assert.equal(e.context, { tool: 'vfs_read', op: 'open', path: '/local/none', mount: '/local' })
})

test.run()
