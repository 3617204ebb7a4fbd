/**
 * A whole-object backend over a real directory, for tests of the VFS staging and of the contract
 * suite. It behaves like an object store: files arrive whole through `put` (copied to a temporary
 * name beside the target, then renamed, so a reader never sees half an object), are read by range
 * through `openReader`, and cannot be opened for writing. rename is copy-then-delete: NOT atomic,
 * as on S3 (a crash between the two leaves both names). Every call is counted, so a test can
 * assert that one close made one put.
 */
import { randomUUID } from 'node:crypto'
import type { BigIntStats, Stats } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { chmod, copyFile, lstat, mkdir, open, readdir, rename, rm, rmdir, statfs, unlink } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { Backend, CallOptions, Capabilities, DirEntry, PutSource, Reader, Stat } from '../../src/vfs/backend.ts'
import { entryType } from '../../src/vfs/backend.ts'
import { toVfsError, VfsError } from '../../src/vfs/errors.ts'
import { utimensat } from '../../src/native/posix-time.ts'

const OPS = ['stat', 'list', 'mkdir', 'rmdir', 'unlink', 'rename', 'chmod', 'utimens', 'statfs', 'openReader', 'read', 'put'] as const
export type CountedOp = (typeof OPS)[number]
export type Counters = Record<CountedOp, number>

export interface DirObjectBackend extends Backend {
  /** Calls made so far, per operation (`read` counts reads on readers). */
  readonly counters: Counters
  resetCounters(): void
}

const CAPABILITIES: Capabilities = Object.freeze({
  writes: 'wholeObject',
  readOnly: false,
  rename: 'copy',
  symlinks: false,
  hardLinks: false,
  chmod: true,
  chown: false,
  utimens: true,
  atime: true,
  xattrs: false,
  xattrsWritable: false,
})

/** Upload temporaries: hidden from listings, as an object store hides incomplete multipart uploads. */
const TMP_PREFIX = '.dirobj-tmp-'

function toStat(s: BigIntStats): Stat {
  return {
    mode: Number(s.mode),
    size: Number(s.size),
    uid: Number(s.uid),
    gid: Number(s.gid),
    nlink: 1,
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  }
}

/** A Node-style error; `call` turns it into a VfsError naming the caller's path. */
function coded(code: string): Error {
  return Object.assign(new Error(code), { code })
}

function missing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT'
}

