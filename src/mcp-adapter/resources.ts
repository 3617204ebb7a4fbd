import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { checkPath } from '../control/vfs-io.ts'
import type { Call } from './call.ts'
import { MAX_INLINE_BYTES } from './schemas.ts'

const TEXT_TYPES: Record<string, string> = {
  md: 'text/markdown',
  json: 'application/json',
  html: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  ts: 'text/x-typescript',
  csv: 'text/csv',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  xml: 'application/xml',
}

function mimeOf(path: string, text: boolean): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  return TEXT_TYPES[ext] ?? (text ? 'text/plain' : 'application/octet-stream')
}

/** Text when the bytes are valid utf8 without NUL (what editors treat as text), else a blob. */
function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false
  return Buffer.from(buf.toString('utf8')).equals(buf)
}

/**
 * Resources: any file as `vfs:///<path>` (text or blob, up to the inline limit), the mount table
 * as `vfs://mounts`, the journal's status as `vfs://journal/status`. A read error is a protocol
 * error (resources have no isError result) whose message carries the POSIX code.
 */
export function registerResources(server: McpServer, call: Call): void {
  server.registerResource('file', new ResourceTemplate('vfs:///{+path}', { list: undefined }), { title: 'VFS file', description: `Any file of the VFS by its path, e.g. vfs:///local/notes.txt (at most ${MAX_INLINE_BYTES} bytes; larger files: vfs_read by range)` }, async (uri, vars) => {
    const raw = Array.isArray(vars.path) ? vars.path.join('/') : (vars.path ?? '')
    const path = checkPath(`/${decodeURIComponent(raw)}`, 'resource')
    const probe = (await call('vfs.read', { path, offset: 0, length: 0 })) as { size: number }
    if (probe.size > MAX_INLINE_BYTES) throw Object.assign(new Error(`EFBIG: ${path} is ${probe.size} bytes, over the ${MAX_INLINE_BYTES}-byte resource limit; use vfs_read with offset and length`), { code: 'EFBIG' })
    const r = (await call('vfs.read', { path, offset: 0, length: probe.size })) as { data: string }
    const buf = Buffer.from(r.data, 'base64')
    const text = isText(buf)
    return { contents: [text ? { uri: uri.href, mimeType: mimeOf(path, true), text: buf.toString('utf8') } : { uri: uri.href, mimeType: mimeOf(path, false), blob: r.data }] }
  })
  server.registerResource('mounts', 'vfs://mounts', { title: 'Mounts', description: 'The mount table: point, backend type, capabilities', mimeType: 'application/json' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await call('vfs.mounts', {}), null, 2) }],
  }))
  server.registerResource('journal-status', 'vfs://journal/status', { title: 'Journal status', description: 'The journal\'s last seq, entry count and last recovery report', mimeType: 'application/json' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await call('journal.status', {}), null, 2) }],
  }))
}
