/**
 * /local: a passthrough of a host directory. Full POSIX within its root (random writes, truncate,
 * atomic rename over an existing entry, symlinks, hard links, chmod/chown, nanosecond utimens,
 * user.* xattrs, statfs, fsync); no path resolves outside the root (see local/confine.ts).
 *
 * Modes given to mkdir/open(O_CREAT) pass through the daemon's umask: the kernel has already
 * applied the caller's umask, so the daemon is expected to run with umask 0.
 */
import { constants, type Dirent } from 'node:fs'
import { access, chmod, lchown, link, lstat, mkdir, readdir, readlink, rename, rmdir, statfs, symlink, unlink } from 'node:fs/promises'
import type { Backend, Capabilities, CallOptions, DirEntry, EntryType } from '../vfs/backend.ts'
import { toVfsError } from '../vfs/errors.ts'
import { utimensat } from '../native/posix-time.ts'
import { errnoError, LocalRoot } from './local/confine.ts'
import { checkSignal, LocalFile, openBits, openFileForRead, openHost, toStat, toStatFs } from './local/file.ts'
import { xattrGet, xattrList, xattrRemove, xattrSet } from './local/xattr.ts'

export interface LocalBackendInit {
  /** The host directory shown at the mount point. It must exist when the first call is made. */
  root: string
}

const CAPABILITIES: Capabilities = Object.freeze({
  writes: 'randomWrite',
  readOnly: false,
  rename: 'atomic',
  symlinks: true,
  hardLinks: true,
  chmod: true,
  chown: true,
  utimens: true,
  atime: true,
  xattrs: true,
  xattrsWritable: true,
})

function typeOf(d: Dirent): EntryType {
  if (d.isFile()) return 'file'
  if (d.isDirectory()) return 'dir'
  if (d.isSymbolicLink()) return 'symlink'
  return 'other'
}

/** The one place where foreign errors become VfsErrors; `path` is the backend path, never the host's. */
async function boundary<T>(op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    checkSignal(opts)
    return await fn()
  } catch (err) {
    throw toVfsError(err, op, path)
  }
}

/** The root itself cannot be removed or moved away: the mount would lose its directory. */
function notRoot(path: string, syscall: string): void {
  if (path === '/') throw errnoError('EBUSY', syscall)
}

export function createLocalBackend(init: LocalBackendInit): Backend {
  const root = new LocalRoot(init.root)
  const noFollow = (path: string): Promise<string> => root.noFollow(path)

  const backend: Backend = {
    capabilities: CAPABILITIES,

    stat: (path, opts) =>
      boundary('stat', path, opts, async () => toStat(await lstat(await noFollow(path), { bigint: true }))),

    /** The root folder is there and this process may read and change it (status). */
    health: (opts) =>
      boundary('health', '/', opts, async () => {
        await access(init.root, constants.R_OK | constants.W_OK | constants.X_OK)
      }),

    list: (path, opts) =>
      boundary('readdir', path, opts, async () => {
        const entries = await readdir(await root.follow(path), { withFileTypes: true })
        return entries.map((d): DirEntry => ({ name: d.name, type: typeOf(d) }))
      }),

    mkdir: (path, mode, opts) =>
      boundary('mkdir', path, opts, async () => {
        await mkdir(await noFollow(path), { mode: mode & 0o7777 })
      }),

    rmdir: (path, opts) =>
      boundary('rmdir', path, opts, async () => {
        notRoot(path, 'rmdir')
        await rmdir(await noFollow(path))
        root.forgetFolders(path)
      }),

    unlink: (path, opts) =>
      boundary('unlink', path, opts, async () => {
        notRoot(path, 'unlink')
        await unlink(await noFollow(path))
        root.forgetFolders(path)
      }),

    /** rename(2): atomic, replaces an existing file or empty directory; a symlink is moved, not followed. */
    rename: (from, to, opts) =>
      boundary('rename', from, opts, async () => {
        notRoot(from, 'rename')
        notRoot(to, 'rename')
        await rename(await noFollow(from), await noFollow(to))
        root.forgetFolders(from)
        root.forgetFolders(to)
      }),

    /** The target is stored verbatim: it is resolved by whoever follows the link, not here. */
    symlink: (target, path, opts) =>
      boundary('symlink', path, opts, async () => {
        await symlink(target, await noFollow(path))
        root.forgetFolders(path)
      }),

    readlink: (path, opts) => boundary('readlink', path, opts, async () => await readlink(await noFollow(path))),

    /** link(2) on Linux does not follow a symlink given as `existing`: the link itself gets a second name. */
    link: (existing, path, opts) =>
      boundary('link', path, opts, async () => {
        await link(await noFollow(existing), await noFollow(path))
      }),

    /**
     * chmod(2) follows symlinks (Linux has no lchmod; a link's own mode is always 0777), so a link
     * in the final component is resolved and confined like open's.
     */
    chmod: (path, mode, opts) =>
      boundary('chmod', path, opts, async () => {
        let host = await noFollow(path)
        if ((await lstat(host)).isSymbolicLink()) host = await root.follow(path)
        await chmod(host, mode & 0o7777)
      }),

    chown: (path, uid, gid, opts) =>
      boundary('chown', path, opts, async () => {
        await lchown(await noFollow(path), uid, gid)
      }),

    /** Nanosecond-exact, on the entry itself; an absent time is UTIME_OMIT (left as it is). */
    utimens: (path, times, opts) =>
      boundary('utimens', path, opts, async () => {
        await utimensat(await noFollow(path), times.atimeNs ?? 'omit', times.mtimeNs ?? 'omit', { noFollow: true })
      }),

    getxattr: (path, name, opts) => boundary('getxattr', path, opts, async () => xattrGet(await noFollow(path), name)),

    setxattr: (path, name, value, flags, opts) =>
      boundary('setxattr', path, opts, async () => xattrSet(await noFollow(path), name, value, flags)),

    listxattr: (path, opts) => boundary('listxattr', path, opts, async () => xattrList(await noFollow(path))),

    removexattr: (path, name, opts) =>
      boundary('removexattr', path, opts, async () => xattrRemove(await noFollow(path), name)),

    statfs: (path, opts) => boundary('statfs', path, opts, async () => toStatFs(await statfs(await root.follow(path)))),

    open: (path, flags, mode, opts) =>
      boundary('open', path, opts, async () => new LocalFile(await openHost(root, path, openBits(flags), mode), path)),

    /** By path, without following a symlink out of the root (truncate(2) would follow it blindly). */
    truncate: (path, size, opts) =>
      boundary('truncate', path, opts, async () => {
        const fh = await openHost(root, path, constants.O_WRONLY)
        try {
          await fh.truncate(size)
        } finally {
          await fh.close()
        }
      }),

    openReader: (path, opts) =>
      boundary('open', path, opts, async () => new LocalFile(await openFileForRead(root, path), path)),
  }
  return backend
}
