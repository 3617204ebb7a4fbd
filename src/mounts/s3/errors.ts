/**
 * The boundary where the AWS SDK's errors become VfsErrors. Inside the backend, code throws
 * `errno('ENOTDIR')` (a plain coded Error) or lets an SDK error through; `boundary` names the op
 * and the caller's path, and logs what it had to call EIO with its cause.
 */
import type { CallOptions } from '../../vfs/backend.ts'
import { type ErrorCode, toVfsError, VfsError } from '../../vfs/errors.ts'
import { createLogger } from '../../log.ts'

const log = createLogger('s3')

export function errno(code: ErrorCode, message?: string): Error {
  return Object.assign(new Error(message ?? code), { code })
}

export function checkSignal(opts: CallOptions | undefined): void {
  if (opts?.signal?.aborted === true) throw Object.assign(new Error('aborted', { cause: opts.signal.reason }), { code: 'ABORT_ERR' })
}

interface SdkError {
  name?: unknown
  code?: unknown
  $metadata?: { httpStatusCode?: number }
  $response?: { statusCode?: number }
}

/** HTTP status of an SDK error (404 from a HEAD has no body, so no error code). */
export function statusOf(err: unknown): number | undefined {
  const e = err as SdkError | null
  return e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode
}

export function isNotFound(err: unknown): boolean {
  const name = (err as SdkError | null)?.name
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404
}

/** The SDK's errors by name and status; network errors by Node's code. */
function codeOf(err: unknown): ErrorCode | undefined {
  const e = err as SdkError | null
  const name = typeof e?.name === 'string' ? e.name : ''
  if (name === 'NoSuchKey' || name === 'NotFound') return 'ENOENT'
  // The SDK's own request timeout, an aborted call (the FUSE deadline or our per-call timeout).
  if (name === 'TimeoutError' || name === 'AbortError' || name === 'RequestTimeout' || e?.code === 'ETIMEDOUT' || e?.code === 'ABORT_ERR') return 'ETIMEDOUT'
  if (name === 'NoSuchBucket') return 'EIO'
  const status = statusOf(err)
  if (status === 404) return 'ENOENT'
  if (status === 403 || name === 'AccessDenied' || name === 'SignatureDoesNotMatch' || name === 'InvalidAccessKeyId') return 'EACCES'
  if (name === 'EntityTooLarge') return 'EFBIG'
  if (name === 'PreconditionFailed' || status === 412) return 'EIO'
  return undefined
}

/** Runs `fn` and turns whatever it throws into a VfsError for `op` on `path`. */
export async function boundary<T>(op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    checkSignal(opts)
    return await fn()
  } catch (err) {
    throw asVfsError(err, op, path)
  }
}

export function asVfsError(err: unknown, op: string, path: string): VfsError {
  if (err instanceof VfsError) return err
  const code = codeOf(err)
  if (code !== undefined) return new VfsError(code, op, path, { cause: err })
  const e = toVfsError(err, op, path)
  if (e.code === 'EIO') log.warn(`${op} ${path}: EIO`, err)
  return e
}
