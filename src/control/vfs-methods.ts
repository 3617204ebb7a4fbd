import { constants } from 'node:fs'
import { z } from 'zod'
import type { Service } from '../cli/service.ts'
import { entryType } from '../vfs/backend.ts'
import { VfsError } from '../vfs/errors.ts'
import { joinPath } from '../vfs/paths.ts'
import type { Vfs, VfsStat } from '../vfs/vfs.ts'
import type { CallContext, ControlMethods } from './protocol.ts'
import { type IoOptions, checkPath, copyTree, exists, followWithin, mkdirp, move, readRange, removeTree, withHandle, writeAll } from './vfs-io.ts'

/**
 * The Vfs as control methods (`vfs.*`): what the CLI and the MCP adapter call, in-process or
 * through the daemon's socket. Params are checked here (unknown keys refused, paths by
 * checkPath), so every front end gets the same refusals before anything is touched. Bytes cross
 * as base64; times as ISO strings plus nanoseconds as decimal strings (JSON has no bigint).
 */

/** The most one vfs.read or vfs.write moves: one NDJSON line must stay a reasonable size. */
export const MAX_IO_BYTES = 8 << 20
const CID_XATTR = 'user.ipfs.cid'
const CLUSTER_XATTR = 'user.cluster.status'

const path = z.string().describe('absolute VFS path')
const createMode = z.enum(['always', 'new_only', 'existing_only'])

const SCHEMAS = {
  'vfs.mounts': z.strictObject({}),
  'vfs.stat': z.strictObject({ path }),
  'vfs.list': z.strictObject({ path, cursor: z.string().optional(), limit: z.number().int().min(1).max(10_000).optional(), detail: z.boolean().optional() }),
  'vfs.read': z.strictObject({ path, offset: z.number().int().min(0).optional(), length: z.number().int().min(0).max(MAX_IO_BYTES).optional() }),
  'vfs.write': z.strictObject({ path, data: z.base64(), offset: z.number().int().min(0).optional(), create: createMode.optional(), parents: z.boolean().optional() }),
  'vfs.truncate': z.strictObject({ path, size: z.number().int().min(0) }),
  'vfs.mkdir': z.strictObject({ path, parents: z.boolean().optional() }),
  'vfs.rm': z.strictObject({ path, recursive: z.boolean().optional() }),
  'vfs.rmdir': z.strictObject({ path }),
  'vfs.rename': z.strictObject({ from: path, to: path }),
  'vfs.move': z.strictObject({ from: path, to: path, overwrite: z.boolean().optional() }),
  'vfs.copy': z.strictObject({ from: path, to: path, recursive: z.boolean().optional(), overwrite: z.boolean().optional() }),
  'vfs.readlink': z.strictObject({ path }),
  'vfs.symlink': z.strictObject({ target: z.string().min(1), path }),
  'vfs.getxattr': z.strictObject({ path, name: z.string().min(1) }),
  'vfs.listxattr': z.strictObject({ path }),
} as const

type Method = keyof typeof SCHEMAS
type Params<M extends Method> = z.infer<(typeof SCHEMAS)[M]>

function parse<M extends Method>(method: M, params: unknown): Params<M> {
  const r = SCHEMAS[method].safeParse(params ?? {})
  if (!r.success) {
    const issue = r.error.issues[0]
    const where = issue?.path.map(String).join('.') || 'params'
    throw new VfsError('EINVAL', method, undefined, { message: `EINVAL: ${method}: ${where}: ${issue?.message ?? 'invalid'}` })
  }
  return r.data as Params<M>
}

const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString()

export interface StatJson {
  path: string
  type: string
  size: number
  mode: number
  permissions: string
  uid: number
  gid: number
  nlink: number
  ino: number
  mtime: string
  atime: string
  ctime: string
  mtimeNs: string
  cid?: string
  cluster?: unknown
}

export function statJson(p: string, st: VfsStat): StatJson {
  return {
    path: p,
    type: entryType(st.mode),
    size: st.size,
    mode: st.mode,
    permissions: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid,
    gid: st.gid,
    nlink: st.nlink,
    ino: st.ino,
    mtime: iso(st.mtimeNs),
    atime: iso(st.atimeNs),
    ctime: iso(st.ctimeNs),
    mtimeNs: st.mtimeNs.toString(),
  }
}

