/**
 * A tiny in-memory filesystem with Linux's answers (mountpoint-s3's reftests): folders, files
 * of bytes and symlinks, the operations of the reference-model test, and the errno each
 * refusal gives, in the order the kernel checks them (path walk first, then the entry).
 *
 * Paths are relative to the model's root ('a', 'a/b'); symlink targets are relative to the
 * link's folder and never leave the root.
 */
import { createHash } from 'node:crypto'

export type Node = Dir | File | Link
export interface Dir {
  type: 'dir'
  mode: number
  children: Map<string, Node>
}
/** One object per inode: two names holding the same File are hard links. */
export interface File {
  type: 'file'
  mode: number
  data: Buffer
}
export interface Link {
  type: 'symlink'
  target: string
}

export class ModelError extends Error {
  readonly code: string
  constructor(code: string, what: string) {
    super(`${code}: ${what}`)
    this.code = code
  }
}

export interface ModelOptions {
  /** The mount stores symlinks; without, symlink(2) answers EPERM (after the kernel's EEXIST). */
  symlinks: boolean
  /** The mount stores hard links; without, link(2) answers EPERM (after EEXIST). */
  hardLinks: boolean
}

/** Linux's MAXSYMLINKS: more links than this in one path walk is ELOOP. */
const MAXSYMLINKS = 40

interface Walked {
  dir: Dir
  /** Canonical path of `dir`, symlinks resolved. */
  dirPath: string[]
  name: string
  node: Node | undefined
}

/** Modes as the tests create them: mkdir 0755, open(O_CREAT) 0644 (under umask 022). */
const newDir = (): Dir => ({ type: 'dir', mode: 0o755, children: new Map() })

export class Model {
  readonly root: Dir = newDir()
  readonly options: ModelOptions

  constructor(options: ModelOptions) {
    this.options = options
  }

  /**
   * The kernel's path walk: symlinks in folder positions are followed, the last component only
   * with `followLast` (and a dangling one then names its target, which O_CREAT creates).
   */
  walk(path: string, followLast: boolean): Walked {
    let todo = path.split('/').filter(Boolean)
    let dir = this.root
    let dirPath: string[] = []
    let links = 0
    for (;;) {
      const [name, ...rest] = todo
      if (name === undefined) throw new ModelError('EINVAL', `empty path ${path}`)
      const last = rest.length === 0
      const node = dir.children.get(name)
      if (last && !followLast) return { dir, dirPath, name, node }
      if (node === undefined) {
        if (last) return { dir, dirPath, name, node }
        throw new ModelError('ENOENT', path)
      }
      if (node.type === 'symlink') {
        if (++links > MAXSYMLINKS) throw new ModelError('ELOOP', path)
        if (node.target.startsWith('/')) {
          dir = this.root
          dirPath = []
        }
        todo = [...node.target.split('/').filter((p) => p !== '' && p !== '.'), ...rest]
        continue
      }
      if (last) return { dir, dirPath, name, node }
      if (node.type !== 'dir') throw new ModelError('ENOTDIR', path)
      dir = node
      dirPath = [...dirPath, name]
      todo = rest
    }
  }

  mkdir(path: string): void {
    const w = this.walk(path, false)
    if (w.node) throw new ModelError('EEXIST', path)
    w.dir.children.set(w.name, newDir())
  }

  /** open(O_CREAT) without O_EXCL: follows a link, creates a missing file; the node is the open file. */
  open(path: string, truncate = false): File {
    const w = this.walk(path, true)
    let node = w.node
    if (node === undefined) {
      node = { type: 'file', mode: 0o644, data: Buffer.alloc(0) }
      w.dir.children.set(w.name, node)
    }
    if (node.type === 'dir') throw new ModelError('EISDIR', path)
    if (node.type !== 'file') throw new ModelError('ELOOP', path)
    if (truncate) node.data = Buffer.alloc(0)
    return node
  }

  /** open(O_WRONLY|O_CREAT) (with O_APPEND when `offset` is 'end'), pwrite, close. */
  write(path: string, offset: number | 'end', data: Buffer): void {
    const node = this.open(path)
    writeNode(node, offset === 'end' ? node.data.length : offset, data)
  }

  truncate(path: string, size: number): void {
    const w = this.walk(path, true)
    if (w.node === undefined) throw new ModelError('ENOENT', path)
    if (w.node.type === 'dir') throw new ModelError('EISDIR', path)
    if (w.node.type !== 'file') throw new ModelError('ELOOP', path)
    truncateNode(w.node, size)
  }

  unlink(path: string): void {
    const w = this.walk(path, false)
    if (w.node === undefined) throw new ModelError('ENOENT', path)
    if (w.node.type === 'dir') throw new ModelError('EISDIR', path)
    w.dir.children.delete(w.name)
  }

