/**
 * /s3: a bucket (and optional key prefix) as a folder, over @aws-sdk/client-s3. Folders are key
 * prefixes listed with ListObjectsV2 and a '/' delimiter, page by page; an empty folder is a
 * `dir/` marker object. Files are read by ranged GETs (reader.ts) and written whole: the VFS
 * stages them and calls `put` on flush/fsync/release (upload.ts). Attributes live in object
 * metadata under s3fs's names (meta.ts). rename is copy then delete, file by file: not atomic.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { Backend, CallOptions, Capabilities, DirEntry, PutSource, Reader, Stat, TimeUpdate } from '../../vfs/backend.ts'
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, isSymlink, nowNs } from '../../vfs/backend.ts'
import { type Head, type Probe, ProbeCache } from './cache.ts'
import { boundary, errno } from './errors.ts'
import { KeySpace } from './keys.ts'
import { type Attrs, implicitDirStat, type Owner, statOf, toMetadata } from './meta.ts'
import { createRequests, type S3Counters } from './requests.ts'
import { type S3BackendInit, S3BackendInitSchema, type S3BackendOptions } from './options.ts'
import { ObjectReader } from './reader.ts'
import { uploadFile } from './upload.ts'

export type { S3Counters } from './requests.ts'

export interface S3BackendComponents {
  s3: Pick<S3Client, 'send'>
}

export interface S3Backend extends Backend {
  readonly options: S3BackendOptions
  readonly counters: S3Counters
}

const CAPABILITIES: Capabilities = Object.freeze({
  writes: 'wholeObject',
  readOnly: false,
  rename: 'copy',
  symlinks: true,
  hardLinks: false,
  chmod: true,
  chown: true,
  utimens: true,
  atime: false,
  xattrs: false,
  xattrsWritable: false,
})

/** What s3fs gives folder markers; other tools look for it too. */
const DIR_CONTENT_TYPE = 'application/x-directory'
const FILE_CONTENT_TYPE = 'application/octet-stream'
/** Longest symlink target (PATH_MAX): a larger object cannot be a symlink, so a listing need not head it. */
const PATH_MAX = 4096
/** Heads in flight while a listing tells symlinks from files. */
const LIST_HEADS = 16

const parentOf = (path: string): string => {
  const i = path.lastIndexOf('/')
  return i <= 0 ? '/' : path.slice(0, i)
}

