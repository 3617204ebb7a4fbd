import { constants as fsConstants } from 'node:fs'
import { constants } from 'node:os'
import { createLogger } from '../log.ts'
import type { StatFs } from '../vfs/backend.ts'
import { VfsError } from '../vfs/errors.ts'
import type { OpOptions, Vfs, VfsStat } from '../vfs/vfs.ts'
import type { FuseInstance, FuseOps, FuseStat } from './binding.ts'
import { toErrno } from './errno.ts'

const log = createLogger('fuse')
const E = constants.errno

export interface OpDeadlines {
  /** Deadline of an ordinary call; the kernel gets ETIMEDOUT after it. */
  opTimeoutMs: number
  /** Deadline of flush, fsync and release, which may upload a whole file. */
  syncTimeoutMs: number
}

/** Codes that are answers, not failures: logged at debug only. */
const EXPECTED = new Set(['ENOENT', 'EEXIST', 'ENOTEMPTY', 'ENODATA', 'EXDEV', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENOTSUP', 'EPERM', 'EACCES', 'EINVAL', 'ERANGE', 'ENAMETOOLONG', 'EBUSY'])

function errnoOf(err: unknown, op: string, path: string): number {
  if (err instanceof VfsError) {
    if (EXPECTED.has(err.code)) log.debug(`${op} ${path}: ${err.code}`)
    else log.warn(`${op} ${path}: ${err.code}`, err.cause ?? err)
    return toErrno(err.code)
  }
  log.error(`${op} ${path}: unexpected failure, answering EIO`, err)
  return -E.EIO
}

const BLKSIZE = 4096

function toFuseStat(s: VfsStat): FuseStat {
  return { mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, nlink: s.nlink, ino: s.ino, blksize: BLKSIZE, blocks: s.blocks ?? Math.ceil(s.size / 512), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs }
}

function toFuseStatfs(s: StatFs): Record<string, number> {
  // The binding carries statfs fields as uint32: scale block counts into range by growing frsize.
  let { frsize, blocks, bfree, bavail } = s
  while (blocks > 0xffffffff) {
    frsize *= 2
    blocks = Math.floor(blocks / 2)
    bfree = Math.floor(bfree / 2)
    bavail = Math.floor(bavail / 2)
  }
  const clamp = (n: number) => Math.min(n, 0xffffffff)
  return { bsize: s.bsize, frsize, blocks, bfree, bavail, files: clamp(s.files), ffree: clamp(s.ffree), favail: clamp(s.favail), fsid: 0, flag: 0, namemax: s.namemax }
}

/**
 * The name to log for an op on a handle: libfuse passes '' (flag_nullpath_ok) once the file has
 * no name left (unlinked or replaced while open, with hard_remove).
 */
const named = (path: string, fd: number): string => path || `(no name, fh ${fd})`

/** setxattr(2) flags. */
const XATTR_CREATE = 1
const XATTR_REPLACE = 2

/** How often late calls are looked for: deadlines are kept to within this. */
const SWEEP_MS = 500

/**
 * The kernel's calls, translated one to one into Vfs calls and errno replies. Each call runs
 * under a deadline shorter than the binding's own timeout, so we answer ETIMEDOUT ourselves.
 * Not handled, and what the kernel does instead: access (default_permissions: the kernel checks
 * modes itself), opendir/releasedir (stateless listings), lock/flock (libfuse 2 without lock
 * handlers: the kernel keeps locks local to this host), fallocate (EOPNOTSUPP: glibc's
 * posix_fallocate writes zeros instead), copy_file_range and rename flags (not in libfuse 2:
 * the kernel answers ENOSYS/EINVAL and tools fall back to read/write and plain rename).
 * mknod answers EPERM: the stores hold files, folders and links, not devices or FIFOs.
 */
export function createFuseOps(vfs: Vfs, fuse: () => FuseInstance | undefined, deadlines: OpDeadlines): FuseOps {
  /**
   * Calls in flight with their deadlines. One coarse sweep answers the late ones, instead of a
   * timer armed and cleared on every read and write (the bench measured that on the hot path).
   */
  const inFlight = new Set<{ deadline: number; expire(): void }>()
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const call of inFlight) if (call.deadline <= now) call.expire()
  }, SWEEP_MS)
  sweep.unref()

  function run<T>(op: string, path: string, timeoutMs: number, work: (o: OpOptions) => Promise<T>, reply: (err: number, value?: T) => void): void {
    const ctx = fuse()?.callerContext()
    const ac = new AbortController()
    const call = {
      deadline: Date.now() + timeoutMs,
      expire() {
        if (!inFlight.delete(call)) return
        log.warn(`${op} ${path || '(no name)'}: no answer after ${timeoutMs} ms, answering ETIMEDOUT`)
        ac.abort(new VfsError('ETIMEDOUT', op, path))
        reply(-E.ETIMEDOUT)
      },
    }
    inFlight.add(call)
    const opts: OpOptions = ctx ? { signal: ac.signal, caller: ctx } : { signal: ac.signal }
    work(opts).then(
      (value) => {
        if (inFlight.delete(call)) reply(0, value)
      },
      (err: unknown) => {
        if (inFlight.delete(call)) reply(errnoOf(err, op, path))
      },
    )
  }
  const { opTimeoutMs: t, syncTimeoutMs: ts } = deadlines
  /** Ops whose reply is just 0 or -errno. */
  const plain = (op: string, path: string, work: (o: OpOptions) => Promise<unknown>, cb: (r: number) => void, timeout = t) => run(op, path, timeout, work, (err) => cb(err))
  /** Ops whose reply is a count (read, write) or -errno. */
  const count = (op: string, path: string, work: (o: OpOptions) => Promise<number>, cb: (r: number) => void, timeout = t) => run(op, path, timeout, work, (err, n) => cb(err < 0 ? err : (n ?? 0)))

  /**
   * fgetattr by the handle. The binding also hands the kernel's handle-less GETATTR (fstat(2))
   * of an open file a handle of that file, which a RELEASE running at the same moment may just
   * have closed (EBADF): then the name answers, if the file still has one.
   */
  const fstat = async (path: string, fd: number, o: OpOptions): Promise<VfsStat> => {
    try {
      return await vfs.fstat(fd, o)
    } catch (err) {
      if (path !== '' && err instanceof VfsError && err.code === 'EBADF') return vfs.stat(path, o)
      throw err
    }
  }

  return {
    getattr: (path, cb) => run('getattr', path, t, (o) => vfs.stat(path, o), (err, s) => (s ? cb(0, toFuseStat(s)) : cb(err))),
    // Every op on a handle (fgetattr, read, write, flush, fsync, release, ftruncate) works by the
    // handle alone: the path is '' once the file has no name, and only ever logged.
    fgetattr: (path, fd, cb) => run('fgetattr', named(path, fd), t, (o) => fstat(path, fd, o), (err, s) => (s ? cb(0, toFuseStat(s)) : cb(err))),
    readdir: (path, cb) => {
      // '' is a folder removed while it was being listed: it has no entries to show.
      if (path === '') return cb(-E.ENOENT)
      run('readdir', path, t, (o) => vfs.readdir(path, o), (err, entries) => {
        // The binding does not add '.' and '..': readdir(3) callers expect them.
        if (entries) cb(0, ['.', '..', ...entries.map((e) => e.name)])
        else cb(err)
      })
    },
    statfs: (path, cb) => run('statfs', path, t, (o) => vfs.statfs(path, o), (err, s) => (s ? cb(0, toFuseStatfs(s)) : cb(err))),
    open: (path, flags, cb) => run('open', path, t, (o) => vfs.open(path, flags, o), (err, fh) => cb(err, fh)),
    // The binding does not pass create's flags; the kernel has already refused O_EXCL on an
    // existing name, and a new file opened read-write serves any access mode.
    create: (path, mode, cb) => run('create', path, t, (o) => vfs.create(path, mode, fsConstants.O_RDWR, o), (err, fh) => cb(err, fh)),
    read: (path, fd, buf, len, pos, cb) => count('read', named(path, fd), (o) => vfs.read(fd, buf.subarray(0, len), pos, o), cb),
    write: (path, fd, buf, len, pos, cb) => count('write', named(path, fd), (o) => vfs.write(fd, buf.subarray(0, len), pos, o), cb),
    flush: (path, fd, cb) => plain('flush', named(path, fd), (o) => vfs.flush(fd, o), cb, ts),
    fsync: (path, datasync, fd, cb) => plain('fsync', named(path, fd), (o) => vfs.fsync(fd, datasync !== 0, o), cb, ts),
    fsyncdir: (_path, _datasync, _fd, cb) => cb(0),
    release: (path, fd, cb) => plain('release', named(path, fd), (o) => vfs.release(fd, o), cb, ts),
    truncate: (path, size, cb) => plain('truncate', path, (o) => vfs.truncate(path, size, o), cb, ts),
    ftruncate: (path, fd, size, cb) => plain('ftruncate', named(path, fd), (o) => vfs.ftruncate(fd, size, o), cb),
    utimens: (path, atime, mtime, cb) => plain('utimens', path, (o) => vfs.utimens(path, atime, mtime, o), cb),
    chmod: (path, mode, cb) => plain('chmod', path, (o) => vfs.chmod(path, mode, o), cb),
    chown: (path, uid, gid, cb) => plain('chown', path, (o) => vfs.chown(path, uid, gid, o), cb),
    mkdir: (path, mode, cb) => plain('mkdir', path, (o) => vfs.mkdir(path, mode, o), cb),
    rmdir: (path, cb) => plain('rmdir', path, (o) => vfs.rmdir(path, o), cb),
    unlink: (path, cb) => plain('unlink', path, (o) => vfs.unlink(path, o), cb),
    rename: (src, dest, cb) => plain('rename', src, (o) => vfs.rename(src, dest, o), cb, ts),
    link: (existing, path, cb) => plain('link', path, (o) => vfs.link(existing, path, o), cb),
    symlink: (target, path, cb) => plain('symlink', path, (o) => vfs.symlink(target, path, o), cb),
    readlink: (path, cb) => run('readlink', path, t, (o) => vfs.readlink(path, o), (err, target) => cb(err, target)),
    mknod: (_path, _mode, _dev, cb) => cb(-E.EPERM),
    // The kernel asks for security.capability before every write(2); no store keeps attributes
    // outside user.*, so those are answered here without a round of the VFS.
    getxattr: (path, name, _position, cb) => (name.startsWith('user.') ? run('getxattr', path, t, (o) => vfs.getxattr(path, name, o), (err, value) => cb(err, value)) : cb(-E.ENODATA)),
    setxattr: (path, name, value, _position, flags, cb) => {
      const mode = flags & XATTR_CREATE ? 'create' : flags & XATTR_REPLACE ? 'replace' : undefined
      // The binding lends us its buffer only for this call: keep a copy.
      const copy = Buffer.from(value)
      plain('setxattr', path, (o) => vfs.setxattr(path, name, copy, mode, o), cb)
    },
    listxattr: (path, cb) => run('listxattr', path, t, (o) => vfs.listxattr(path, o), (err, names) => cb(err, names)),
    removexattr: (path, name, cb) => plain('removexattr', path, (o) => vfs.removexattr(path, name, o), cb),
  }
}
