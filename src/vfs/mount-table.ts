import type { Backend } from './backend.ts'
import { VfsError } from './errors.ts'
import { dirname, isWithin, normalizePath } from './paths.ts'

export interface MountOptions {
  /** Refuse every change with EROFS, whatever the backend can do. */
  readOnly?: boolean
  /** How long a stat or listing of this mount is served from the VFS cache; 0 disables it. */
  cacheTtlMs?: number
}

export interface Mount {
  /** Where the mount appears in the VFS, e.g. '/local'. */
  readonly point: string
  /** Small stable number: the high bits of this mount's inode numbers. */
  readonly id: number
  readonly backend: Backend
  readonly readOnly: boolean
  readonly cacheTtlMs: number
  /** Free-form description for status and MCP (backend type, without secrets). */
  readonly info: Readonly<Record<string, unknown>>
}

export type Resolved =
  | { kind: 'mount'; mount: Mount; rel: string; path: string }
  | { kind: 'synthetic'; path: string; children: string[] }

export const MAX_MOUNT_ID = 4095

/** FNV-1a of the mount point: the same point gets the same inode space across restarts. */
function preferredId(point: string): number {
  let h = 0x811c9dc5
  for (const ch of Buffer.from(point)) {
    h ^= ch
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return (h % MAX_MOUNT_ID) + 1
}

/** Mount points by longest prefix; the root and the folders above mount points are synthetic. */
export class MountTable {
  readonly #mounts = new Map<string, Mount>()

  add(point: string, backend: Backend, options: MountOptions = {}, info: Record<string, unknown> = {}): Mount {
    const p = normalizePath(point, 'mount')
    if (p === '/') throw new VfsError('EINVAL', 'mount', p, { message: 'EINVAL: mount: the root cannot be a mount point' })
    for (const other of this.#mounts.keys()) {
      if (isWithin(p, other) || isWithin(other, p)) {
        throw new VfsError('EBUSY', 'mount', p, { message: `EBUSY: mount ${p}: overlaps the mount at ${other}` })
      }
    }
    let id = preferredId(p)
    const used = new Set([...this.#mounts.values()].map((m) => m.id))
    while (used.has(id)) id = (id % MAX_MOUNT_ID) + 1
    const mount: Mount = Object.freeze({
      point: p,
      id,
      backend,
      readOnly: options.readOnly ?? backend.capabilities.readOnly,
      cacheTtlMs: options.cacheTtlMs ?? 0,
      info: Object.freeze({ ...info }),
    })
    this.#mounts.set(p, mount)
    return mount
  }

  remove(point: string): Mount {
    const p = normalizePath(point, 'unmount')
    const mount = this.#mounts.get(p)
    if (!mount) throw new VfsError('ENOENT', 'unmount', p, { message: `ENOENT: unmount ${p}: no mount there` })
    this.#mounts.delete(p)
    return mount
  }

  get(point: string): Mount | undefined {
    return this.#mounts.get(point)
  }

  list(): Mount[] {
    return [...this.#mounts.values()].sort((a, b) => a.point.localeCompare(b.point))
  }

  /** Resolves a normalised VFS path; ENOENT when it is neither in a mount nor above one. */
  resolve(path: string, op: string): Resolved {
    for (let p = path; ; p = dirname(p)) {
      const mount = this.#mounts.get(p)
      if (mount) return { kind: 'mount', mount, rel: p === path ? '/' : path.slice(p === '/' ? 0 : p.length), path }
      if (p === '/') break
    }
    const children = new Set<string>()
    for (const point of this.#mounts.keys()) {
      if (point !== path && isWithin(point, path)) {
        const rest = point.slice(path === '/' ? 1 : path.length + 1)
        children.add(rest.split('/')[0] as string)
      }
    }
    if (path === '/' || children.size > 0) return { kind: 'synthetic', path, children: [...children].sort() }
    throw new VfsError('ENOENT', op, path)
  }

  /** True when `path` is itself a mount point (it cannot be removed or renamed). */
  isMountPoint(path: string): boolean {
    return this.#mounts.has(path)
  }
}