export function createS3Backend(components: S3BackendComponents, init: S3BackendInit): S3Backend {
  const o: S3BackendOptions = Object.freeze(S3BackendInitSchema.parse(init))
  const { s3, counters, heads, head, changed, listPage, allKeys, putSmall, deleteKey, copy, deleteMany, quick } = createRequests(components.s3, o)
  const Bucket = o.bucket
  const keys = new KeySpace(o.prefix)
  const owner: Owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
  const startedNs = nowNs()

  const probes = new ProbeCache(o.cacheTtlMs)

  /** What lives at `path`: a file object, a folder (with its marker's head, if any), or nothing. */
  async function probe(path: string, opts?: CallOptions): Promise<Probe> {
    if (path === '/') return { kind: 'dir', marker: undefined }
    const cached = probes.get(path)
    if (cached !== 'miss') return cached
    const p = await probeStore(path, opts)
    probes.set(path, p)
    return p
  }

  /** A file is one HEAD; a folder is a LIST of one key under it, and its marker's HEAD when it has one. */
  async function probeStore(path: string, opts?: CallOptions): Promise<Probe> {
    const file = await head(keys.file(path), opts)
    if (file) return { kind: 'file', head: file }
    const dirKey = keys.dir(path)
    const page = await listPage(dirKey, opts, { MaxKeys: 1 })
    const first = page.Contents?.[0]?.Key
    if (first === undefined && !page.CommonPrefixes?.length) return undefined
    return { kind: 'dir', marker: first === dirKey ? await head(dirKey, opts) : undefined }
  }

  function statOfProbe(p: NonNullable<Probe>): Stat {
    if (p.kind === 'file') return statOf(p.head, 'file', owner)
    return p.marker ? statOf(p.marker, 'dir', owner) : implicitDirStat(owner, startedNs)
  }

  async function mustStat(path: string, opts?: CallOptions): Promise<Stat> {
    const p = await probe(path, opts)
    if (!p) throw errno('ENOENT')
    return statOfProbe(p)
  }

  /** A new entry's folder must exist and be a folder. */
  async function checkParent(path: string, opts?: CallOptions): Promise<void> {
    const parent = parentOf(path)
    if (parent === '/') return
    const p = await probe(parent, opts)
    if (!p) throw errno('ENOENT')
    if (p.kind !== 'dir') throw errno('ENOTDIR')
  }

  /** Runs a change of the store; what it touches is forgotten before (a stale answer must not decide it) and after (a probe that overlapped must not stay). */
  async function changing<T>(paths: string[], trees: string[], fn: () => Promise<T>): Promise<T> {
    const forget = () => {
      probes.forget(...paths)
      for (const t of trees) probes.forgetTree(t)
    }
    forget()
    try {
      return await fn()
    } finally {
      forget()
    }
  }

  /**
   * S3 has no empty folders: when the last entry of a folder that has no marker goes, the folder
   * would vanish with it. POSIX keeps it, so it gets a marker first.
   */
  async function keepFolder(path: string, opts?: CallOptions): Promise<void> {
    const parent = parentOf(path)
    if (parent === '/') return
    const p = await probe(parent, opts)
    if (p?.kind === 'dir' && p.marker) return
    const dirKey = keys.dir(parent)
    if (await head(dirKey, opts)) return
    probes.forget(parent)
    await putSmall(dirKey, '', DIR_CONTENT_TYPE, { mode: S_IFDIR | 0o755, uid: owner.uid, gid: owner.gid, mtimeNs: nowNs() }, opts)
  }

  /** Rewrites the attributes of the object (or folder marker) at `path`. */
  async function setAttrs(path: string, change: (a: Attrs) => Attrs, opts?: CallOptions): Promise<void> {
    if (path === '/') throw errno('EPERM', 'the root of an /s3 mount has no object to hold attributes')
    const p = await probe(path, opts)
    if (!p) throw errno('ENOENT')
    const current = statOfProbe(p)
    const next = change({ mode: current.mode, uid: current.uid, gid: current.gid, mtimeNs: current.mtimeNs })
    await changing([path], [], async () => {
      if (p.kind === 'dir' && !p.marker) {
        await putSmall(keys.dir(path), '', DIR_CONTENT_TYPE, { ...next, mode: S_IFDIR | (next.mode & 0o7777) }, opts)
        return
      }
      const h = p.kind === 'file' ? p.head : (p.marker as Head)
      const key = p.kind === 'file' ? keys.file(path) : keys.dir(path)
      // Other tools' metadata (s3fs's atime, ctime, xattr) is kept; ours replaces its own keys.
      await copy(key, key, h.size, opts, { metadata: { ...h.metadata, ...toMetadata(next) }, contentType: h.contentType })
    })
  }

  /** A folder rename: every key below it copied (in parallel, bounded), then all deleted. */
  async function renameDir(from: string, to: string, opts?: CallOptions): Promise<void> {
    const src = keys.dir(from)
    const dst = keys.dir(to)
    const found: { key: string; size: number }[] = []
    for await (const k of allKeys(src, opts)) found.push(k)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < found.length) {
        const k = found[next++] as { key: string; size: number }
        await copy(k.key, dst + k.key.slice(src.length), k.size, opts)
      }
    }
    await Promise.all(Array.from({ length: Math.min(o.uploadConcurrency * 2, found.length) }, worker))
    if (!found.some((k) => k.key === src)) {
      // An implicit folder: the new name needs its own marker if nothing else shows it.
      if (found.length === 0) await putSmall(dst, '', DIR_CONTENT_TYPE, { mode: S_IFDIR | 0o755, uid: owner.uid, gid: owner.gid, mtimeNs: nowNs() }, opts)
    }
    await deleteMany(found.map((k) => k.key), opts)
  }

  /** Objects small enough to be symlinks: their type (and stat) from a head, reused while unchanged. */
  async function typeSmall(small: { entry: DirEntry; key: string; etag: string | undefined; lastModified: Date | undefined }[], opts?: CallOptions): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < small.length) {
        const s = small[next++] as (typeof small)[number]
        const known = heads.get(s.key)
        const fresh = known && known.etag === s.etag && known.lastModified?.getTime() === s.lastModified?.getTime()
        const h = fresh ? known : await head(s.key, opts)
        if (!h) continue
        const stat = statOf(h, 'file', owner)
        s.entry.type = isSymlink(stat.mode) ? 'symlink' : 'file'
        s.entry.stat = stat
        probes.set(keys.path(s.key), { kind: 'file', head: h })
      }
    }
    await Promise.all(Array.from({ length: Math.min(LIST_HEADS, small.length) }, worker))
  }

  const backend: S3Backend = {
    capabilities: CAPABILITIES,
    options: o,
    counters,

    forget: (path) => {
      probes.forgetTree(path)
      probes.forget(parentOf(path))
      if (path === '/') heads.clear()
    },

    stat: (path, opts) => boundary('stat', path, opts, () => mustStat(path, opts)),

    /** The bucket answers a one-key listing of the mount's prefix (status): no cache in between. */
    health: (opts) =>
      boundary('health', '/', opts, async () => {
        await listPage(keys.dir('/'), opts, { MaxKeys: 1 })
      }),

    list: (path, opts) =>
      boundary('list', path, opts, async () => {
        const prefix = keys.dir(path)
        const seen = new Map<string, DirEntry>()
        const small: { entry: DirEntry; key: string; etag: string | undefined; lastModified: Date | undefined }[] = []
        let marker = false
        let token: string | undefined
        do {
          const page = await listPage(prefix, opts, { Delimiter: '/', ContinuationToken: token, MaxKeys: o.listPageSize })
          for (const c of page.Contents ?? []) {
            if (c.Key === prefix) {
              marker = true
              continue
            }
            const name = (c.Key ?? '').slice(prefix.length)
            if (!validName(name)) continue
            const entry: DirEntry = { name, type: 'file' }
            seen.set(name, entry)
            if ((c.Size ?? 0) <= PATH_MAX && c.Key) small.push({ entry, key: c.Key, etag: c.ETag, lastModified: c.LastModified })
          }
          for (const cp of page.CommonPrefixes ?? []) {
            const name = (cp.Prefix ?? '').slice(prefix.length, -1)
            // A file and a folder of one name: the file is what stat shows (s3fs does the same).
            if (validName(name) && !seen.has(name)) seen.set(name, { name, type: 'dir' })
          }
          token = page.IsTruncated ? page.NextContinuationToken : undefined
        } while (token)
        if (seen.size === 0 && !marker && path !== '/') {
          if (await head(keys.file(path), opts)) throw errno('ENOTDIR')
          throw errno('ENOENT')
        }
        await typeSmall(small, opts)
        return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      }),

    mkdir: (path, mode, opts) =>
      boundary('mkdir', path, opts, async () => {
        if (path === '/' || (await probe(path, opts))) throw errno('EEXIST')
        await checkParent(path, opts)
        const attrs: Attrs = { mode: S_IFDIR | (mode & 0o7777), uid: owner.uid, gid: owner.gid, mtimeNs: nowNs() }
        await changing([path], [], () => putSmall(keys.dir(path), '', DIR_CONTENT_TYPE, attrs, opts))
        probes.set(path, { kind: 'dir', marker: { metadata: toMetadata(attrs), size: 0, lastModified: new Date(), etag: undefined, contentType: DIR_CONTENT_TYPE } })
      }),

    rmdir: (path, opts) =>
      boundary('rmdir', path, opts, async () => {
        if (path === '/') throw errno('EBUSY')
        const p = await probe(path, opts)
        if (!p) throw errno('ENOENT')
        if (p.kind !== 'dir') throw errno('ENOTDIR')
        const dirKey = keys.dir(path)
        const page = await listPage(dirKey, opts, { MaxKeys: 2 })
        if ((page.Contents ?? []).some((c) => c.Key !== dirKey) || page.CommonPrefixes?.length) throw errno('ENOTEMPTY')
        await keepFolder(path, opts)
        await changing([path], [path], () => deleteKey(dirKey, opts))
      }),

    unlink: (path, opts) =>
      boundary('unlink', path, opts, async () => {
        const p = await probe(path, opts)
        if (!p) throw errno('ENOENT')
        if (p.kind === 'dir') throw errno('EISDIR')
        await keepFolder(path, opts)
        await changing([path], [], () => deleteKey(keys.file(path), opts))
      }),

    rename: (from, to, opts) =>
      boundary('rename', from, opts, async () => {
        const src = await probe(from, opts)
        if (!src) throw errno('ENOENT')
        if (to === from) return
        if (to.startsWith(`${from}/`)) throw errno('EINVAL')
        await checkParent(to, opts)
        const dst = await probe(to, opts)
        if (dst && src.kind === 'dir' && dst.kind !== 'dir') throw errno('ENOTDIR')
        if (dst && src.kind !== 'dir' && dst.kind === 'dir') throw errno('EISDIR')
        if (dst?.kind === 'dir') {
          const dstKey = keys.dir(to)
          const page = await listPage(dstKey, opts, { MaxKeys: 2 })
          if ((page.Contents ?? []).some((c) => c.Key !== dstKey) || page.CommonPrefixes?.length) throw errno('ENOTEMPTY')
        }
        await keepFolder(from, opts)
        if (src.kind === 'file') {
          await changing([from, to], [], async () => {
            await copy(keys.file(from), keys.file(to), src.head.size, opts)
            await deleteKey(keys.file(from), opts)
          })
        } else {
          await changing([], [from, to], () => renameDir(from, to, opts))
        }
      }),

    symlink: (target, path, opts) =>
      boundary('symlink', path, opts, async () => {
        if (await probe(path, opts)) throw errno('EEXIST')
        await checkParent(path, opts)
        await changing([path], [], () => putSmall(keys.file(path), target, FILE_CONTENT_TYPE, { mode: S_IFLNK | 0o777, uid: owner.uid, gid: owner.gid, mtimeNs: nowNs() }, opts))
      }),

    readlink: (path, opts) =>
      boundary('readlink', path, opts, async () => {
        const st = await mustStat(path, opts)
        if (!isSymlink(st.mode)) throw errno('EINVAL')
        counters.get++
        const out = await s3.send(new GetObjectCommand({ Bucket, Key: keys.file(path) }), quick(opts))
        return (await out.Body?.transformToString('utf8')) ?? ''
      }),

    chmod: (path, mode, opts) => boundary('chmod', path, opts, () => setAttrs(path, (a) => ({ ...a, mode: (a.mode & S_IFMT) | (mode & 0o7777) }), opts)),
    chown: (path, uid, gid, opts) => boundary('chown', path, opts, () => setAttrs(path, (a) => ({ ...a, uid, gid }), opts)),
    utimens: (path, times: TimeUpdate, opts) =>
      boundary('utimens', path, opts, async () => {
        // Object metadata keeps no atime apart from mtime (capabilities.atime is false).
        if (times.mtimeNs === undefined) return
        const mtimeNs = times.mtimeNs
        await setAttrs(path, (a) => ({ ...a, mtimeNs }), opts)
      }),

    openReader: (path, opts) =>
      boundary('openReader', path, opts, async (): Promise<Reader> => {
        const p = await probe(path, opts)
        if (!p) throw errno('ENOENT')
        if (p.kind === 'dir') throw errno('EISDIR')
        const h = p.head
        const key = keys.file(path)
        const etag = h.etag
        const reader = new ObjectReader(
          h.size,
          (start, end, ro) =>
            boundary('read', path, ro, async () => {
              counters.get++
              // If-Match: a change behind our back mid-read fails the read instead of mixing versions.
              const out = await s3.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=${start}-${end - 1}`, ...(etag ? { IfMatch: etag } : {}) }), { abortSignal: ro?.signal })
              const bytes = await out.Body?.transformToByteArray()
              counters.bytesRead += bytes?.byteLength ?? 0
              return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0)
            }),
          o,
        )
        return reader
      }),

    put: (path, source: PutSource, opts) =>
      boundary('put', path, opts, async () => {
        const attrs: Attrs = { mode: S_IFREG | (source.mode & 0o7777), uid: source.uid, gid: source.gid, mtimeNs: source.mtimeNs }
        await checkParent(path, opts)
        // A folder of that name: S3 would take the object beside it, a filesystem cannot.
        if ((await probe(path, opts))?.kind === 'dir') throw errno('EISDIR')
        changed(keys.file(path))
        const report = await changing([path], [], () => uploadFile({ s3, bucket: Bucket, key: keys.file(path), metadata: toMetadata(attrs), contentType: FILE_CONTENT_TYPE }, source.localPath, source.size, o, opts))
        // What we just stored is what a HEAD would say (but for the ETag): no need to ask.
        probes.set(path, { kind: 'file', head: { metadata: toMetadata(attrs), size: source.size, lastModified: new Date(), etag: undefined, contentType: FILE_CONTENT_TYPE } })
        if (report.parts === 0) counters.put++
        else {
          counters.multipartUploads++
          counters.parts += report.parts
        }
      }),
  }
  return backend
}

function validName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/')
}