/**
 * What the store knows of a path beyond stat, where it says so in an xattr: the CID
 * (user.ipfs.cid on /ipfs, /cluster, /storacha) and a cluster pin's status per peer
 * (user.cluster.status on /cluster). Nothing on mounts without them.
 */
async function storeAttrs(vfs: Vfs, p: string, ctx: CallContext): Promise<{ cid?: string; cluster?: unknown }> {
  const r = vfs.resolve(p, 'stat')
  if (r.kind !== 'mount' || !r.mount.backend.capabilities.xattrs) return {}
  const names = await vfs.listxattr(p, { signal: ctx.signal }).catch(() => [] as string[])
  const out: { cid?: string; cluster?: unknown } = {}
  if (names.includes(CID_XATTR)) out.cid = (await vfs.getxattr(p, CID_XATTR, { signal: ctx.signal })).toString('utf8')
  if (names.includes(CLUSTER_XATTR)) {
    const raw = await vfs.getxattr(p, CLUSTER_XATTR, { signal: ctx.signal }).catch(() => undefined)
    if (raw) out.cluster = JSON.parse(raw.toString('utf8'))
  }
  return out
}

function io(ctx: CallContext): IoOptions {
  return { signal: ctx.signal, progress: (u) => ctx.progress(u) }
}

function writeFlags(create: z.infer<typeof createMode>, whole: boolean): number {
  const base = constants.O_WRONLY | (whole ? constants.O_TRUNC : 0)
  if (create === 'new_only') return base | constants.O_CREAT | constants.O_EXCL
  if (create === 'existing_only') return base
  return base | constants.O_CREAT
}

