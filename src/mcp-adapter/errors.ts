import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'

/**
 * Tool errors: a result with isError and one JSON text, never structuredContent (the SDK's
 * client validates structuredContent against the output schema and would throw instead of
 * showing the error to the model).
 */
export interface ErrorContext {
  /** The tool called. */
  tool?: string
  /** The VFS operation that failed (read, rename, ...), else the tool. */
  op: string
  path?: string | undefined
  mount?: string | undefined
}

export interface ToolErrorBody {
  status: 'error'
  error: string
  error_code: string
  context: ErrorContext
  hint?: string
}

const HINTS: Record<string, string> = {
  ENOSYS: 'this ipfs-vfs has no such control method yet: the feature behind this tool is not built in',
  EROFS: 'the mount or path is read-only',
  EXDEV: 'the paths are on different mounts; vfs_copy or vfs_move copy across mounts',
  EACCES: 'the path leaves its mount (a symlink out of the mount root) or is not permitted',
  ECANCELED: 'the call was cancelled; part of the work may have been done',
}

export function errorBody(err: unknown, ctx: ErrorContext): ToolErrorBody {
  const e = err as { code?: unknown; message?: unknown; op?: unknown; path?: unknown } | null
  const code = typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? e.code : 'EIO'
  const body: ToolErrorBody = {
    status: 'error',
    error: typeof e?.message === 'string' ? e.message : String(err),
    error_code: code,
    context: { ...(ctx.tool === undefined ? {} : { tool: ctx.tool }), op: typeof e?.op === 'string' ? e.op : ctx.op, ...(typeof e?.path === 'string' ? { path: e.path } : ctx.path === undefined ? {} : { path: ctx.path }), ...(ctx.mount === undefined ? {} : { mount: ctx.mount }) },
  }
  const hint = HINTS[code]
  if (hint) body.hint = hint
  return body
}

export function errorResult(err: unknown, ctx: ErrorContext): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(errorBody(err, ctx)) }], isError: true }
}

/** An error a tool raises itself (bad combination of arguments, over-size read). */
export function toolError(code: string, op: string, message: string, path?: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code, op, ...(path === undefined ? {} : { path }) })
}
