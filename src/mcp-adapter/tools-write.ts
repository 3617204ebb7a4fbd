import { z } from 'zod'
import { MAX_IO_BYTES } from '../control/vfs-methods.ts'
import { unifiedDiff } from './diff.ts'
import { toolError } from './errors.ts'
import { encoding, treeCount, vfsPath } from './schemas.ts'
import { CREATE, DESTROY, REPLACE, type ToolDef, tool } from './tool.ts'

interface ReadResult {
  bytes: number
  size: number
  data: string
}

function decode(content: string, enc: 'utf8' | 'base64', path: string): Buffer {
  if (enc === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(content.replace(/\s+/g, ''))) throw toolError('EINVAL', 'vfs_write', `vfs_write ${path}: content is not valid base64`, path)
  const data = Buffer.from(content, enc)
  if (data.length > MAX_IO_BYTES) throw toolError('EFBIG', 'vfs_write', `vfs_write ${path}: ${data.length} bytes in one call is over the ${MAX_IO_BYTES}-byte limit; write the file in parts with offset (nothing was written)`, path)
  return data
}

export const writeTools: ToolDef[] = [
  tool({
    name: 'vfs_write',
    title: 'Write a file',
    description: `Writes utf8 or base64 content: the whole file (replacing it) or, with offset, into it at that byte offset. create: always (default), new_only (fail if it exists), existing_only (fail if it does not). parents creates missing folders. At most ${MAX_IO_BYTES} bytes a call.`,
    input: {
      path: vfsPath,
      content: z.string().max(MAX_IO_BYTES * 2).describe('The bytes to write, as text or base64'),
      encoding: encoding.default('utf8'),
      offset: z.number().int().min(0).optional().describe('Write at this byte offset without truncating; omit to replace the whole file'),
      create: z.enum(['always', 'new_only', 'existing_only']).default('always').describe('always: create or replace; new_only: the file must not exist; existing_only: it must exist'),
      parents: z.boolean().default(false).describe('Create missing parent folders'),
    },
    output: { path: z.string().describe('The file written'), bytes: z.number().describe('Bytes written'), size: z.number().describe('File size after the write'), created: z.boolean().describe('True when the file did not exist before') },
    annotations: REPLACE,
    run: async (a, env) => {
      const data = decode(a.content, a.encoding, a.path)
      return (await env.call('vfs.write', { path: a.path, data: data.toString('base64'), create: a.create, parents: a.parents, ...(a.offset === undefined ? {} : { offset: a.offset }) })) as never
    },
  }),
  tool({
    name: 'vfs_edit',
    title: 'Edit a text file',
    description: 'Applies exact text replacements in order; each old_text must occur exactly once in the file at that point (add surrounding text to make it unique). Returns a unified diff; dry_run changes nothing.',
    input: {
      path: vfsPath,
      edits: z.array(z.object({ old_text: z.string().min(1).describe('Exact text to find (must match once)'), new_text: z.string().describe('Text to put in its place') })).min(1).max(100).describe('Replacements, applied in order'),
      dry_run: z.boolean().default(false).describe('Only return the diff'),
    },
    output: { path: z.string().describe('The file edited'), diff: z.string().describe('Unified diff of the change'), applied: z.boolean().describe('False for a dry run'), size: z.number().describe('Size in bytes after the edit') },
    annotations: { ...REPLACE, idempotentHint: false },
    run: async (a, env) => {
      const probe = (await env.call('vfs.read', { path: a.path, offset: 0, length: 0 })) as ReadResult
      if (probe.size > MAX_IO_BYTES) throw toolError('EFBIG', 'vfs_edit', `vfs_edit ${a.path}: ${probe.size} bytes is over the ${MAX_IO_BYTES}-byte edit limit`, a.path)
      const r = (await env.call('vfs.read', { path: a.path, offset: 0, length: probe.size })) as ReadResult
      const before = Buffer.from(r.data, 'base64').toString('utf8')
      let text = before
      a.edits.forEach((e, i) => {
        const at = text.indexOf(e.old_text)
        if (at < 0) throw toolError('EINVAL', 'vfs_edit', `vfs_edit ${a.path}: edit ${i + 1}: old_text not found (nothing was changed)`, a.path)
        if (text.indexOf(e.old_text, at + 1) >= 0) throw toolError('EINVAL', 'vfs_edit', `vfs_edit ${a.path}: edit ${i + 1}: old_text matches more than once; include more surrounding text (nothing was changed)`, a.path)
        text = text.slice(0, at) + e.new_text + text.slice(at + e.old_text.length)
      })
      const diff = unifiedDiff(a.path, before, text)
      if (a.dry_run) return { path: a.path, diff, applied: false, size: Buffer.byteLength(before) }
      const w = (await env.call('vfs.write', { path: a.path, data: Buffer.from(text).toString('base64'), create: 'existing_only' })) as { size: number }
      return { path: a.path, diff, applied: true, size: w.size }
    },
  }),
  tool({
    name: 'vfs_truncate',
    title: 'Truncate a file',
    description: 'Sets a file\'s size: shorter cuts it, longer pads it with zero bytes.',
    input: { path: vfsPath, size: z.number().int().min(0).describe('New size in bytes') },
    output: { path: z.string().describe('The file'), size: z.number().describe('Its new size') },
    annotations: REPLACE,
    run: async (a, env) => (await env.call('vfs.truncate', { path: a.path, size: a.size })) as never,
  }),
  tool({
    name: 'vfs_mkdir',
    title: 'Make a folder',
    description: 'Creates a folder; with parents, also the missing folders above it, and an existing folder is not an error.',
    input: { path: vfsPath, parents: z.boolean().default(false).describe('mkdir -p: create missing parents, accept an existing folder') },
    output: { path: z.string().describe('The folder'), created: z.array(z.string()).describe('Folders created, outermost first') },
    annotations: CREATE,
    run: async (a, env) => (await env.call('vfs.mkdir', { path: a.path, parents: a.parents })) as never,
  }),
  tool({
    name: 'vfs_rm',
    title: 'Remove',
    description: 'Removes a file or symlink; a folder only with recursive (then everything below it). Sends progress when asked; cancellation stops it between entries.',
    input: { path: vfsPath, recursive: z.boolean().default(false).describe('Remove a folder and its contents') },
    output: treeCount,
    annotations: DESTROY,
    run: async (a, env) => (await env.call('vfs.rm', { path: a.path, recursive: a.recursive })) as never,
  }),
  tool({
    name: 'vfs_rmdir',
    title: 'Remove an empty folder',
    description: 'Removes an empty folder (ENOTEMPTY otherwise).',
    input: { path: vfsPath },
    output: { path: z.string().describe('The folder removed') },
    annotations: DESTROY,
    run: async (a, env) => (await env.call('vfs.rmdir', { path: a.path })) as never,
  }),
  tool({
    name: 'vfs_copy',
    title: 'Copy',
    description: 'Copies a file, or a folder with recursive, to a new path on any mount (bytes and symlinks; not modes or times). An existing target is an error unless overwrite. Sends progress; cancellation stops between chunks.',
    input: {
      source: vfsPath,
      destination: vfsPath,
      recursive: z.boolean().default(false).describe('Copy a folder and everything below it'),
      overwrite: z.boolean().default(false).describe('Replace an existing target'),
    },
    output: treeCount,
    annotations: { ...CREATE, destructiveHint: true },
    run: async (a, env) => (await env.call('vfs.copy', { from: a.source, to: a.destination, recursive: a.recursive, overwrite: a.overwrite })) as never,
  }),
  tool({
    name: 'vfs_move',
    title: 'Move or rename',
    description: 'Moves a file or folder: rename(2) within a mount (atomic where the mount renames atomically), else copy then remove (atomic: false). An existing target is an error unless overwrite.',
    input: { source: vfsPath, destination: vfsPath, overwrite: z.boolean().default(false).describe('Replace an existing target') },
    output: {
      from: z.string().describe('The old path'),
      to: z.string().describe('The new path'),
      atomic: z.boolean().describe('True when done by one atomic rename'),
      files: z.number().describe('Files moved (1 for a rename)'),
      bytes: z.number().describe('Bytes copied (a rename reports the file size)'),
    },
    annotations: DESTROY,
    run: async (a, env) => (await env.call('vfs.move', { from: a.source, to: a.destination, overwrite: a.overwrite })) as never,
  }),
]
