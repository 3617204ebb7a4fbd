/**
 * A small filesystem interface for the functional suite and the reference model, with two
 * implementations: over an in-process `Vfs`, and over node:fs on a real FUSE mount. Paths are
 * VFS paths ('/local/d/f'); errors carry a POSIX `.code` on both (VfsError or Node's fs error).
 *
 * The Vfs implementation does what the kernel does before it calls the FUSE binding, and no
 * more: it resolves symlinks (the kernel never sends a path through one), computes O_APPEND
 * positions from the size, and splits close(2) into flush and release. Every other check is
 * left to the Vfs, so the functional suite tests the Vfs, not this adapter.
 */
import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { appendFile, chmod, link, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, rmdir, stat, symlink, truncate, unlink, writeFile } from 'node:fs/promises'
import { mkdtemp, rm as rmHost } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { BigIntStats } from 'node:fs'
import { DEFAULT_FUSE_OPTIONS } from '../../src/fuse/fuse-mount.ts'
import { createIpfsBackend, openHeliaEngine } from '../../src/mounts/ipfs/index.ts'
import { createLocalBackend } from '../../src/mounts/local.ts'
import { utimensat } from '../../src/native/posix-time.ts'
import { isDir, isSymlink } from '../../src/vfs/backend.ts'
import { VfsError } from '../../src/vfs/errors.ts'
import { Vfs, type VfsStat } from '../../src/vfs/vfs.ts'
import { createClusterBackend } from '../../src/mounts/cluster/backend.ts'
import { ClusterRest } from '../../src/mounts/cluster/rest.ts'
import { createClusterDouble } from './cluster-double.ts'
import { createDirObjectBackend } from './dir-object-backend.ts'
import { startMount, type TestMount } from './mount.ts'

export interface FsStat {
  mode: number
  size: number
  nlink: number
  ino: number
  uid: number
  gid: number
  atimeNs: bigint
  mtimeNs: bigint
}

export interface FsHandle {
  /** pwrite(2); with O_APPEND the position is ignored and the bytes go to the end. */
  write(data: Uint8Array | string, position: number): Promise<number>
  /** pread(2) of up to `length` bytes: fewer at end of file. */
  read(length: number, position: number): Promise<Buffer>
  truncate(size: number): Promise<void>
  sync(): Promise<void>
  stat(): Promise<FsStat>
  close(): Promise<void>
}

/** open(2) flags as Node's strings ('r', 'r+', 'w', 'wx', 'a', ...) or numbers. */
export type OpenFlags = string | number

export interface FsLike {
  /** 'vfs' or 'mount': which side of the kernel the calls are made on. */
  readonly kind: 'vfs' | 'mount'
  writeFile(path: string, data: Uint8Array | string): Promise<void>
  readFile(path: string): Promise<Buffer>
  appendFile(path: string, data: Uint8Array | string): Promise<void>
  mkdir(path: string, mode?: number): Promise<void>
  rmdir(path: string): Promise<void>
  /** rm -r of a tree (or a file); no error when it is missing. */
  rm(path: string): Promise<void>
  unlink(path: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  stat(path: string): Promise<FsStat>
  lstat(path: string): Promise<FsStat>
  /** Names only, sorted, without '.' and '..'. */
  readdir(path: string): Promise<string[]>
  symlink(target: string, path: string): Promise<void>
  readlink(path: string): Promise<string>
  link(existing: string, path: string): Promise<void>
  chmod(path: string, mode: number): Promise<void>
  truncate(path: string, size: number): Promise<void>
  /** Exact nanosecond times (utimensat(2)); follows a symlink as utimes(2) does. */
  utimes(path: string, atimeNs: bigint, mtimeNs: bigint): Promise<void>
  open(path: string, flags: OpenFlags, mode?: number): Promise<FsHandle>
  /** Releases everything the target holds (the mount, the scratch folders). */
  close(): Promise<void>
}

const execFileP = promisify(execFile)

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND } = constants

const FLAG_STRINGS: Record<string, number> = {
  r: O_RDONLY,
  'r+': O_RDWR,
  w: O_WRONLY | O_CREAT | O_TRUNC,
  'w+': O_RDWR | O_CREAT | O_TRUNC,
  wx: O_WRONLY | O_CREAT | O_TRUNC | O_EXCL,
  'wx+': O_RDWR | O_CREAT | O_TRUNC | O_EXCL,
  a: O_WRONLY | O_CREAT | O_APPEND,
  'a+': O_RDWR | O_CREAT | O_APPEND,
}

