import { z } from 'zod'
import { commonKeys, type MountType } from './common.ts'

/**
 * An /s3 mount: a bucket (and optional key prefix). Credentials come from the AWS default
 * provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, ...), never
 * from this file. Several /s3 mounts (other buckets, other endpoints) can coexist.
 */
export const s3Schema = z.strictObject({
  type: z.literal('s3'),
  bucket: z.string().min(3),
  /** Only keys under this prefix, shown at the mount's root. */
  prefix: z.string().optional(),
  /** An S3-compatible endpoint (http://127.0.0.1:8080); default: AWS for the region. */
  endpoint: z.url().optional(),
  /** Default: AWS_REGION, else us-east-1. */
  region: z.string().optional(),
  /** Path-style URLs (endpoint/bucket/key), as most S3-compatible servers need. Default false. */
  forcePathStyle: z.boolean().optional(),
  /** Deadline of one metadata request, retries included; the longest a transfer may stall. Default 30000. */
  timeoutMs: z.number().int().positive().optional(),
  /** Tries per request, the first included, with exponential backoff (5xx, throttling, network errors). Default 5. */
  maxAttempts: z.number().int().min(1).max(20).optional(),
  /** Single PUT up to this size, multipart above. Default 16 MiB. */
  multipartThreshold: z.number().int().positive().optional(),
  /** Multipart part size, at least 5 MiB. Default 8 MiB. */
  partSize: z.number().int().min(5 << 20).optional(),
  /** Parts in flight per upload. Default 4. */
  uploadConcurrency: z.number().int().positive().optional(),
  /** Largest sequential read-ahead in bytes. Default 32 MiB. */
  readAheadMax: z.number().int().positive().optional(),
  ...commonKeys,
  /** Milliseconds a stat or listing is served from cache; a change made behind our back shows after it. Default 2000. */
  cacheTtlMs: z.number().int().nonnegative().default(2000),
})

type S3Spec = z.infer<typeof s3Schema>

export const s3Type: MountType<S3Spec> = {
  async create(_point, spec) {
    const { createS3Backend, createS3Client } = await import('../../mounts/s3/index.ts')
    const client = createS3Client({ endpoint: spec.endpoint, region: spec.region, forcePathStyle: spec.forcePathStyle, maxAttempts: spec.maxAttempts, timeoutMs: spec.timeoutMs })
    const { type: _t, endpoint: _e, region: _r, forcePathStyle: _f, maxAttempts: _m, readOnly: _ro, ...init } = spec
    const backend = createS3Backend({ s3: client }, init)
    return {
      ...backend,
      close: async () => {
        client.destroy()
      },
    }
  },
  describe: (spec) => ({ type: spec.type, bucket: spec.bucket, ...(spec.prefix ? { prefix: spec.prefix } : {}), ...(spec.endpoint ? { endpoint: spec.endpoint } : {}), region: spec.region ?? 'default' }),
}
