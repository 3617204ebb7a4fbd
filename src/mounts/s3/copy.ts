/**
 * Server-side copies: CopyObject up to `multipartCopyThreshold` (S3 refuses a single copy above
 * 5 GiB), UploadPartCopy ranges in parallel above it, aborted on failure. Used by rename (copy
 * then delete: not atomic) and to rewrite an object's metadata in place (chmod, chown, utimens).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import type { CallOptions } from '../../vfs/backend.ts'
import { createLogger } from '../../log.ts'
import { errno } from './errors.ts'

const log = createLogger('s3')

export interface CopyRequest {
  s3: Pick<S3Client, 'send'>
  bucket: string
  from: string
  to: string
  size: number
  /** New metadata and content type (REPLACE); the source's are kept when absent (COPY). */
  replace?: { metadata: Record<string, string>; contentType: string | undefined }
  /** Needed for a multipart copy, which cannot COPY metadata: the source's. */
  sourceMeta: () => Promise<{ metadata: Record<string, string>; contentType: string | undefined }>
}

export interface CopyLimits {
  multipartCopyThreshold: number
  partSize: number
  uploadConcurrency: number
}

/** CopySource is `bucket/key` with the key URL-encoded ('/' kept). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`
}

export async function copyObject(r: CopyRequest, limits: CopyLimits, opts?: CallOptions): Promise<'single' | 'multipart'> {
  const signal = opts?.signal
  const base = { Bucket: r.bucket, Key: r.to }
  const source = copySource(r.bucket, r.from)
  if (r.size <= limits.multipartCopyThreshold) {
    await r.s3.send(
      new CopyObjectCommand({
        ...base,
        CopySource: source,
        ...(r.replace
          ? { MetadataDirective: 'REPLACE' as const, Metadata: r.replace.metadata, ...(r.replace.contentType ? { ContentType: r.replace.contentType } : {}) }
          : { MetadataDirective: 'COPY' as const }),
      }),
      { abortSignal: signal },
    )
    return 'single'
  }
  const meta = r.replace ?? (await r.sourceMeta())
  const partSize = Math.max(limits.partSize, Math.ceil(r.size / 10_000))
  const count = Math.ceil(r.size / partSize)
  const created = await r.s3.send(new CreateMultipartUploadCommand({ ...base, Metadata: meta.metadata, ...(meta.contentType ? { ContentType: meta.contentType } : {}) }), { abortSignal: signal })
  const uploadId = created.UploadId
  if (!uploadId) throw errno('EIO', 'CreateMultipartUpload returned no UploadId')
  try {
    const etags = new Array<string>(count)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count) {
        const i = next++
        const start = i * partSize
        const end = Math.min(r.size, start + partSize) - 1
        const out = await r.s3.send(
          new UploadPartCopyCommand({ ...base, UploadId: uploadId, PartNumber: i + 1, CopySource: source, CopySourceRange: `bytes=${start}-${end}` }),
          { abortSignal: signal },
        )
        const etag = out.CopyPartResult?.ETag
        if (!etag) throw errno('EIO', `UploadPartCopy ${i + 1} returned no ETag`)
        etags[i] = etag
      }
    }
    await Promise.all(Array.from({ length: Math.min(limits.uploadConcurrency, count) }, worker))
    await r.s3.send(new CompleteMultipartUploadCommand({ ...base, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }), { abortSignal: signal })
    return 'multipart'
  } catch (err) {
    await r.s3.send(new AbortMultipartUploadCommand({ ...base, UploadId: uploadId })).catch((e: unknown) => log.warn(`abort of multipart copy ${uploadId} to ${r.to} failed`, e))
    throw err
  }
}
