/**
 * Shared pieces of the backend contract suite: the per-test context, writing and reading through
 * whichever write shape the backend declares, and error assertions.
 */
import { writeFile as writeLocal } from 'node:fs/promises'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import type { Backend, OpenFlags, PutSource } from '../../src/vfs/backend.ts'
import { S_IFREG } from '../../src/vfs/backend.ts'
import { type ErrorCode, VfsError } from '../../src/vfs/errors.ts'

export interface BackendFixture {
  backend: Backend
  cleanup(): Promise<void>
}

export type BackendFactory = () => Promise<BackendFixture>

export interface Ctx {
  backend: Backend
  cleanup: () => Promise<void>
  /** A local directory for PutSource files (what the VFS staging would hand over). */
  staging: string
}

export const FLAGS: OpenFlags = Object.freeze({
  read: false,
  write: false,
  append: false,
  create: false,
  exclusive: false,
  truncate: false,
})

export const flags = (f: Partial<OpenFlags>): OpenFlags => ({ ...FLAGS, ...f })

let seq = 0

/** Creates or replaces a file through the backend: open+write for randomWrite, put for wholeObject. */
export async function writeFile(
  ctx: Ctx,
  path: string,
  data: string | Uint8Array,
  meta: { mode?: number; mtimeNs?: bigint } = {},
): Promise<void> {
  const b = ctx.backend
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  const mode = meta.mode ?? 0o644
  if (b.capabilities.writes === 'randomWrite') {
    const f = await need(b, 'open')(path, flags({ write: true, create: true, truncate: true }), mode)
    try {
      await f.write(bytes, 0)
    } finally {
      await f.close()
    }
    if (meta.mtimeNs !== undefined) await need(b, 'utimens')(path, { mtimeNs: meta.mtimeNs })
    return
  }
  await need(b, 'put')(path, await putSource(ctx, bytes, meta))
}

/** A staged local file and its metadata, as the VFS hands it to `put`. */
export async function putSource(ctx: Ctx, bytes: Uint8Array, meta: { mode?: number; mtimeNs?: bigint } = {}): Promise<PutSource> {
  const localPath = join(ctx.staging, `put-${++seq}`)
  await writeLocal(localPath, bytes)
  return {
    localPath,
    size: bytes.byteLength,
    mode: S_IFREG | (meta.mode ?? 0o644),
    mtimeNs: meta.mtimeNs ?? BigInt(Date.now()) * 1_000_000n,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  }
}

/** Reads a whole file back, through openReader when the backend has one, else through open. */
export async function readAll(b: Backend, path: string): Promise<string> {
  const r = b.openReader !== undefined ? await b.openReader(path) : await need(b, 'open')(path, flags({ read: true }), 0)
  const chunks: Buffer[] = []
  try {
    for (let pos = 0; ; ) {
      const buf = Buffer.alloc(64 * 1024)
      const n = await r.read(buf, pos)
      if (n === 0) break
      chunks.push(buf.subarray(0, n))
      pos += n
    }
  } finally {
    await r.close()
  }
  return Buffer.concat(chunks).toString('latin1')
}

/** Asserts a VfsError with one of `codes` (and, when given, the path the caller passed). */
export async function rejects(p: Promise<unknown>, codes: ErrorCode | ErrorCode[], path?: string): Promise<VfsError> {
  const want = Array.isArray(codes) ? codes : [codes]
  let err: unknown
  try {
    await p
  } catch (e) {
    err = e
  }
  if (err === undefined) assert.unreachable(`expected ${want.join('|')}, the call succeeded`)
  assert.ok(err instanceof VfsError, `expected a VfsError, got ${String(err)}`)
  assert.ok(want.includes(err.code), `expected ${want.join('|')}, got ${err.code} (${err.message})`)
  if (path !== undefined) assert.is(err.path, path, 'VfsError.path is the path the caller passed')
  return err
}

type Method = Exclude<
  { [K in keyof Backend]-?: NonNullable<Backend[K]> extends (...args: never[]) => unknown ? K : never }[keyof Backend],
  undefined
>

/** A method the backend must have (its capability is declared), bound to it. */
export function need<K extends Method>(b: Backend, name: K): NonNullable<Backend[K]> {
  const fn = b[name] as ((...args: unknown[]) => unknown) | undefined
  assert.type(fn, 'function', `${name} is declared but missing`)
  return fn?.bind(b) as NonNullable<Backend[K]>
}

/**
 * What a backend does not declare must be absent or refuse (ENOTSUP/EPERM, or what `codes`
 * allows): never a silent success.
 */
export async function refused<K extends Method>(
  b: Backend,
  name: K,
  invoke: (fn: NonNullable<Backend[K]>) => Promise<unknown>,
  codes: ErrorCode[] = ['ENOTSUP', 'EPERM'],
): Promise<void> {
  if (b[name] === undefined) return
  await rejects(invoke(need(b, name)), codes)
}

/** Whole listing as one sorted string: "a:file sub:dir". */
export async function listing(b: Backend, path: string): Promise<string> {
  const entries = await b.list(path)
  return entries
    .map((e) => `${e.name}:${e.type}`)
    .sort()
    .join(' ')
}

export const perm = (mode: number): number => mode & 0o7777