export function createDirObjectBackend(init: { root: string }): DirObjectBackend {
  const root = resolve(init.root)
  const host = (path: string): string => (path === '/' ? root : join(root, path))
  const counters = Object.fromEntries(OPS.map((op) => [op, 0])) as Counters

  async function call<T>(op: CountedOp, path: string, opts: CallOptions | undefined, fn: () => Promise<T>): Promise<T> {
    counters[op]++
    try {
      if (opts?.signal?.aborted === true) throw Object.assign(new Error('aborted'), { code: 'ABORT_ERR' })
      return await fn()
    } catch (err) {
      throw toVfsError(err, op, path)
    }
  }

  /** Copies one file with its mode and exact mtime to a temporary name in `destDir`, returns that name. */
  async function stageCopy(src: string, destDir: string, mode: number, mtimeNs: bigint): Promise<string> {
    const tmp = join(destDir, `${TMP_PREFIX}${randomUUID()}`)
    try {
      await copyFile(src, tmp)
      await chmod(tmp, mode & 0o7777)
      await utimensat(tmp, 'omit', mtimeNs)
      return tmp
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  }

  async function copyTree(src: string, dest: string): Promise<void> {
    const st = await lstat(src, { bigint: true })
    if (!st.isDirectory()) {
      await rename(await stageCopy(src, dirname(dest), Number(st.mode), st.mtimeNs), dest)
      return
    }
    await mkdir(dest, { mode: Number(st.mode) & 0o7777 })
    for (const name of await readdir(src)) await copyTree(join(src, name), join(dest, name))
    await utimensat(dest, 'omit', st.mtimeNs)
  }

  /** rename(2)'s checks, made up front because the copy cannot undo itself halfway. */
  async function checkRename(from: string, to: string): Promise<boolean> {
    const src = await lstat(host(from))
    if (to === from) return false
    if (to.startsWith(`${from}/`)) throw coded('EINVAL')
    let dst: Stats | undefined
    try {
      dst = await lstat(host(to))
    } catch (err) {
      if (!missing(err)) throw err
    }
    if (dst === undefined) return true
    if (src.isDirectory() && !dst.isDirectory()) throw coded('ENOTDIR')
    if (!src.isDirectory() && dst.isDirectory()) throw coded('EISDIR')
    if (dst.isDirectory()) await rmdir(host(to)) // ENOTEMPTY when it has entries, as rename(2)
    return true
  }

  function reader(fh: FileHandle, path: string): Reader {
    return {
      read: (buffer, position, opts) =>
        call('read', path, opts, async () => {
          let done = 0
          while (done < buffer.byteLength) {
            const { bytesRead } = await fh.read(buffer, done, buffer.byteLength - done, position + done)
            if (bytesRead === 0) break
            done += bytesRead
          }
          return done
        }),
      close: async () => {
        try {
          await fh.close()
        } catch (err) {
          throw toVfsError(err, 'close', path)
        }
      },
    }
  }

  return {
    capabilities: CAPABILITIES,
    counters,
    resetCounters: () => {
      for (const op of OPS) counters[op] = 0
    },

    stat: (path, opts) => call('stat', path, opts, async () => toStat(await lstat(host(path), { bigint: true }))),

    /** Listings carry stats, as object listings carry size and mtime. */
    list: (path, opts) =>
      call('list', path, opts, async () => {
        const names = (await readdir(host(path))).filter((n) => !n.startsWith(TMP_PREFIX))
        const out: DirEntry[] = []
        for (const name of names.sort()) {
          // An entry removed between readdir and lstat (a concurrent unlink) is simply not listed:
          // failing the whole listing would show the kernel an empty folder.
          const st = await lstat(join(host(path), name), { bigint: true }).catch((err: unknown) => {
            if (missing(err)) return undefined
            throw err
          })
          if (st === undefined) continue
          const stat = toStat(st)
          out.push({ name, type: entryType(stat.mode), stat })
        }
        return out
      }),

    mkdir: (path, mode, opts) => call('mkdir', path, opts, () => mkdir(host(path), { mode: mode & 0o7777 })),
    rmdir: (path, opts) => call('rmdir', path, opts, () => rmdir(host(path))),
    unlink: (path, opts) => call('unlink', path, opts, () => unlink(host(path))),

    rename: (from, to, opts) =>
      call('rename', from, opts, async () => {
        if (!(await checkRename(from, to))) return
        await copyTree(host(from), host(to))
        await rm(host(from), { recursive: true })
      }),

    chmod: (path, mode, opts) => call('chmod', path, opts, () => chmod(host(path), mode & 0o7777)),

    utimens: (path, times, opts) =>
      call('utimens', path, opts, () => utimensat(host(path), times.atimeNs ?? 'omit', times.mtimeNs ?? 'omit')),

    statfs: (path, opts) =>
      call('statfs', path, opts, async () => {
        const s = await statfs(host(path))
        const { bsize, blocks, bfree, bavail, files, ffree } = s
        return { bsize, frsize: bsize, blocks, bfree, bavail, files, ffree, favail: ffree, namemax: 255 }
      }),

    openReader: (path, opts) =>
      call('openReader', path, opts, async () => {
        const fh = await open(host(path), 'r')
        if ((await fh.stat()).isDirectory()) {
          await fh.close()
          throw new VfsError('EISDIR', 'openReader', path)
        }
        return reader(fh, path)
      }),

    /** Creates or replaces the object whole; the staged file must hold exactly `source.size` bytes. */
    put: (path, source: PutSource, opts) =>
      call('put', path, opts, async () => {
        const dest = host(path)
        const tmp = await stageCopy(source.localPath, dirname(dest), source.mode, source.mtimeNs)
        try {
          const { size } = await lstat(tmp)
          if (size !== source.size) throw new VfsError('EIO', 'put', path, { message: `EIO: put ${path}: staged ${size} bytes, source says ${source.size}` })
          await rename(tmp, dest)
        } catch (err) {
          await rm(tmp, { force: true })
          throw err
        }
      }),
  }
}
