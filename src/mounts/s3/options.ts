/** The /s3 backend's options: one typed object, each field with its default, validated once. */
import { z } from 'zod'

export const S3BackendInitSchema = z.strictObject({
  /** The bucket shown at the mount point. */
  bucket: z.string().min(3),
  /** Only keys under this prefix ('photos/2026'), shown at the mount's root. Default: the whole bucket. */
  prefix: z.string().optional(),
  /** Files up to this size go up in one PUT; larger ones as a multipart upload. Default 16 MiB. */
  multipartThreshold: z.number().int().positive().default(16 << 20),
  /** Part size of multipart uploads (at least 5 MiB; grown to fit S3's 10,000 parts). Default 8 MiB. */
  partSize: z.number().int().min(5 << 20).default(8 << 20),
  /** Parts uploaded (and objects copied by a folder rename) at once. Default 4. */
  uploadConcurrency: z.number().int().positive().default(4),
  /** Objects larger than this are copied part by part (UploadPartCopy) on rename. Default 5 GiB, S3's CopyObject limit. */
  multipartCopyThreshold: z.number().int().positive().default(5 * 1024 ** 3),
  /** Largest read-ahead of a sequential reader, in bytes (split in parts fetched in parallel). Default 32 MiB. */
  readAheadMax: z.number().int().positive().default(32 << 20),
  /** Size of one ranged GET of the read-ahead. Default 8 MiB. */
  readPartSize: z.number().int().positive().default(8 << 20),
  /**
   * Per request: the deadline of a metadata request (HEAD, LIST, DELETE, markers), retries
   * included, and the longest a data transfer may stall. Default 30 s.
   */
  timeoutMs: z.number().int().positive().default(30_000),
  /** Keys per ListObjectsV2 page (S3's maximum is 1000). Default 1000. */
  listPageSize: z.number().int().min(1).max(1000).default(1000),
  /** How long what a path is (file, folder, nothing) is remembered; changes made elsewhere show after it. Default 1000. */
  cacheTtlMs: z.number().int().nonnegative().default(1000),
})

export type S3BackendInit = z.input<typeof S3BackendInitSchema>
export type S3BackendOptions = Readonly<z.output<typeof S3BackendInitSchema>>
