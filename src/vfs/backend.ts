/**
 * The backend contract: what a storage system implements to appear as a folder of the VFS.
 * Paths given to a backend are relative to its mount point, absolute within it ('/' is the
 * mount's root), already normalised: no '.', '..', empty or trailing components.
 * A backend knows only its own storage: no FUSE, no journal, no other mount.
 */

export const S_IFMT = 0o170000
export const S_IFREG = 0o100000
export const S_IFDIR = 0o040000
export const S_IFLNK = 0o120000

export type EntryType = 'file' | 'dir' | 'symlink' | 'other'

export interface Stat {
  /** Full st_mode: file type bits and permission bits. */
  mode: number
  size: number
  uid: number
  gid: number
  nlink: number
  /** The store's own inode number when it has one (hard links share it); the VFS assigns one otherwise. */
  ino?: number
  atimeNs: bigint
  mtimeNs: bigint
  ctimeNs: bigint
  /** 512-byte blocks allocated; derived from size when absent. */
  blocks?: number
}

export interface DirEntry {
  name: string
  type: EntryType
  /** Present when the listing gives it cheaply (object listings, readdir-plus). */
  stat?: Stat
}

export interface StatFs {
  bsize: number
  frsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
  favail: number
  namemax: number
}

export interface Capabilities {
  /**
   * randomWrite: the backend opens files and writes at offsets itself (local).
   * wholeObject: the VFS stages the file on local disk and hands the finished file to `put`.
   */
  writes: 'randomWrite' | 'wholeObject'
  readOnly: boolean
  /** atomic: rename(2) semantics; copy: copy then delete, not atomic; none: EXDEV/ENOTSUP. */
  rename: 'atomic' | 'copy' | 'none'
  symlinks: boolean
  hardLinks: boolean
  /** Mode bits persist (chmod works). */
  chmod: boolean
  /** Owner persists (chown works). */
  chown: boolean
  /** mtime persists (utimens works). */
  utimens: boolean
  /** atime persists apart from mtime (UnixFS and object metadata keep no atime). */
  atime: boolean
  /** Extended attributes can be read (getxattr/listxattr). */
  xattrs: boolean
  /** Extended attributes can be set and removed; false with xattrs: a fixed read-only set (/ipfs's user.ipfs.cid). */
  xattrsWritable: boolean
}

export interface CallOptions {
  signal?: AbortSignal
}

/** A time to set, in nanoseconds since the epoch; undefined leaves it as it is. */
export interface TimeUpdate {
  atimeNs?: bigint
  mtimeNs?: bigint
}

export interface OpenFlags {
  read: boolean
  write: boolean
  append: boolean
  create: boolean
  exclusive: boolean
  truncate: boolean
}

