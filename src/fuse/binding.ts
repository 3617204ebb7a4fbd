import { createRequire } from 'node:module'

/** The stat fields the patched fuse-native reads (64-bit ino, nanosecond times). */
export interface FuseStat {
  mode: number
  uid: number
  gid: number
  size: number
  nlink: number
  ino: number
  blksize: number
  blocks: number
  atimeNs: bigint
  mtimeNs: bigint
  ctimeNs: bigint
}

export type FuseTime = bigint | 'now' | 'omit'
type Cb = (result: number) => void

/** fuse-native 2.2.6 as patched by patches/fuse-native+2.2.6.patch (see DESIGN.md). */
export interface FuseOps {
  init?(cb: Cb): void
  getattr(path: string, cb: (err: number, stat?: FuseStat) => void): void
  fgetattr(path: string, fd: number, cb: (err: number, stat?: FuseStat) => void): void
  readdir(path: string, cb: (err: number, names?: string[], stats?: FuseStat[]) => void): void
  statfs(path: string, cb: (err: number, statfs?: Record<string, number>) => void): void
  open(path: string, flags: number, cb: (err: number, fd?: number) => void): void
  create(path: string, mode: number, cb: (err: number, fd?: number) => void): void
  read(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void
  write(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: Cb): void
  flush(path: string, fd: number, cb: Cb): void
  fsync(path: string, datasync: number, fd: number, cb: Cb): void
  fsyncdir(path: string, datasync: number, fd: number, cb: Cb): void
  release(path: string, fd: number, cb: Cb): void
  truncate(path: string, size: number, cb: Cb): void
  ftruncate(path: string, fd: number, size: number, cb: Cb): void
  utimens(path: string, atime: FuseTime, mtime: FuseTime, cb: Cb): void
  chmod(path: string, mode: number, cb: Cb): void
  chown(path: string, uid: number, gid: number, cb: Cb): void
  mkdir(path: string, mode: number, cb: Cb): void
  rmdir(path: string, cb: Cb): void
  unlink(path: string, cb: Cb): void
  rename(src: string, dest: string, cb: Cb): void
  link(existing: string, path: string, cb: Cb): void
  symlink(target: string, path: string, cb: Cb): void
  readlink(path: string, cb: (err: number, target?: string) => void): void
  mknod(path: string, mode: number, dev: number, cb: Cb): void
  getxattr(path: string, name: string, position: number, cb: (err: number, value?: Buffer) => void): void
  setxattr(path: string, name: string, value: Buffer, position: number, flags: number, cb: Cb): void
  listxattr(path: string, cb: (err: number, names?: string[]) => void): void
  removexattr(path: string, name: string, cb: Cb): void
}

export interface FuseOptions {
  timeout?: number | false | Record<string, number | false>
  extraOptions?: string[]
  onExit?: () => void
  force?: boolean
  mkdir?: boolean
}

export interface FuseInstance {
  mount(cb: (err: Error | null) => void): void
  unmount(cb: (err: Error | null) => void): void
  callerContext(): { uid: number; gid: number; pid: number }
}

export interface FuseConstructor {
  new (mnt: string, ops: Partial<FuseOps>, opts: FuseOptions): FuseInstance
  unmount(mnt: string, cb: (err: Error | null) => void): void
}

const require = createRequire(import.meta.url)
export const Fuse = require('fuse-native') as FuseConstructor