export function openBits(flags: OpenFlags): number {
  if (typeof flags === 'number') return flags
  const bits = FLAG_STRINGS[flags]
  if (bits === undefined) throw new TypeError(`unknown open flags ${flags}`)
  return bits
}

const bytes = (data: Uint8Array | string): Buffer => (typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength))

// --- over node:fs on a mount -------------------------------------------------------------------

function fromNode(s: BigIntStats): FsStat {
  return { mode: Number(s.mode), size: Number(s.size), nlink: Number(s.nlink), ino: Number(s.ino), uid: Number(s.uid), gid: Number(s.gid), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs }
}

/** node:fs/promises on `mountpoint`, VFS paths prefixed with it. `close` does not unmount. */
export function nodeFs(mountpoint: string): FsLike {
  const host = (p: string): string => (p === '/' ? mountpoint : mountpoint + p)
  return {
    kind: 'mount',
    writeFile: (p, data) => writeFile(host(p), bytes(data)),
    readFile: (p) => readFile(host(p)),
    appendFile: (p, data) => appendFile(host(p), bytes(data)),
    mkdir: async (p, mode = 0o755) => {
      await mkdir(host(p), { mode })
    },
    rmdir: (p) => rmdir(host(p)),
    rm: (p) => rm(host(p), { recursive: true, force: true }),
    unlink: (p) => unlink(host(p)),
    rename: (a, b) => rename(host(a), host(b)),
    stat: async (p) => fromNode(await stat(host(p), { bigint: true })),
    lstat: async (p) => fromNode(await lstat(host(p), { bigint: true })),
    readdir: async (p) => (await readdir(host(p))).sort(),
    symlink: (target, p) => symlink(target, host(p)),
    readlink: (p) => readlink(host(p)),
    link: (a, b) => link(host(a), host(b)),
    chmod: (p, mode) => chmod(host(p), mode),
    truncate: (p, size) => truncate(host(p), size),
    utimes: (p, a, m) => utimensat(host(p), a, m),
    open: async (p, flags, mode = 0o644) => {
      const fh = await open(host(p), openBits(flags), mode)
      return {
        write: async (data, position) => (await fh.write(bytes(data), 0, bytes(data).length, position)).bytesWritten,
        read: async (length, position) => {
          const buf = Buffer.alloc(length)
          let done = 0
          while (done < length) {
            const { bytesRead } = await fh.read(buf, done, length - done, position + done)
            if (bytesRead === 0) break
            done += bytesRead
          }
          return buf.subarray(0, done)
        },
        truncate: (size) => fh.truncate(size),
        sync: () => fh.sync(),
        stat: async () => fromNode(await fh.stat({ bigint: true })),
        close: () => fh.close(),
      }
    },
    close: async () => {},
  }
}

// --- over an in-process Vfs ----------------------------------------------------------------------

const MAXSYMLINKS = 40

function toFs(s: VfsStat): FsStat {
  return { mode: s.mode, size: s.size, nlink: s.nlink, ino: s.ino, uid: s.uid, gid: s.gid, atimeNs: s.atimeNs, mtimeNs: s.mtimeNs }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/')
  return i <= 0 ? '/' : p.slice(0, i)
}

/** Lexical join of a link's directory and a relative target, or the target when absolute. */
function joinTarget(dir: string, target: string): string {
  const parts = target.startsWith('/') ? [] : dir.split('/').filter(Boolean)
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') parts.pop()
    else parts.push(part)
  }
  return `/${parts.join('/')}`
}