  rmdir(path: string): void {
    const w = this.walk(path, false)
    if (w.node === undefined) throw new ModelError('ENOENT', path)
    if (w.node.type !== 'dir') throw new ModelError('ENOTDIR', path)
    if (w.node.children.size > 0) throw new ModelError('ENOTEMPTY', path)
    w.dir.children.delete(w.name)
  }

  /** rename(2) as Linux's do_renameat2 and vfs_rename check it. */
  rename(from: string, to: string): void {
    const src = this.walk(from, false)
    const dst = this.walk(to, false)
    if (src.node === undefined) throw new ModelError('ENOENT', from)
    const srcPath = [...src.dirPath, src.name]
    const dstPath = [...dst.dirPath, dst.name]
    const within = (p: string[], prefix: string[]) => prefix.length <= p.length && prefix.every((x, i) => p[i] === x)
    // The source may not be an ancestor of the target (EINVAL), nor the target of the source.
    if (src.dirPath.join('/') !== dst.dirPath.join('/')) {
      if (within(dst.dirPath, srcPath)) throw new ModelError('EINVAL', `${from} -> ${to}`)
      if (within(src.dirPath, dstPath)) throw new ModelError('ENOTEMPTY', `${from} -> ${to}`)
    }
    if (src.node === dst.node) return
    if (dst.node) {
      if (src.node.type === 'dir' && dst.node.type !== 'dir') throw new ModelError('ENOTDIR', to)
      if (src.node.type !== 'dir' && dst.node.type === 'dir') throw new ModelError('EISDIR', to)
      if (dst.node.type === 'dir' && dst.node.children.size > 0) throw new ModelError('ENOTEMPTY', to)
    }
    src.dir.children.delete(src.name)
    dst.dir.children.set(dst.name, src.node)
  }

  /**
   * link(2) as do_linkat: the source is looked up whole first (ENOENT), not followed (Linux
   * links a symlink itself), then the new name's folder and name (EEXIST); folders are EPERM.
   */
  link(existing: string, path: string): void {
    const src = this.walk(existing, false)
    if (src.node === undefined) throw new ModelError('ENOENT', existing)
    const dst = this.walk(path, false)
    if (dst.node) throw new ModelError('EEXIST', path)
    if (src.node.type === 'dir') throw new ModelError('EPERM', existing)
    if (!this.options.hardLinks) throw new ModelError('EPERM', path)
    dst.dir.children.set(dst.name, src.node)
  }

  /** chmod(2) follows a symlink; a link's own mode is not compared. */
  chmod(path: string, mode: number): void {
    const w = this.walk(path, true)
    if (w.node === undefined) throw new ModelError('ENOENT', path)
    if (w.node.type === 'symlink') throw new ModelError('ELOOP', path)
    w.node.mode = mode
  }

  symlink(target: string, path: string): void {
    const w = this.walk(path, false)
    if (w.node) throw new ModelError('EEXIST', path)
    if (!this.options.symlinks) throw new ModelError('EPERM', path)
    w.dir.children.set(w.name, { type: 'symlink', target })
  }

  /** The whole tree as one canonical string. */
  snapshot(): string {
    const lines: string[] = []
    const visit = (dir: Dir, prefix: string): void => {
      for (const name of [...dir.children.keys()].sort()) {
        const node = dir.children.get(name) as Node
        const p = prefix ? `${prefix}/${name}` : name
        if (node.type === 'dir') {
          lines.push(describe.dir(p, node.mode))
          visit(node, p)
        } else if (node.type === 'file') lines.push(describe.file(p, node.data, node.mode))
        else lines.push(describe.symlink(p, node.target))
      }
    }
    visit(this.root, '')
    return lines.join('\n')
  }
}

/** pwrite(2) on an open file, linked or not. A write of no bytes changes nothing, not even the size. */
export function writeNode(node: File, at: number, data: Buffer): void {
  if (data.length === 0) return
  const next = Buffer.alloc(Math.max(node.data.length, at + data.length))
  node.data.copy(next)
  data.copy(next, at)
  node.data = next
}

export function truncateNode(node: File, size: number): void {
  const next = Buffer.alloc(size)
  node.data.copy(next, 0, 0, Math.min(size, node.data.length))
  node.data = next
}

/** One line per entry, shared by the model's and the targets' snapshots. */
export const describe = {
  dir: (p: string, mode: number): string => `${p}/ ${mode.toString(8)}`,
  file: (p: string, data: Buffer, mode?: number): string => `${p} ${mode === undefined ? '' : `${mode.toString(8)} `}${data.length} ${createHash('sha1').update(data).digest('hex').slice(0, 10)}`,
  symlink: (p: string, target: string): string => `${p} -> ${target}`,
}
