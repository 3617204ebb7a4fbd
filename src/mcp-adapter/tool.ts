import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult, ServerNotification, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { checkPath } from '../control/vfs-io.ts'
import type { Call, Progress } from './call.ts'
import { errorResult } from './errors.ts'

/** What a tool's run() gets: the one call function, already bound to this request's signal and progress. */
export interface ToolEnv {
  call(method: string, params?: Record<string, unknown>): Promise<unknown>
  signal: AbortSignal
}

export type Hints = Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>>

export interface ToolDef {
  name: string
  title: string
  description: string
  input: z.ZodRawShape
  output: z.ZodRawShape
  annotations: Hints
  /** The result belongs to another feature's method: keys beyond the declared ones pass through. */
  loose?: boolean
  run(args: Record<string, unknown>, env: ToolEnv): Promise<Record<string, unknown>>
}

/** Declares a tool with its argument and result types checked against its schemas. */
export function tool<I extends z.ZodRawShape, O extends z.ZodRawShape>(def: {
  name: string
  title: string
  description: string
  input: I
  output: O
  annotations: Hints
  loose?: boolean
  run(args: z.infer<z.ZodObject<I>>, env: ToolEnv): Promise<z.infer<z.ZodObject<O>>>
}): ToolDef {
  return def as unknown as ToolDef
}

export const READ: Hints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
export const CREATE: Hints = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false }
export const REPLACE: Hints = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false }
export const DESTROY: Hints = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false }

/** Where errors get their mount: the mount points, refreshed after vfs_mount and vfs_unmount. */
export interface AdapterContext {
  call: Call
  mountOf(path: string | undefined): string | undefined
  refreshMounts(): Promise<void>
}

const PATH_KEYS = ['path', 'source', 'destination', 'target_path', 'mount_point'] as const

/** The single path rule for every tool argument that names a VFS path (the control methods apply it again). */
function checkPaths(args: Record<string, unknown>, op: string): void {
  for (const key of PATH_KEYS) if (typeof args[key] === 'string') checkPath(args[key] as string, op)
  if (Array.isArray(args.paths)) for (const p of args.paths) if (typeof p === 'string') checkPath(p, op)
}

function progressSender(token: string | number | undefined, send: (n: ServerNotification) => Promise<void>): ((u: Progress) => void) | undefined {
  if (token === undefined) return undefined
  let step = 0
  return (u) => {
    step++
    const message = `${u.files ?? 0} files, ${u.bytes ?? 0} bytes`
    void send({ method: 'notifications/progress', params: { progressToken: token, progress: step, ...(u.totalFiles === undefined ? {} : { total: u.totalFiles }), message } }).catch(() => {})
  }
}

export function registerTool(server: McpServer, def: ToolDef, ctx: AdapterContext, alias?: { name: string; description: string }): void {
  const name = alias?.name ?? def.name
  // The SDK client checks structuredContent against the listed schema: a strict tool's result is
  // cut to its declared fields here, so a field added to a method later cannot make clients throw.
  const output = def.loose ? z.looseObject(def.output) : z.object(def.output)
  server.registerTool(name, { title: def.title, description: alias?.description ?? def.description, inputSchema: def.input, outputSchema: output, annotations: def.annotations }, async (args, extra): Promise<CallToolResult> => {
    const a = args as Record<string, unknown>
    const firstPath = typeof a.path === 'string' ? a.path : typeof a.source === 'string' ? a.source : typeof a.mount_point === 'string' ? a.mount_point : undefined
    try {
      checkPaths(a, def.name)
      const onProgress = progressSender(extra._meta?.progressToken, extra.sendNotification)
      const env: ToolEnv = { signal: extra.signal, call: (method, params = {}) => ctx.call(method, params, { signal: extra.signal, ...(onProgress ? { onProgress } : {}) }) }
      const parsed = output.safeParse(await def.run(a, env))
      if (!parsed.success) throw Object.assign(new Error(`EIO: ${def.name}: the result does not match the tool's output schema: ${parsed.error.issues[0]?.message ?? ''} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`), { code: 'EIO' })
      const result = parsed.data as Record<string, unknown>
      return { content: [{ type: 'text', text: JSON.stringify(result) }], structuredContent: result }
    } catch (err) {
      await ctx.refreshMounts().catch(() => {})
      const errPath = (err as { path?: unknown } | null)?.path
      return errorResult(err, { tool: name, op: def.name, path: firstPath, mount: ctx.mountOf(typeof errPath === 'string' ? errPath : firstPath) })
    }
  })
}