export function vfsFs(vfs: Vfs): FsLike {
  /**
   * The kernel's path walk: every symlink in a folder position is replaced by its target, the
   * last component only with `followLast`; a missing folder is ENOENT and a file in a folder's
   * place ENOTDIR, before the Vfs is called. What happens to the last component is the Vfs's.
   */
  async function resolve(path: string, followLast: boolean): Promise<string> {
    let todo = path.split('/').filter(Boolean)
    let cur = '/'
    let links = 0
    while (todo.length > 0) {
      const [name, ...rest] = todo as [string, ...string[]]
      const next = cur === '/' ? `/${name}` : `${cur}/${name}`
      if (rest.length === 0 && !followLast) return next
      let st: VfsStat
      try {
        st = await vfs.stat(next)
      } catch (err) {
        if (rest.length === 0 && err instanceof VfsError && err.code === 'ENOENT') return next
        throw err
      }
      if (rest.length > 0 && !isDir(st.mode) && !isSymlink(st.mode)) throw new VfsError('ENOTDIR', 'resolve', path)
      if (isSymlink(st.mode)) {
        if (++links > MAXSYMLINKS) throw new VfsError('ELOOP', 'resolve', path)
        const target = await vfs.readlink(next)
        todo = [...joinTarget(cur, target).split('/').filter(Boolean), ...rest]
        cur = '/'
        continue
      }
      cur = next
      todo = rest
    }
    return cur
  }
  const dirOf = async (p: string): Promise<string> => {
    const parent = await resolve(parentOf(p), true)
    if (parent !== '/' && !isDir((await vfs.stat(parent)).mode)) throw new VfsError('ENOTDIR', 'resolve', p)
    const name = p.slice(p.lastIndexOf('/') + 1)
    return parent === '/' ? `/${name}` : `${parent}/${name}`
  }

  async function openFile(path: string, flags: OpenFlags, mode = 0o644): Promise<FsHandle> {
    const bits = openBits(flags)
    const target = await resolve(path, (bits & O_EXCL) === 0)
    const fh = bits & O_CREAT ? await vfs.create(target, mode, bits) : await vfs.open(target, bits)
    const append = (bits & O_APPEND) !== 0
    let closed = false
    return {
      write: async (data, position) => {
        // The kernel puts an O_APPEND write at the size it knows: the file's size now.
        const at = append ? (await vfs.fstat(fh)).size : position
        return vfs.write(fh, bytes(data), at)
      },
      read: async (length, position) => {
        const buf = Buffer.alloc(length)
        let done = 0
        while (done < length) {
          const n = await vfs.read(fh, buf.subarray(done), position + done)
          if (n === 0) break
          done += n
        }
        return buf.subarray(0, done)
      },
      truncate: (size) => vfs.ftruncate(fh, size),
      sync: () => vfs.fsync(fh, false),
      stat: async () => toFs(await vfs.fstat(fh)),
      // close(2): flush reports the upload's error; release always follows.
      close: async () => {
        if (closed) return
        closed = true
        try {
          await vfs.flush(fh)
        } finally {
          await vfs.release(fh)
        }
      },
    }
  }

  async function whole(path: string, flags: OpenFlags, data: Uint8Array | string): Promise<void> {
    const h = await openFile(path, flags)
    try {
      await h.write(data, 0)
    } catch (err) {
      await h.close().catch(() => {})
      throw err
    }
    await h.close()
  }

  async function rmTree(path: string): Promise<void> {
    let st: VfsStat
    try {
      st = await vfs.stat(path)
    } catch (err) {
      if (err instanceof VfsError && err.code === 'ENOENT') return
      throw err
    }
    if (!isDir(st.mode)) return vfs.unlink(path)
    for (const e of await vfs.readdir(path)) await rmTree(`${path}/${e.name}`)
    await vfs.rmdir(path)
  }

  return {
    kind: 'vfs',
    writeFile: (p, data) => whole(p, 'w', data),
    readFile: async (p) => {
      const h = await openFile(p, 'r')
      try {
        const chunks: Buffer[] = []
        for (let pos = 0; ; ) {
          const chunk = await h.read(1 << 16, pos)
          if (chunk.length === 0) break
          chunks.push(chunk)
          pos += chunk.length
        }
        return Buffer.concat(chunks)
      } finally {
        await h.close()
      }
    },
    appendFile: (p, data) => whole(p, 'a', data),
    mkdir: async (p, mode = 0o755) => vfs.mkdir(await dirOf(p), mode),
    rmdir: async (p) => vfs.rmdir(await dirOf(p)),
    rm: rmTree,
    unlink: async (p) => vfs.unlink(await dirOf(p)),
    rename: async (a, b) => vfs.rename(await dirOf(a), await dirOf(b)),
    stat: async (p) => toFs(await vfs.stat(await resolve(p, true))),
    lstat: async (p) => toFs(await vfs.stat(await dirOf(p))),
    readdir: async (p) => (await vfs.readdir(await resolve(p, true))).map((e) => e.name).sort(),
    symlink: async (target, p) => vfs.symlink(target, await dirOf(p)),
    readlink: async (p) => vfs.readlink(await dirOf(p)),
    // The kernel looks the existing name up whole (ENOENT) before it walks to the new one.
    link: async (a, b) => {
      const from = await dirOf(a)
      await vfs.stat(from)
      await vfs.link(from, await dirOf(b))
    },
    chmod: async (p, mode) => vfs.chmod(await resolve(p, true), mode),
    truncate: async (p, size) => vfs.truncate(await resolve(p, true), size),
    utimes: async (p, a, m) => vfs.utimens(await resolve(p, true), a, m),
    open: openFile,
    close: () => vfs.close(),
  }
}

