// The ceiling of the FUSE binding: a minimal fuse-native passthrough of a directory, with the
// mount options ipfs-vfs uses (src/fuse/fuse-mount.ts) and as little JS per op as possible
// (node:fs callbacks, fd-based I/O, no path checks, no caches, no deadlines).
//   node bench/passthrough.ts <backing-dir> <mountpoint>
// Prints `mounted <mountpoint>` when ready; on SIGTERM/SIGINT unmounts and exits.
import fs from 'node:fs'
import { Fuse, type FuseInstance, type FuseOps, type FuseTime } from '../src/fuse/binding.ts'
import { utimensat } from '../src/native/posix-time.ts'
import { DEFAULT_FUSE_OPTIONS, mountOptions } from '../src/fuse/fuse-mount.ts'

type Done = (r: number) => void
const err0 = (err: NodeJS.ErrnoException | null): number => (err ? (err.errno ?? -5) : 0)

/** The mount options of ipfs-vfs with its defaults, under another name: the ceiling is measured alike. */
export const MOUNT_OPTIONS = mountOptions(DEFAULT_FUSE_OPTIONS, 'bench-passthrough')

export function passthroughOps(backing: string): Partial<FuseOps> {
  const real = (p: string): string => (p === '/' ? backing : backing + p)
  return {
    getattr(p, cb) {
      fs.lstat(real(p), { bigint: true }, (err, st) => (err ? cb(err0(err)) : cb(0, st as never)))
    },
    fgetattr(_p, fd, cb) {
      fs.fstat(fd, { bigint: true }, (err, st) => (err ? cb(err0(err)) : cb(0, st as never)))
    },
    readdir(p, cb) {
      fs.readdir(real(p), (err, names) => (err ? cb(err0(err)) : cb(0, ['.', '..', ...names])))
    },
    open(p, flags, cb) {
      fs.open(real(p), flags, (err, fd) => cb(err0(err), fd))
    },
    create(p, mode, cb) {
      fs.open(real(p), fs.constants.O_CREAT | fs.constants.O_RDWR, mode, (err, fd) => cb(err0(err), fd))
    },
    read(_p, fd, buf, len, pos, cb) {
      fs.read(fd, buf, 0, len, pos, (err, n) => cb(err ? err0(err) : n))
    },
    write(_p, fd, buf, len, pos, cb) {
      fs.write(fd, buf, 0, len, pos, (err, n) => cb(err ? err0(err) : n))
    },
    fsync(_p, datasync, fd, cb) {
      ;(datasync ? fs.fdatasync : fs.fsync)(fd, (err) => cb(err0(err)))
    },
    release(_p, fd, cb) {
      fs.close(fd, (err) => cb(err0(err)))
    },
    truncate(p, size, cb) {
      fs.truncate(real(p), size, (err) => cb(err0(err)))
    },
    ftruncate(_p, fd, size, cb) {
      fs.ftruncate(fd, size, (err) => cb(err0(err)))
    },
    utimens(p: string, atime: FuseTime, mtime: FuseTime, cb: Done) {
      utimensat(real(p), atime, mtime, { noFollow: true }).then(
        () => cb(0),
        (err: NodeJS.ErrnoException) => cb(err0(err)),
      )
    },
    unlink(p, cb) {
      fs.unlink(real(p), (err) => cb(err0(err)))
    },
    mkdir(p, mode, cb) {
      fs.mkdir(real(p), { mode }, (err) => cb(err0(err)))
    },
    rmdir(p, cb) {
      fs.rmdir(real(p), (err) => cb(err0(err)))
    },
  }
}

if (import.meta.main) {
  const [backing, mnt] = process.argv.slice(2)
  if (!backing || !mnt) {
    console.error('usage: passthrough.ts <backing-dir> <mount-dir>')
    process.exit(2)
  }
  // The kernel has already applied the caller's umask (as ipfs-vfs does).
  process.umask(0)
  const fuse: FuseInstance = new Fuse(mnt, passthroughOps(backing), {
    timeout: { default: 120_000 },
    extraOptions: MOUNT_OPTIONS,
    onExit: () => process.exit(0),
  })
  fuse.mount((err) => {
    if (err) {
      console.error(`mount failed: ${err.message}`)
      process.exit(1)
    }
    process.stdout.write(`mounted ${mnt}\n`)
  })
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    fuse.unmount(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
}
