import { VfsError } from './errors.ts'

const NAME_MAX = 255

/**
 * Normalises an absolute VFS path lexically: collapses '//' and '.', resolves '..' (never above
 * '/'), drops a trailing '/'. Relative paths and NUL bytes are refused with EINVAL; a component
 * longer than NAME_MAX bytes with ENAMETOOLONG, as the kernel would.
 */
export function normalizePath(path: string, op = 'resolve'): string {
  if (!path.startsWith('/')) throw new VfsError('EINVAL', op, path, { message: `EINVAL: ${op} ${path}: not an absolute path` })
  if (path.includes('\0')) throw new VfsError('EINVAL', op, path, { message: `EINVAL: ${op}: path contains NUL` })
  const out: string[] = []
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      out.pop()
      continue
    }
    if (Buffer.byteLength(part) > NAME_MAX) throw new VfsError('ENAMETOOLONG', op, path)
    out.push(part)
  }
  return `/${out.join('/')}`
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`
}

/** True when `path` is `prefix` or lies below it. */
export function isWithin(path: string, prefix: string): boolean {
  if (prefix === '/') return true
  return path === prefix || path.startsWith(`${prefix}/`)
}

/** Re-roots `path` from below `from` to below `to` (for renames of directories). */
export function rebase(path: string, from: string, to: string): string {
  if (path === from) return to
  return joinPath(to, path.slice(from.length + 1))
}