/** An open file of a randomWrite backend. */
export interface RandomAccessFile {
  read(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number>
  write(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number>
  truncate(size: number, opts?: CallOptions): Promise<void>
  sync(datasync: boolean, opts?: CallOptions): Promise<void>
  stat(opts?: CallOptions): Promise<Stat>
  close(): Promise<void>
}

/** A ranged reader of one object (whole-object backends). */
export interface Reader {
  /** Fills as much of `buffer` as the object has from `position`; returns the bytes read (0 at end). */
  read(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number>
  close(): Promise<void>
}

/** The metadata an object is stored with, and its size. */
export interface PutMeta {
  size: number
  mode: number
  mtimeNs: bigint
  uid: number
  gid: number
}

/** What a whole-object backend receives on upload: a finished local file and its metadata. */
export interface PutSource extends PutMeta {
  /** Path of the staged file on local disk; read it, do not keep it. */
  localPath: string
}

/**
 * A new file's bytes handed to a whole-object backend while they are written, in order from
 * offset 0 (`createUpload`), so that storing it at close does not read a staged copy back. The
 * VFS moves the file to local staging (reading back what was appended) as soon as its writes stop
 * being in order; it never appends after that.
 */
export interface Upload {
  /** Bytes appended so far. */
  readonly size: number
  /** Takes the next bytes (copied before it returns); resolves when the backend is ready for more. */
  append(bytes: Uint8Array): Promise<void>
  /** Reads back what was appended: as much of `buffer` as there is from `position` (0 at the end). */
  read(buffer: Uint8Array, position: number, opts?: CallOptions): Promise<number>
  /**
   * Stores the bytes appended so far at `path` with `meta`, creating or replacing it as `put`
   * does. The upload stays open: more appends and another commit may follow.
   */
  commit(path: string, meta: PutMeta, opts?: CallOptions): Promise<void>
  /** Drops what the upload holds; nothing is called on it afterwards. */
  abort(): Promise<void>
}

export type XattrFlags = 'create' | 'replace' | undefined

export interface Backend {
  readonly capabilities: Capabilities

  /**
   * True where the store refuses every change even though the mount is writable (/ipfs's
   * read-only /.cid tree): the VFS answers EROFS before it stages anything there.
   */
  readOnlyAt?(path: string): boolean

  /** lstat semantics: a symlink is reported as a symlink. */
  stat(path: string, opts?: CallOptions): Promise<Stat>
  list(path: string, opts?: CallOptions): Promise<DirEntry[]>
  mkdir(path: string, mode: number, opts?: CallOptions): Promise<void>
  rmdir(path: string, opts?: CallOptions): Promise<void>
  unlink(path: string, opts?: CallOptions): Promise<void>
  /** Replaces an existing destination file (or empty directory) as rename(2) does. */
  rename?(from: string, to: string, opts?: CallOptions): Promise<void>
  symlink?(target: string, path: string, opts?: CallOptions): Promise<void>
  readlink?(path: string, opts?: CallOptions): Promise<string>
  link?(existing: string, path: string, opts?: CallOptions): Promise<void>
  chmod?(path: string, mode: number, opts?: CallOptions): Promise<void>
  chown?(path: string, uid: number, gid: number, opts?: CallOptions): Promise<void>
  utimens?(path: string, times: TimeUpdate, opts?: CallOptions): Promise<void>
  getxattr?(path: string, name: string, opts?: CallOptions): Promise<Buffer>
  setxattr?(path: string, name: string, value: Buffer, flags: XattrFlags, opts?: CallOptions): Promise<void>
  listxattr?(path: string, opts?: CallOptions): Promise<string[]>
  removexattr?(path: string, name: string, opts?: CallOptions): Promise<void>
  statfs?(path: string, opts?: CallOptions): Promise<StatFs>

  /** randomWrite backends: open (and with flags.create, create) a file. */
  open?(path: string, flags: OpenFlags, mode: number, opts?: CallOptions): Promise<RandomAccessFile>
  /** randomWrite backends: truncate by path. */
  truncate?(path: string, size: number, opts?: CallOptions): Promise<void>

  /** Every backend: a ranged reader (whole-object backends read through it; others may). */
  openReader?(path: string, opts?: CallOptions): Promise<Reader>
  /** wholeObject backends: store the finished file at `path`, creating or replacing it. */
  put?(path: string, source: PutSource, opts?: CallOptions): Promise<void>
  /** wholeObject backends that can: take a new (or truncated) file's bytes as they are written (Upload). */
  createUpload?(opts?: CallOptions): Upload

  /**
   * A cheap probe of the store (status): resolves when it answers as it should, throws a
   * VfsError with the cause when not. Without it the VFS probes with stat('/').
   */
  health?(opts?: CallOptions): Promise<void>

  /**
   * Drops what the backend itself caches about `path`, below it and its folder (`ipfs-vfs
   * refresh`): a change made behind the mount's back shows at once instead of after the TTL.
   */
  forget?(path: string): void

  close?(): Promise<void>
}

export function entryType(mode: number): EntryType {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return 'file'
    case S_IFDIR:
      return 'dir'
    case S_IFLNK:
      return 'symlink'
    default:
      return 'other'
  }
}

export const isDir = (mode: number): boolean => (mode & S_IFMT) === S_IFDIR
export const isFile = (mode: number): boolean => (mode & S_IFMT) === S_IFREG
export const isSymlink = (mode: number): boolean => (mode & S_IFMT) === S_IFLNK

/** Wall-clock time in nanoseconds (millisecond resolution: what Date gives). */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n
}