function methods(vfs: Vfs): ControlMethods {
  return {
    'vfs.mounts': async (params) => {
      parse('vfs.mounts', params)
      return {
        mounts: vfs.mounts.list().map((m) => ({
          point: m.point,
          type: typeof m.info.type === 'string' ? m.info.type : 'unknown',
          readOnly: m.readOnly,
          capabilities: { ...m.backend.capabilities },
          info: { ...m.info },
        })),
      }
    },
    'vfs.stat': async (params, ctx) => {
      const p = checkPath(parse('vfs.stat', params).path, 'stat')
      const out = statJson(p, await vfs.stat(p, { signal: ctx.signal }))
      return { ...out, ...(await storeAttrs(vfs, p, ctx)) }
    },
    'vfs.list': async (params, ctx) => {
      const a = parse('vfs.list', params)
      const shown = checkPath(a.path, 'readdir')
      const p = await followWithin(vfs, shown, 'readdir', { signal: ctx.signal })
      const limit = a.limit ?? 1000
      const all = (await vfs.readdir(p, { signal: ctx.signal })).sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      const rest = a.cursor === undefined ? all : all.filter((e) => e.name > (a.cursor as string))
      const page = rest.slice(0, limit)
      const entries = []
      for (const e of page) {
        const full = joinPath(shown, e.name)
        if (!a.detail) {
          entries.push({ name: e.name, path: full, type: e.type })
          continue
        }
        const st = await vfs.stat(joinPath(p, e.name), { signal: ctx.signal }).catch(() => undefined)
        entries.push(st ? { name: e.name, path: full, type: entryType(st.mode), size: st.size, mtime: iso(st.mtimeNs), permissions: (st.mode & 0o7777).toString(8).padStart(4, '0') } : { name: e.name, path: full, type: e.type })
      }
      const last = page.at(-1)
      return { path: a.path, entries, total: all.length, ...(rest.length > limit && last ? { nextCursor: last.name } : {}) }
    },
    'vfs.read': async (params, ctx) => {
      const a = parse('vfs.read', params)
      const p = await followWithin(vfs, checkPath(a.path, 'read'), 'read', { signal: ctx.signal })
      const offset = a.offset ?? 0
      const { data, size } = await readRange(vfs, p, offset, a.length ?? MAX_IO_BYTES, { signal: ctx.signal })
      return { path: a.path, offset, bytes: data.length, size, eof: offset + data.length >= size, data: data.toString('base64') }
    },
    'vfs.write': async (params, ctx) => {
      const a = parse('vfs.write', params)
      const data = Buffer.from(a.data, 'base64')
      if (data.length > MAX_IO_BYTES) throw new VfsError('EFBIG', 'write', a.path, { message: `EFBIG: write ${a.path}: ${data.length} bytes in one call (at most ${MAX_IO_BYTES}; write the rest at an offset)` })
      const checked = checkPath(a.path, 'write')
      if (a.parents) await mkdirp(vfs, checked.slice(0, checked.lastIndexOf('/')) || '/', { signal: ctx.signal })
      const p = await followWithin(vfs, checked, 'write', { signal: ctx.signal })
      const create = a.create ?? 'always'
      const existed = (await exists(vfs, p, { signal: ctx.signal })) !== undefined
      const offset = a.offset ?? 0
      const size = await withHandle(vfs, p, writeFlags(create, a.offset === undefined), async (fh) => {
        await writeAll(vfs, fh, data, offset, { signal: ctx.signal })
        return (await vfs.fstat(fh)).size
      }, { signal: ctx.signal })
      return { path: a.path, bytes: data.length, size, created: !existed }
    },
    'vfs.truncate': async (params, ctx) => {
      const a = parse('vfs.truncate', params)
      const p = await followWithin(vfs, checkPath(a.path, 'truncate'), 'truncate', { signal: ctx.signal })
      await vfs.truncate(p, a.size, { signal: ctx.signal })
      return { path: a.path, size: a.size }
    },
    'vfs.mkdir': async (params, ctx) => {
      const a = parse('vfs.mkdir', params)
      const p = checkPath(a.path, 'mkdir')
      if (a.parents) return { path: a.path, created: await mkdirp(vfs, p, { signal: ctx.signal }) }
      await vfs.mkdir(p, 0o755, { signal: ctx.signal })
      return { path: a.path, created: [p] }
    },
    'vfs.rm': async (params, ctx) => {
      const a = parse('vfs.rm', params)
      return removeTree(vfs, checkPath(a.path, 'rm'), a.recursive ?? false, io(ctx))
    },
    'vfs.rmdir': async (params, ctx) => {
      const a = parse('vfs.rmdir', params)
      await vfs.rmdir(checkPath(a.path, 'rmdir'), { signal: ctx.signal })
      return { path: a.path }
    },
    'vfs.rename': async (params, ctx) => {
      const a = parse('vfs.rename', params)
      await vfs.rename(checkPath(a.from, 'rename'), checkPath(a.to, 'rename'), { signal: ctx.signal })
      return { from: a.from, to: a.to }
    },
    'vfs.move': async (params, ctx) => {
      const a = parse('vfs.move', params)
      return { from: a.from, to: a.to, ...(await move(vfs, checkPath(a.from, 'move'), checkPath(a.to, 'move'), a.overwrite ?? false, io(ctx))) }
    },
    'vfs.copy': async (params, ctx) => {
      const a = parse('vfs.copy', params)
      const from = checkPath(a.from, 'copy')
      const to = checkPath(a.to, 'copy')
      const overwrite = a.overwrite ?? false
      const there = await exists(vfs, to, { signal: ctx.signal })
      // Refused before anything is written: a partial copy onto an existing tree is worse than none.
      if (there && !overwrite) throw new VfsError('EEXIST', 'copy', to, { message: `EEXIST: copy ${from} -> ${to}: the target exists (pass overwrite to replace it)` })
      return copyTree(vfs, from, to, { recursive: a.recursive ?? false, overwrite }, io(ctx))
    },
    'vfs.readlink': async (params, ctx) => {
      const a = parse('vfs.readlink', params)
      return { path: a.path, target: await vfs.readlink(checkPath(a.path, 'readlink'), { signal: ctx.signal }) }
    },
    'vfs.symlink': async (params, ctx) => {
      const a = parse('vfs.symlink', params)
      await vfs.symlink(a.target, checkPath(a.path, 'symlink'), { signal: ctx.signal })
      return { path: a.path, target: a.target }
    },
    'vfs.getxattr': async (params, ctx) => {
      const a = parse('vfs.getxattr', params)
      const value = await vfs.getxattr(checkPath(a.path, 'getxattr'), a.name, { signal: ctx.signal })
      const text = new TextDecoder('utf-8', { fatal: false }).decode(value)
      return { path: a.path, name: a.name, value: value.toString('base64'), ...(Buffer.from(text).equals(value) ? { text } : {}) }
    },
    'vfs.listxattr': async (params, ctx) => {
      const a = parse('vfs.listxattr', params)
      return { path: a.path, names: await vfs.listxattr(checkPath(a.path, 'listxattr'), { signal: ctx.signal }) }
    },
  }
}

/** The feature: registers the vfs.* methods on the Service (listed in src/cli/features.ts). */
export async function vfsMethods(service: Service): Promise<void> {
  service.register(methods(service.vfs))
}
