import { realpath } from 'node:fs/promises'
import { resolve } from 'node:path'

/** A Node-style errno error (`code` set), turned into a VfsError at the backend boundary. */
export function errnoError(code: string, syscall: string, detail?: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${syscall}${detail === undefined ? '' : ` (${detail})`}`), { code })
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * Maps backend paths ('/a/b', already normalised by the VFS) to host paths below the root, so
 * that no operation reaches outside it.
 *
 * Why this shape: a symlink inside the root may point anywhere. The kernel never sends us a path
 * through a symlink (it calls readlink and looks the target up again), but the CLI and MCP can.
 * Every call therefore resolves the parent directory with one realpath(3) (a readlink per
 * component, in one thread-pool job) and refuses with EACCES when it lies outside the root; the
 * final component is left to the operation: ops on the entry itself (lstat, unlink, rename,
 * lchown, utimensat(AT_SYMLINK_NOFOLLOW), l*xattr) never follow it, and ops that do follow
 * (open, list, chmod, statfs) resolve it with `follow` only when it is a symlink.
 * Lexical checks alone would miss intermediate symlinks; an lstat per component would cost more
 * than one realpath.
 *
 * Residual race (documented, not closed): a process with write access inside the root can swap a
 * checked directory for a symlink between the check and the operation. Closing it needs
 * openat2(RESOLVE_BENEATH) or fd-relative walks, which Node does not expose.
 */
export class LocalRoot {
  readonly root: string
  #real: Promise<string> | undefined
  /**
   * Confined host paths of folders, for a short while: a realpath per call is a second
   * thread-pool job on every lookup, create and unlink (the bench measured 20% of busy time).
   */
  readonly #parents = new Map<string, { host: string; expires: number }>()

  constructor(root: string) {
    this.root = resolve(root)
  }

  /** The root with its own symlinks resolved; retried on the next call if it failed (root not there yet). */
  realRoot(): Promise<string> {
    if (this.#real === undefined) {
      const real = realpath(this.root)
      real.catch(() => {
        this.#real = undefined
      })
      this.#real = real
    }
    return this.#real
  }

  /** The host path of `path`, parent chain resolved and confined; the final component is not followed. */
  async noFollow(path: string): Promise<string> {
    checkPath(path)
    const real = await this.realRoot()
    if (path === '/') return real
    const slash = path.lastIndexOf('/')
    if (slash === 0) return join(real, path)
    const dir = path.slice(0, slash)
    const cached = this.#parents.get(dir)
    if (cached && cached.expires > Date.now()) return cached.host + path.slice(slash)
    const lexical = join(real, dir)
    const parent = await realpath(lexical)
    if (parent !== lexical && !within(parent, real)) throw errnoError('EACCES', 'resolve', 'leaves the root')
    if (this.#parents.size >= PARENT_CACHE_MAX) this.#parents.clear()
    this.#parents.set(dir, { host: parent, expires: Date.now() + PARENT_CACHE_MS })
    return parent + path.slice(slash)
  }

  /**
   * Forgets resolved folders at or below `path`: after a rename, rmdir, unlink or symlink through
   * this backend a cached folder there may have moved or become a link. Changes made on the host behind our back are
   * covered by the short lifetime (the same window as the kernel's entry_timeout).
   */
  forgetFolders(path: string): void {
    for (const dir of this.#parents.keys()) if (dir === path || dir.startsWith(`${path}/`)) this.#parents.delete(dir)
  }

  /** The host path of `path` with every symlink resolved (the entry must exist), or EACCES outside the root. */
  async follow(path: string): Promise<string> {
    checkPath(path)
    const real = await this.realRoot()
    const lexical = path === '/' ? real : join(real, path)
    const resolved = await realpath(lexical)
    if (resolved !== lexical && !within(resolved, real)) throw errnoError('EACCES', 'resolve', 'leaves the root')
    return resolved
  }
}

const PARENT_CACHE_MS = 1000
const PARENT_CACHE_MAX = 4096

function join(root: string, path: string): string {
  return root === '/' ? path : root + path
}

function within(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`)
}

/**
 * Defence in depth: the VFS normalises paths, but a '..' that slipped through would walk out of
 * the root lexically, before any symlink is involved.
 */
function checkPath(path: string): void {
  if (!path.startsWith('/') || path.includes('\0')) throw errnoError('EINVAL', 'resolve', 'not a normalised path')
  if (path === '/') return
  for (const part of path.slice(1).split('/')) {
    if (part === '' || part === '.' || part === '..') throw errnoError('EINVAL', 'resolve', 'not a normalised path')
  }
}
