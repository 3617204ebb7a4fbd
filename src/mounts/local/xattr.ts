/**
 * User extended attributes through @napi-rs/xattr (N-API, prebuilt binaries, calls run on the
 * libuv thread pool). Its calls are the l*xattr(2) family: a symlink in the final component is
 * not followed, which is what keeps attributes of a link pointing outside the root out of reach.
 *
 * Two gaps of that library are filled here:
 * - getAttribute answers null for every failure (missing file included), so a null is told apart
 *   with an lstat: the file's own error if it has one, otherwise ENODATA.
 * - setAttribute has no XATTR_CREATE/XATTR_REPLACE: the flags are checked first under a per-file
 *   lock. That is atomic against this process (the only writer through the mount), not against
 *   another process setting the same attribute on the host directory at the same moment.
 * Its errors carry the errno only in the message ("No data available (os error 61)"); they are
 * turned back into Node-style errors with a `code`.
 */
import { lstat } from 'node:fs/promises'
import { getSystemErrorName } from 'node:util'
import { getAttribute, listAttributes, removeAttribute, setAttribute } from '@napi-rs/xattr'
import type { XattrFlags } from '../../vfs/backend.ts'
import { errnoError } from './confine.ts'

const USER = 'user.'
/** XATTR_NAME_MAX on Linux; a longer name is ERANGE from the kernel. */
const NAME_MAX = 255

/** Only the user namespace: trusted.* and security.* need privileges we should not lend to callers. */
export function checkXattrName(name: string): void {
  if (!name.startsWith(USER)) throw errnoError('ENOTSUP', 'xattr', `${name}: only ${USER}* names`)
  if (Buffer.byteLength(name) > NAME_MAX) throw errnoError('ERANGE', 'xattr', 'name too long')
}

function fromNapi(err: unknown, syscall: string): unknown {
  const message = err instanceof Error ? err.message : ''
  const m = /\(os error (\d+)\)\s*$/.exec(message)
  if (m?.[1] === undefined) return err
  let code: string
  try {
    code = getSystemErrorName(-Number(m[1]))
  } catch {
    return err
  }
  return Object.assign(new Error(`${code}: ${syscall}`, { cause: err }), { code })
}

async function napi<T>(syscall: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw fromNapi(err, syscall)
  }
}

/** Serialises check-then-set per host path, so create/replace hold within this process. */
const locks = new Map<string, Promise<void>>()

async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve()
  let release = (): void => {}
  const mine = new Promise<void>((r) => {
    release = r
  })
  const tail = prev.then(() => mine)
  locks.set(key, tail)
  await prev
  try {
    return await fn()
  } finally {
    release()
    if (locks.get(key) === tail) locks.delete(key)
  }
}

async function current(host: string, name: string): Promise<Buffer | null> {
  const value = await napi('lgetxattr', () => getAttribute(host, name))
  if (value === null) await lstat(host) // surfaces ENOENT/ENOTDIR/EACCES hidden behind the null
  return value
}

export async function xattrGet(host: string, name: string): Promise<Buffer> {
  checkXattrName(name)
  const value = await current(host, name)
  if (value === null) throw errnoError('ENODATA', 'lgetxattr')
  return value
}

export async function xattrSet(host: string, name: string, value: Buffer, flags: XattrFlags): Promise<void> {
  checkXattrName(name)
  await withLock(host, async () => {
    if (flags !== undefined) {
      const exists = (await current(host, name)) !== null
      if (flags === 'create' && exists) throw errnoError('EEXIST', 'lsetxattr')
      if (flags === 'replace' && !exists) throw errnoError('ENODATA', 'lsetxattr')
    }
    await napi('lsetxattr', () => setAttribute(host, name, value))
  })
}

/** Names outside user.* (security.selinux, system.posix_acl_*) are hidden: they cannot be read through us. */
export async function xattrList(host: string): Promise<string[]> {
  const names = await napi('llistxattr', () => listAttributes(host))
  return names.filter((n) => n.startsWith(USER))
}

export async function xattrRemove(host: string, name: string): Promise<void> {
  checkXattrName(name)
  await withLock(host, () => napi('lremovexattr', () => removeAttribute(host, name)))
}
