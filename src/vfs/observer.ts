import type { Handle } from './open-files.ts'
import type { Vfs } from './vfs.ts'

/** One finished Vfs operation, as observers (metrics) see it. */
export interface OpEvent {
  op: string
  /** The mount point the op ran on; undefined for the synthetic folders above the mounts. */
  mount: string | undefined
  /** 'ok', or the POSIX code it failed with ('EIO' for anything that is not a VfsError). */
  result: string
  durationMs: number
  /** Bytes moved by read and write. */
  bytes?: number
}

/** Something that wants to know what the Vfs did (metrics, status counters). Must not throw or block. */
export interface VfsObserver {
  opDone(event: OpEvent): void
}

/** The ops whose first argument is a VFS path (symlink's is its target, its second the path). */
const PATH_OPS = ['stat', 'readdir', 'statfs', 'mkdir', 'rmdir', 'unlink', 'rename', 'readlink', 'link', 'chmod', 'chown', 'utimens', 'truncate', 'getxattr', 'listxattr', 'setxattr', 'removexattr', 'open', 'create'] as const
/** The ops whose first argument is an open handle. */
const HANDLE_OPS = ['read', 'write', 'ftruncate', 'fstat', 'flush', 'fsync', 'release'] as const

type AnyFn = (...args: unknown[]) => Promise<unknown>

function mountOfHandle(h: Handle | undefined): string | undefined {
  if (!h) return undefined
  return h.kind === 'random' ? h.mount.point : h.node.mount.point
}

/**
 * Reports every public op of `vfs` to `observers`: wraps the instance's methods once, the first
 * time an observer is added, so a Vfs nobody watches pays nothing. The mount is looked up before
 * the call (release forgets the handle, rename may move the path).
 */
export function instrumentVfs(vfs: Vfs, observers: readonly VfsObserver[]): void {
  const target = vfs as unknown as Record<string, AnyFn>
  const wrap = (op: string, mountOf: (args: unknown[]) => string | undefined, bytesOf?: (result: unknown) => number) => {
    const original = target[op]
    if (typeof original !== 'function') return
    target[op] = async function (this: unknown, ...args: unknown[]) {
      const mount = mountOf(args)
      const start = performance.now()
      let result = 'ok'
      let bytes: number | undefined
      try {
        const value = await original.apply(vfs, args)
        if (bytesOf) bytes = bytesOf(value)
        return value
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code
        result = typeof code === 'string' ? code : 'EIO'
        throw err
      } finally {
        const event: OpEvent = { op, mount, result, durationMs: performance.now() - start, ...(bytes === undefined ? {} : { bytes }) }
        for (const o of observers) {
          try {
            o.opDone(event)
          } catch {
            // An observer's bug must not turn a good op into a failed one.
          }
        }
      }
    }
  }
  const byPath = (index: number) => (args: unknown[]) => {
    try {
      const r = vfs.resolve(String(args[index]), 'observe')
      return r.kind === 'mount' ? r.mount.point : undefined
    } catch {
      return undefined
    }
  }
  const byHandle = (args: unknown[]) => {
    try {
      return mountOfHandle(vfs.files.handles.get(Number(args[0]), 'observe'))
    } catch {
      return undefined
    }
  }
  for (const op of PATH_OPS) wrap(op, byPath(0))
  wrap('symlink', byPath(1))
  const count = (v: unknown) => (typeof v === 'number' ? v : 0)
  for (const op of HANDLE_OPS) wrap(op, byHandle, op === 'read' || op === 'write' ? count : undefined)
}
