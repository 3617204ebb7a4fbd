import { stat } from 'node:fs/promises'
import { createLogger } from '../log.ts'
import type { Vfs } from '../vfs/vfs.ts'
import { Fuse, type FuseInstance } from './binding.ts'
import { createFuseOps, type OpDeadlines } from './ops.ts'
import { clearStaleMount, detach } from './stale-mount.ts'

const log = createLogger('fuse')

export interface FuseMountOptions extends OpDeadlines {
  /** Let other users (and root) into the mount; needs user_allow_other for non-root daemons. */
  allowOther: boolean
  /**
   * Seconds the kernel may cache attributes and names. libfuse 2 gives each path its own kernel
   * inode, so the other names of a hard-linked file show a change once attrTimeout has passed;
   * 0 makes them exact, at the cost of a getattr per access.
   */
  attrTimeout: number
  entryTimeout: number
  /** Largest read or write the kernel sends in one call (up to 1 MiB: the binding negotiates FUSE_MAX_PAGES). */
  maxWrite: number
}

export const DEFAULT_FUSE_OPTIONS: Readonly<FuseMountOptions> = Object.freeze({
  allowOther: false,
  attrTimeout: 1,
  entryTimeout: 1,
  maxWrite: 1_048_576,
  opTimeoutMs: 30_000,
  syncTimeoutMs: 600_000,
})

/** Slack between our deadline and the binding's own timeout, so ours always answers first. */
const BINDING_SLACK_MS = 5_000

/** The -o options of a mount; the bench's passthrough mounts with the same ones under its own name. */
export function mountOptions(o: FuseMountOptions, name = 'ipfs-vfs'): string[] {
  const opts = [
    `fsname=${name}`,
    `subtype=${name}`,
    // Without big_writes libfuse 2 splits every write into 4 KiB calls.
    'big_writes',
    `max_write=${o.maxWrite}`,
    `max_read=${o.maxWrite}`,
    // Stable inode numbers: hard links show one inode, git compares them.
    'use_ino',
    // O_TRUNC arrives with open instead of as a separate truncate, so an object store is not
    // sent an empty upload before the real one.
    'atomic_o_trunc',
    // The kernel checks permissions against the modes and owners we report.
    'default_permissions',
    // A file unlinked or replaced while open is removed at once, not renamed to .fuse_hidden*
    // until its last close (a copy, a delete and an upload of a dead file on an object store,
    // and wrong with hard links). Its handles go on through the VFS (flag_nullpath_ok in the
    // binding: libfuse passes no path for a file without a name; the ops use the handle).
    'hard_remove',
    `attr_timeout=${o.attrTimeout}`,
    `entry_timeout=${o.entryTimeout}`,
    'negative_timeout=0',
  ]
  if (o.allowOther) opts.push('allow_other')
  return opts
}

export interface FuseMount {
  readonly mountpoint: string
  /** Resolves when the mount is gone: our unmount, or an external fusermount -u / umount. */
  readonly exited: Promise<void>
  unmount(): Promise<void>
}

/** Mounts `vfs` at `mountpoint`, clearing a stale mount left there by a dead daemon first. */
export async function mountFuse(vfs: Vfs, mountpoint: string, options: FuseMountOptions): Promise<FuseMount> {
  // The kernel has already applied the caller's umask to every mode it sends; ours must not
  // cut it again (mkdir -m 777 would become 755).
  process.umask(0)
  await clearStaleMount(mountpoint)
  const st = await stat(mountpoint).catch((err: unknown) => {
    throw new Error(`mount point ${mountpoint}: ${(err as NodeJS.ErrnoException).code ?? err}`, { cause: err })
  })
  if (!st.isDirectory()) throw new Error(`mount point ${mountpoint}: not a directory`)

  let onExit: () => void = () => {}
  const exited = new Promise<void>((resolve) => {
    onExit = resolve
  })
  const holder: { fuse?: FuseInstance } = {}
  const ops = createFuseOps(vfs, () => holder.fuse, options)
  const timeout = {
    default: options.opTimeoutMs + BINDING_SLACK_MS,
    flush: options.syncTimeoutMs + BINDING_SLACK_MS,
    fsync: options.syncTimeoutMs + BINDING_SLACK_MS,
    release: options.syncTimeoutMs + BINDING_SLACK_MS,
    truncate: options.syncTimeoutMs + BINDING_SLACK_MS,
    rename: options.syncTimeoutMs + BINDING_SLACK_MS,
  }
  const fuse = new Fuse(mountpoint, ops, { timeout, extraOptions: mountOptions(options), onExit: () => onExit() })
  holder.fuse = fuse
  await new Promise<void>((resolve, reject) => fuse.mount((err) => (err ? reject(err) : resolve())))
  log.info(`mounted at ${mountpoint}`)

  let unmounting: Promise<void> | undefined
  return {
    mountpoint,
    exited,
    unmount() {
      unmounting ??= new Promise<void>((resolve, reject) => {
        fuse.unmount((err) => {
          if (!err) return resolve()
          // The binding's own unmount failed (busy, or already gone): detach lazily.
          detach(mountpoint).then(resolve, reject)
        })
      })
      return unmounting
    },
  }
}
