/**
 * The boundary where Helia's, the UnixFS libraries' and Node's errors become VfsErrors.
 * Inside the backend, code throws `errno('ENOTDIR')` (a plain coded Error) and lets `boundary`
 * name the op and the caller's path.
 */
import type { CallOptions } from '../../vfs/backend.ts'
import { type ErrorCode, toVfsError, VfsError } from '../../vfs/errors.ts'
import { createLogger } from '../../log.ts'

const log = createLogger('ipfs')

export function errno(code: ErrorCode, message?: string): Error {
  return Object.assign(new Error(message ?? code), { code })
}

export function checkSignal(opts: CallOptions | undefined): void {
  if (opts?.signal?.aborted === true) throw Object.assign(new Error('aborted', { cause: opts.signal.reason }), { code: 'ABORT_ERR' })
}

/**
 * Foreign errors by name (the Helia and UnixFS libraries throw named errors, not codes).
 * A block missing while offline is ENOENT where a path is being resolved (the entry is not here)
 * and EIO while reading a file's data (the file exists, its bytes cannot be had).
 */
function codeOf(err: unknown, reading: boolean): ErrorCode | undefined {
  const name = (err as { name?: unknown } | null)?.name
  switch (name) {
    case 'BlockNotFoundWhileOfflineError':
    case 'NotFoundError':
      return reading ? 'EIO' : 'ENOENT'
    case 'AbortError':
    case 'TimeoutError':
      return 'ETIMEDOUT'
    case 'AlreadyExistsError':
      return 'EEXIST'
    case 'NotADirectoryError':
      return 'ENOTDIR'
    case 'InvalidParametersError':
      return 'EINVAL'
    default:
      return undefined
  }
}

export function toIpfsError(err: unknown, op: string, path: string, reading = false): VfsError {
  if (err instanceof VfsError) return err
  const code = codeOf(err, reading)
  const mapped = code === undefined ? toVfsError(err, op, path) : new VfsError(code, op, path, { cause: err })
  if (mapped.code === 'EIO') log.error(`${op} ${path}`, err)
  return mapped
}

/** Runs one backend call: refuses an aborted call, and converts whatever it throws. */
export async function boundary<T>(op: string, path: string, opts: CallOptions | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    checkSignal(opts)
    return await fn()
  } catch (err) {
    throw toIpfsError(err, op, path)
  }
}
