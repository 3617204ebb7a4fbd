import { posix } from 'node:path'
import { z } from 'zod'
import { toolError } from './errors.ts'
import { MAX_INLINE_BYTES, encoding, listEntry, statShape, vfsPath } from './schemas.ts'
import { READ, type ToolDef, type ToolEnv, tool } from './tool.ts'

interface ReadResult {
  bytes: number
  size: number
  eof: boolean
  data: string
}
interface ListResult {
  entries: z.infer<typeof listEntry>[]
  total: number
  nextCursor?: string
}

const CHUNK = 64 << 10

async function readAt(env: ToolEnv, path: string, offset: number, length: number): Promise<ReadResult> {
  return (await env.call('vfs.read', { path, offset, length })) as ReadResult
}

/** Every entry of a folder, page by page. */
async function listAll(env: ToolEnv, path: string): Promise<ListResult['entries']> {
  const out: ListResult['entries'] = []
  let cursor: string | undefined
  do {
    const page = (await env.call('vfs.list', { path, limit: 10_000, ...(cursor === undefined ? {} : { cursor }) })) as ListResult
    out.push(...page.entries)
    cursor = page.nextCursor
  } while (cursor !== undefined)
  return out
}

function overSize(path: string, size: number, offset: number): Error {
  return toolError('EFBIG', 'vfs_read', `vfs_read ${path}: ${size - offset} bytes from offset ${offset} is over the ${MAX_INLINE_BYTES}-byte inline limit; read it by range (offset and length, at most ${MAX_INLINE_BYTES} bytes a call) or ask for head/tail lines`, path)
}

/** The first `n` lines, reading forward in chunks. */
async function head(env: ToolEnv, path: string, n: number): Promise<{ text: string; size: number }> {
  const parts: Buffer[] = []
  let lines = 0
  for (let pos = 0; ; ) {
    const r = await readAt(env, path, pos, CHUNK)
    const buf = Buffer.from(r.data, 'base64')
    parts.push(buf)
    pos += buf.length
    for (const b of buf) if (b === 10) lines++
    if (lines >= n || r.eof || buf.length === 0 || pos > MAX_INLINE_BYTES) {
      const all = Buffer.concat(parts).toString('utf8').split('\n')
      return { text: all.slice(0, n).join('\n'), size: r.size }
    }
  }
}

/** The last `n` lines, reading backward in chunks from the end. */
async function tail(env: ToolEnv, path: string, n: number): Promise<{ text: string; size: number }> {
  const { size } = await readAt(env, path, 0, 0)
  let buf = Buffer.alloc(0)
  let pos = size
  while (pos > 0 && size - pos <= MAX_INLINE_BYTES) {
    const start = Math.max(0, pos - CHUNK)
    const r = await readAt(env, path, start, pos - start)
    buf = Buffer.concat([Buffer.from(r.data, 'base64'), buf])
    pos = start
    let lines = 0
    for (const b of buf) if (b === 10) lines++
    if (lines > n) break
  }
  const all = buf.toString('utf8').replace(/\n$/, '').split('\n')
  return { text: all.slice(-n).join('\n'), size }
}

const readOutput = {
  path: z.string().describe('The file read'),
  encoding: encoding,
  content: z.string().describe('The bytes read, as utf8 text or base64'),
  offset: z.number().describe('Byte offset the content starts at (0 for head/tail)'),
  bytes: z.number().describe('Bytes of content returned (utf8: bytes of the text)'),
  size: z.number().describe('Size of the whole file in bytes'),
  eof: z.boolean().describe('True when the content reaches the end of the file'),
}