// --- ready-made targets --------------------------------------------------------------------------

export interface Target {
  fs: FsLike
  /** Host directories behind /local and /obj (for checks of what reached the store). */
  localRoot: string
  objectRoot: string
  /** The Vfs itself, for in-process targets (calls FsLike does not make). */
  vfs?: Vfs
  /** The /ipfs tree's current root CID (its `user.ipfs.cid`): what its store holds is at /ipfs/.cid/<root>. */
  ipfsRoot(): Promise<string>
  /** Any entry's `user.ipfs.cid` (/cluster's folders: their pinned root, readable at /ipfs/.cid/<cid>). */
  cidOf(path: string): Promise<string>
  /** What the store behind `mount` holds in `folder`, when the target reads it its own way (/s3: through the SDK). */
  store?(mount: string, folder: string): TargetStore | undefined
  close(): Promise<void>
}

/** A store's view of one folder (test/functional/helpers.ts `Store`). */
export interface TargetStore {
  readdir(): Promise<string[]>
  lstat(name: string): Promise<{ size: number; mode: number; mtimeNs: bigint }>
  hiddenBits: number
}

/** The test daemon's mounts in this process: /local (passthrough), /obj (whole-object) and /ipfs (embedded Helia). */
export async function vfsTarget(): Promise<Target> {
  const dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-fs-'))
  const localRoot = join(dir, 'local')
  const objectRoot = join(dir, 'obj')
  await Promise.all([mkdir(localRoot), mkdir(objectRoot)])
  const vfs = new Vfs({ stagingDir: join(dir, 'staging') })
  vfs.addMount('/local', createLocalBackend({ root: localRoot }))
  vfs.addMount('/obj', createDirObjectBackend({ root: objectRoot }), { cacheTtlMs: 1000 })
  // /ipfs as the test daemon (and the CLI's default) has it: embedded Helia, offline, mtimes kept.
  const engine = await openHeliaEngine({ dir: join(dir, 'helia') })
  vfs.addMount('/ipfs', await createIpfsBackend({ helia: engine.helia }, { rootKey: '/ipfs-vfs/root', offline: true, preserveMtime: true }))
  // /cluster as the test daemon has it: the cluster REST contract double, content in the same Helia.
  const double = await createClusterDouble({ peers: 1, stepMs: 1 })
  vfs.addMount('/cluster', createClusterBackend({ blockstore: engine.helia.blockstore, api: new ClusterRest(double.url) }, { prefix: '', replicationMin: -1, replicationMax: -1, listTtlMs: 1000 }))
  const fs = vfsFs(vfs)
  return {
    fs,
    localRoot,
    objectRoot,
    vfs,
    ipfsRoot: async () => (await vfs.getxattr('/ipfs', 'user.ipfs.cid')).toString(),
    cidOf: async (path) => (await vfs.getxattr(path, 'user.ipfs.cid')).toString(),
    close: async () => {
      await fs.close()
      await double.close()
      await engine.close()
      await rmHost(dir, { recursive: true, force: true })
    },
  }
}

/** How long the kernel may keep attributes through mountTarget() (the test daemon mounts with DEFAULT_FUSE_OPTIONS), plus a margin. */
export const ATTR_TIMEOUT_MS = DEFAULT_FUSE_OPTIONS.attrTimeout * 1000 + 300

/**
 * Waits until attributes the kernel cached through mountTarget() have expired: what a user of a
 * hard-linked /local file waits for before the other name shows a change (docs/SEMANTICS.md).
 */
export const attrTimeoutPassed = (): Promise<void> => new Promise((r) => setTimeout(r, ATTR_TIMEOUT_MS))

/** The same two mounts through the kernel: the test daemon in a child process. */
/** `storacha`: the test daemon mounts /storacha too (an upload-api stand-in per daemon: about 300 MB, so only on request). */
export async function mountTarget(opts: { storacha?: boolean; env?: Record<string, string> } = {}): Promise<Target & { mount: TestMount }> {
  const mount = await startMount({ entry: 'test', env: { ...(opts.storacha === true ? { IPFS_VFS_TEST_STORACHA: '1' } : {}), ...opts.env } })
  const cidOf = async (path: string): Promise<string> => {
    const { stdout } = await execFileP('getfattr', ['--only-values', '-n', 'user.ipfs.cid', join(mount.mountpoint, path)])
    return stdout.trim()
  }
  return { fs: nodeFs(mount.mountpoint), localRoot: mount.localRoot, objectRoot: mount.objectRoot, mount, ipfsRoot: () => cidOf('/ipfs'), cidOf, close: async () => void (await mount.stop()) }
}
