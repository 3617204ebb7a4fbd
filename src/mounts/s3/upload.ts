/**
 * Uploads of staged files: one PUT up to `multipartThreshold`, above it a multipart upload with
 * `uploadConcurrency` parts in flight, aborted when anything fails (so no part is left to be
 * billed and no half object appears). Every body is a Buffer with its Content-MD5, so the store
 * checks each byte it keeps and the SDK can resend it on a retry. Re-running an upload with the
 * same source writes the same object: safe to resume after a restart.
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import type { CallOptions } from '../../vfs/backend.ts'
import { createLogger } from '../../log.ts'
import { errno } from './errors.ts'

const log = createLogger('s3')

/** S3 allows at most this many parts per upload. */
const MAX_PARTS = 10_000

export interface UploadTarget {
  s3: Pick<S3Client, 'send'>
  bucket: string
  key: string
  metadata: Record<string, string>
  contentType: string
}

export interface UploadLimits {
  multipartThreshold: number
  partSize: number
  uploadConcurrency: number
}

/** What one upload did, for tests and the bench. */
export interface UploadReport {
  parts: number
}

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('base64')

export async function uploadFile(t: UploadTarget, localPath: string, size: number, limits: UploadLimits, opts?: CallOptions): Promise<UploadReport> {
  const fh = await open(localPath, 'r')
  try {
    const readPart = async (start: number, length: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(length)
      let done = 0
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, start + done)
        if (bytesRead === 0) throw errno('EIO', `staged file ${localPath} is shorter than ${size} bytes`)
        done += bytesRead
      }
      return buf
    }
    const signal = opts?.signal
    const base = { Bucket: t.bucket, Key: t.key }
    if (size <= limits.multipartThreshold) {
      const body = await readPart(0, size)
      await t.s3.send(new PutObjectCommand({ ...base, Body: body, ContentLength: size, ContentMD5: md5(body), ContentType: t.contentType, Metadata: t.metadata }), { abortSignal: signal })
      return { parts: 0 }
    }
    const partSize = Math.max(limits.partSize, Math.ceil(size / MAX_PARTS))
    const count = Math.ceil(size / partSize)
    const created = await t.s3.send(new CreateMultipartUploadCommand({ ...base, ContentType: t.contentType, Metadata: t.metadata }), { abortSignal: signal })
    const uploadId = created.UploadId
    if (!uploadId) throw errno('EIO', 'CreateMultipartUpload returned no UploadId')
    try {
      const etags: string[] = new Array<string>(count)
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < count) {
          const i = next++
          signal?.throwIfAborted()
          const start = i * partSize
          const body = await readPart(start, Math.min(partSize, size - start))
          const out = await t.s3.send(new UploadPartCommand({ ...base, UploadId: uploadId, PartNumber: i + 1, Body: body, ContentLength: body.length, ContentMD5: md5(body) }), { abortSignal: signal })
          if (!out.ETag) throw errno('EIO', `UploadPart ${i + 1} returned no ETag`)
          etags[i] = out.ETag
        }
      }
      await Promise.all(Array.from({ length: Math.min(limits.uploadConcurrency, count) }, worker))
      await t.s3.send(
        new CompleteMultipartUploadCommand({ ...base, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
        { abortSignal: signal },
      )
      return { parts: count }
    } catch (err) {
      // Best effort: the store may be the thing that failed. An upload never completed is never
      // an object, so the old object (or no object) stays as it was either way.
      await t.s3.send(new AbortMultipartUploadCommand({ ...base, UploadId: uploadId })).catch((e: unknown) => log.warn(`abort of multipart upload ${uploadId} for ${t.key} failed`, e))
      throw err
    }
  } finally {
    await fh.close()
  }
}