export const readTools: ToolDef[] = [
  tool({
    name: 'vfs_stat',
    title: 'Stat a path',
    description: 'Type, size, mode, owner, times of one VFS path (symlinks not followed), and its IPFS CID where the mount keeps one.',
    input: { path: vfsPath },
    output: statShape,
    annotations: READ,
    run: async (a, env) => (await env.call('vfs.stat', { path: a.path })) as never,
  }),
  tool({
    name: 'vfs_ls',
    title: 'List a folder',
    description: 'Entries of one folder sorted by name, with size, mtime and permissions when detailed; pages of at most `limit` entries, continue with `cursor`.',
    input: {
      path: vfsPath,
      detailed: z.boolean().default(true).describe('Stat every entry for size, mtime and permissions'),
      limit: z.number().int().min(1).max(5000).default(500).describe('Entries per page'),
      cursor: z.string().optional().describe('nextCursor of the previous page'),
    },
    output: { path: z.string().describe('The folder listed'), entries: z.array(listEntry).describe('This page of entries'), total: z.number().describe('Entries in the folder'), nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page') },
    annotations: READ,
    run: async (a, env) => (await env.call('vfs.list', { path: a.path, detail: a.detailed, limit: a.limit, ...(a.cursor === undefined ? {} : { cursor: a.cursor }) })) as never,
  }),
  tool({
    name: 'vfs_tree',
    title: 'Folder tree',
    description: 'The folders and files below a path, breadth first, bounded by depth and entry count (truncated says whether the bound was hit).',
    input: {
      path: vfsPath,
      max_depth: z.number().int().min(1).max(20).default(3).describe('Levels below path to descend (1: its entries only)'),
      max_entries: z.number().int().min(1).max(10_000).default(500).describe('Stop after this many entries'),
    },
    output: {
      path: z.string().describe('The root of the tree'),
      entries: z.array(z.object({ path: z.string().describe('Absolute VFS path'), type: z.string().describe('file, dir, symlink or other'), depth: z.number().describe('1 for the root\'s entries') })).describe('Entries breadth first'),
      truncated: z.boolean().describe('True when max_entries or max_depth left entries out'),
    },
    annotations: READ,
    run: async (a, env) => {
      const entries: { path: string; type: string; depth: number }[] = []
      let truncated = false
      let level = [a.path]
      for (let depth = 1; level.length > 0; depth++) {
        const next: string[] = []
        for (const dir of level) {
          for (const e of await listAll(env, dir)) {
            if (entries.length >= a.max_entries) return { path: a.path, entries, truncated: true }
            entries.push({ path: e.path, type: e.type, depth })
            if (e.type === 'dir') {
              if (depth < a.max_depth) next.push(e.path)
              else truncated = true
            }
          }
        }
        level = next
      }
      return { path: a.path, entries, truncated }
    },
  }),
  tool({
    name: 'vfs_search',
    title: 'Find by glob',
    description: 'Paths below a folder whose path relative to it matches a glob (`**/*.md`, `src/*.ts`); a pattern without "/" matches names at any depth. Bounded by max_results.',
    input: {
      path: vfsPath,
      pattern: z.string().min(1).describe('Glob: * ? [..] {a,b} and ** for any depth'),
      exclude: z.array(z.string()).max(50).default([]).describe('Globs of relative paths or names to skip, with their contents'),
      max_results: z.number().int().min(1).max(10_000).default(200).describe('Stop after this many matches'),
    },
    output: {
      path: z.string().describe('The folder searched'),
      matches: z.array(z.object({ path: z.string().describe('Absolute VFS path'), type: z.string().describe('file, dir, symlink or other') })).describe('Matching entries'),
      truncated: z.boolean().describe('True when max_results stopped the search'),
    },
    annotations: READ,
    run: async (a, env) => {
      const matches: { path: string; type: string }[] = []
      const root = a.path.replace(/\/+$/, '') || '/'
      const test = (glob: string, rel: string, name: string) => (glob.includes('/') ? posix.matchesGlob(rel, glob) : posix.matchesGlob(name, glob))
      const stack = [root]
      while (stack.length > 0) {
        const dir = stack.pop() as string
        for (const e of await listAll(env, dir)) {
          const rel = e.path.slice(root === '/' ? 1 : root.length + 1)
          if (a.exclude.some((x) => test(x, rel, e.name))) continue
          if (test(a.pattern, rel, e.name)) {
            if (matches.length >= a.max_results) return { path: a.path, matches, truncated: true }
            matches.push({ path: e.path, type: e.type })
          }
          if (e.type === 'dir') stack.push(e.path)
        }
      }
      return { path: a.path, matches: matches.sort((x, y) => (x.path < y.path ? -1 : 1)), truncated: false }
    },
  }),
  tool({
    name: 'vfs_read',
    title: 'Read a file',
    description: `Reads a file as utf8 text or base64: the whole file, a byte range (offset, length), or the first/last lines (head/tail, utf8). More than ${MAX_INLINE_BYTES} bytes in one call is an error that says how to read by range.`,
    input: {
      path: vfsPath,
      encoding: encoding.default('utf8'),
      offset: z.number().int().min(0).optional().describe('Byte offset to start at'),
      length: z.number().int().min(0).max(MAX_INLINE_BYTES).optional().describe(`Bytes to read (at most ${MAX_INLINE_BYTES})`),
      head: z.number().int().min(1).optional().describe('Only the first N lines (utf8, not with offset/length/tail)'),
      tail: z.number().int().min(1).optional().describe('Only the last N lines (utf8, not with offset/length/head)'),
    },
    output: readOutput,
    annotations: READ,
    run: async (a, env) => {
      const lines = a.head ?? a.tail
      if (lines !== undefined) {
        if ((a.head !== undefined && a.tail !== undefined) || a.offset !== undefined || a.length !== undefined || a.encoding !== 'utf8') throw toolError('EINVAL', 'vfs_read', 'head and tail exclude each other, offset, length and base64', a.path)
        const r = a.head !== undefined ? await head(env, a.path, lines) : await tail(env, a.path, lines)
        return { path: a.path, encoding: 'utf8' as const, content: r.text, offset: 0, bytes: Buffer.byteLength(r.text), size: r.size, eof: a.tail !== undefined || Buffer.byteLength(r.text) >= r.size }
      }
      const offset = a.offset ?? 0
      let length = a.length
      if (length === undefined) {
        const { size } = await readAt(env, a.path, 0, 0)
        if (size - offset > MAX_INLINE_BYTES) throw overSize(a.path, size, offset)
        length = Math.max(0, size - offset)
      }
      const r = await readAt(env, a.path, offset, length)
      const buf = Buffer.from(r.data, 'base64')
      return { path: a.path, encoding: a.encoding, content: a.encoding === 'utf8' ? buf.toString('utf8') : r.data, offset, bytes: r.bytes, size: r.size, eof: r.eof }
    },
  }),
  tool({
    name: 'vfs_read_many',
    title: 'Read several files',
    description: `Reads up to 50 whole files at once; each either has content or its own error (one missing file does not fail the others). Each file at most ${MAX_INLINE_BYTES} bytes.`,
    input: { paths: z.array(vfsPath).min(1).max(50).describe('Absolute VFS paths'), encoding: encoding.default('utf8') },
    output: {
      files: z.array(z.object({ path: z.string().describe('The path asked for'), content: z.string().optional().describe('Its content (utf8 or base64)'), size: z.number().optional().describe('Its size in bytes'), error: z.string().optional().describe('Why it could not be read'), error_code: z.string().optional().describe('POSIX code of that error') })).describe('One result per path, in order'),
    },
    annotations: READ,
    run: async (a, env) => {
      const files = []
      for (const path of a.paths) {
        try {
          const r = await readAt(env, path, 0, MAX_INLINE_BYTES + 1)
          if (r.bytes > MAX_INLINE_BYTES) throw overSize(path, r.size, 0)
          files.push({ path, content: a.encoding === 'utf8' ? Buffer.from(r.data, 'base64').toString('utf8') : r.data, size: r.size })
        } catch (err) {
          const e = err as { code?: string; message?: string }
          files.push({ path, error: e.message ?? String(err), error_code: e.code ?? 'EIO' })
        }
      }
      return { files }
    },
  }),
  tool({
    name: 'vfs_getxattr',
    title: 'Extended attributes',
    description: 'One extended attribute of a path (value as base64, and as text when it is valid utf8), or with no name the list of attribute names. /ipfs answers user.ipfs.cid.',
    input: { path: vfsPath, name: z.string().min(1).optional().describe('Attribute name such as user.ipfs.cid; omit to list names') },
    output: {
      path: z.string().describe('The path asked about'),
      names: z.array(z.string()).optional().describe('Attribute names (when no name was given)'),
      name: z.string().optional().describe('The attribute read'),
      value: z.string().optional().describe('Its value, base64'),
      text: z.string().optional().describe('Its value as text, when valid utf8'),
    },
    annotations: READ,
    run: async (a, env) => (a.name === undefined ? await env.call('vfs.listxattr', { path: a.path }) : await env.call('vfs.getxattr', { path: a.path, name: a.name })) as never,
  }),
  tool({
    name: 'vfs_readlink',
    title: 'Read a symlink',
    description: 'The target a symlink points to, as stored (not resolved).',
    input: { path: vfsPath },
    output: { path: z.string().describe('The symlink'), target: z.string().describe('Its target') },
    annotations: READ,
    run: async (a, env) => (await env.call('vfs.readlink', { path: a.path })) as never,
  }),
]
