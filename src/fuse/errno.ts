import { constants } from 'node:os'
import type { ErrorCode } from '../vfs/errors.ts'

const E = constants.errno

/** The one errno table at the edge: every core code maps to the kernel's number, negated. */
export function toErrno(code: ErrorCode): number {
  switch (code) {
    case 'ENOENT':
      return -E.ENOENT
    case 'EEXIST':
      return -E.EEXIST
    case 'ENOTDIR':
      return -E.ENOTDIR
    case 'EISDIR':
      return -E.EISDIR
    case 'ENOTEMPTY':
      return -E.ENOTEMPTY
    case 'EXDEV':
      return -E.EXDEV
    case 'EROFS':
      return -E.EROFS
    case 'EACCES':
      return -E.EACCES
    case 'EPERM':
      return -E.EPERM
    case 'ENOTSUP':
      return -E.ENOTSUP
    case 'EIO':
      return -E.EIO
    case 'ENOSPC':
      return -E.ENOSPC
    case 'EINVAL':
      return -E.EINVAL
    case 'ENAMETOOLONG':
      return -E.ENAMETOOLONG
    case 'EBADF':
      return -E.EBADF
    case 'ELOOP':
      return -E.ELOOP
    case 'ENODATA':
      return -E.ENODATA
    case 'ERANGE':
      return -E.ERANGE
    case 'ETIMEDOUT':
      return -E.ETIMEDOUT
    case 'EFBIG':
      return -E.EFBIG
    case 'EMLINK':
      return -E.EMLINK
    case 'EBUSY':
      return -E.EBUSY
    case 'EDQUOT':
      return -E.EDQUOT
    case 'ENOSYS':
      return -E.ENOSYS
    default: {
      const unreachable: never = code
      return unreachable
    }
  }
}
