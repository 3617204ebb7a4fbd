/**
 * The requests /s3 makes, in one place: each counted (tests assert on the counts), metadata
 * requests under a deadline of `timeoutMs` retries included, every request logged with its time
 * at debug level, and the heads seen kept for listings to reuse.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import type { CallOptions } from '../../vfs/backend.ts'
import { createLogger } from '../../log.ts'
import type { Head } from './cache.ts'
import { copyObject } from './copy.ts'
import { errno, isNotFound } from './errors.ts'
import { type Attrs, toMetadata } from './meta.ts'
import type { S3BackendOptions } from './options.ts'

const log = createLogger('s3')

/** Requests made, by kind: tests assert on them (a small read is one ranged GET; a big file is multipart). */
export interface S3Counters {
  head: number
  list: number
  get: number
  put: number
  multipartUploads: number
  parts: number
  copy: number
  multipartCopies: number
  delete: number
  /** Bytes received by ranged GETs. */
  bytesRead: number
}

export type Requests = ReturnType<typeof createRequests>

export function createRequests(client: Pick<S3Client, 'send'>, o: S3BackendOptions) {
  const s3 = traced(client)
  const Bucket = o.bucket
  const counters: S3Counters = { head: 0, list: 0, get: 0, put: 0, multipartUploads: 0, parts: 0, copy: 0, multipartCopies: 0, delete: 0, bytesRead: 0 }

  /** A metadata request: answered within timeoutMs, retries included, or ETIMEDOUT. */
  const quick = (opts?: CallOptions): { abortSignal: AbortSignal } => {
    const t = AbortSignal.timeout(o.timeoutMs)
    return { abortSignal: opts?.signal ? AbortSignal.any([opts.signal, t]) : t }
  }

  /**
   * Heads seen, by key: a listing that shows the same ETag and LastModified reuses one instead of
   * asking again (a listing carries no metadata, so telling a symlink from a file needs a head).
   */
  const heads = new Map<string, Head>()
  async function head(key: string, opts?: CallOptions): Promise<Head | undefined> {
    counters.head++
    try {
      const out = await s3.send(new HeadObjectCommand({ Bucket, Key: key }), quick(opts))
      const h: Head = { metadata: out.Metadata ?? {}, size: out.ContentLength ?? 0, lastModified: out.LastModified, etag: out.ETag, contentType: out.ContentType }
      if (heads.size > 100_000) heads.clear()
      heads.set(key, h)
      return h
    } catch (err) {
      if (isNotFound(err)) {
        heads.delete(key)
        return undefined
      }
      throw err
    }
  }

  /** Our own change to `key`: what we knew of it is stale. */
  const changed = (key: string): void => {
    heads.delete(key)
  }

  function listPage(Prefix: string, opts: CallOptions | undefined, extra: { Delimiter?: string; MaxKeys?: number; ContinuationToken?: string | undefined }): Promise<ListObjectsV2CommandOutput> {
    counters.list++
    return s3.send(new ListObjectsV2Command({ Bucket, Prefix, ...extra }), quick(opts))
  }

  async function putSmall(key: string, body: string, contentType: string, attrs: Attrs, opts?: CallOptions): Promise<void> {
    counters.put++
    changed(key)
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body), ContentType: contentType, Metadata: toMetadata(attrs) }), quick(opts))
  }

  async function deleteKey(key: string, opts?: CallOptions): Promise<void> {
    counters.delete++
    changed(key)
    await s3.send(new DeleteObjectCommand({ Bucket, Key: key }), quick(opts))
  }

  /** Every key at or below a prefix (no delimiter), page by page. */
  async function* allKeys(prefix: string, opts?: CallOptions): AsyncGenerator<{ key: string; size: number }> {
    let token: string | undefined
    do {
      const page = await listPage(prefix, opts, { ContinuationToken: token, MaxKeys: o.listPageSize })
      for (const c of page.Contents ?? []) if (c.Key !== undefined) yield { key: c.Key, size: c.Size ?? 0 }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
  }

  async function copy(from: string, to: string, size: number, opts?: CallOptions, replace?: { metadata: Record<string, string>; contentType: string | undefined }): Promise<void> {
    counters.copy++
    changed(to)
    const how = await copyObject(
      {
        s3,
        bucket: Bucket,
        from,
        to,
        size,
        ...(replace ? { replace } : {}),
        sourceMeta: async () => {
          const h = await head(from, opts)
          if (!h) throw errno('ENOENT')
          return { metadata: h.metadata, contentType: h.contentType }
        },
      },
      o,
      opts,
    )
    if (how === 'multipart') counters.multipartCopies++
  }

  async function deleteMany(list: string[], opts?: CallOptions): Promise<void> {
    for (let i = 0; i < list.length; i += 1000) {
      const batch = list.slice(i, i + 1000)
      counters.delete += batch.length
      for (const k of batch) changed(k)
      const out = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), quick(opts))
      const failed = out.Errors?.[0]
      if (failed) throw errno('EIO', `DeleteObjects: ${failed.Key}: ${failed.Code} ${failed.Message}`)
    }
  }

  return { s3, counters, heads, quick, head, changed, listPage, allKeys, putSmall, deleteKey, copy, deleteMany }
}

/** Every request at debug level (IPFS_VFS_LOG=debug): command, key and milliseconds. */
function traced(s3: Pick<S3Client, 'send'>): Pick<S3Client, 'send'> {
  if (process.env.IPFS_VFS_LOG !== 'debug') return s3
  return {
    send: (async (command: { constructor: { name: string }; input: { Key?: string; Prefix?: string; Range?: string } }, options?: unknown) => {
      const t0 = performance.now()
      const what = `${command.constructor.name.replace(/Command$/, '')} ${command.input.Key ?? command.input.Prefix ?? ''}${command.input.Range ? ` ${command.input.Range}` : ''}`
      try {
        const out = await (s3.send as (c: unknown, o?: unknown) => Promise<unknown>)(command, options)
        log.debug(`${what} ${(performance.now() - t0).toFixed(1)} ms`)
        return out
      } catch (err) {
        log.debug(`${what} failed after ${(performance.now() - t0).toFixed(1)} ms: ${(err as Error).name}`)
        throw err
      }
    }) as Pick<S3Client, 'send'>['send'],
  }
}

