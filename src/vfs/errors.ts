/** The POSIX codes the core speaks. Every foreign error becomes one of these at a backend boundary. */
export const ERROR_CODES = [
  'ENOENT',
  'EEXIST',
  'ENOTDIR',
  'EISDIR',
  'ENOTEMPTY',
  'EXDEV',
  'EROFS',
  'EACCES',
  'EPERM',
  'ENOTSUP',
  'EIO',
  'ENOSPC',
  'EINVAL',
  'ENAMETOOLONG',
  'EBADF',
  'ELOOP',
  'ENODATA',
  'ERANGE',
  'ETIMEDOUT',
  'EFBIG',
  'EMLINK',
  'EBUSY',
  'EDQUOT',
  'ENOSYS',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

const KNOWN = new Set<string>(ERROR_CODES)

export class VfsError extends Error {
  readonly code: ErrorCode
  readonly op: string
  readonly path: string | undefined

  constructor(code: ErrorCode, op: string, path?: string, options?: { cause?: unknown; message?: string }) {
    super(options?.message ?? `${code}: ${op}${path === undefined ? '' : ` ${path}`}`, { cause: options?.cause })
    this.name = 'VfsError'
    this.code = code
    this.op = op
    this.path = path
  }
}

export function isVfsError(err: unknown): err is VfsError {
  return err instanceof VfsError
}

/**
 * Turns any error into a VfsError. Node's fs errors keep their code when the core knows it
 * (EOPNOTSUPP is ENOTSUP on Linux); anything else is EIO with the original as the cause.
 */
export function toVfsError(err: unknown, op: string, path?: string): VfsError {
  if (err instanceof VfsError) return err
  const raw = (err as { code?: unknown } | null)?.code
  let code = typeof raw === 'string' ? raw : undefined
  if (code === 'EOPNOTSUPP') code = 'ENOTSUP'
  if (code === 'ABORT_ERR') code = 'ETIMEDOUT'
  if (code !== undefined && KNOWN.has(code)) return new VfsError(code as ErrorCode, op, path, { cause: err })
  return new VfsError('EIO', op, path, { cause: err })
}
