import { z } from 'zod'
import { toolError } from './errors.ts'
import { passthrough, vfsPath } from './schemas.ts'
import { READ, type ToolDef, tool } from './tool.ts'

interface VfsMount {
  point: string
  type: string
  readOnly: boolean
  capabilities: Record<string, unknown>
  info: Record<string, unknown>
}
interface MountStatus {
  point: string
  source?: string
  health?: string
  reason?: string
  pendingUploads?: number
  openHandles?: number
}

/** Option keys that would carry a secret: refused, secrets come from the daemon's environment. */
const SECRET_KEY = /secret|password|passwd|token|credential|private|proof|^key$|accesskey/i

const mountRow = z.object({
  point: z.string().describe('Where the mount appears, e.g. /local'),
  type: z.string().describe('Backend type: local, ipfs, s3, ...'),
  readOnly: z.boolean().describe('True when every change is refused with EROFS'),
  capabilities: passthrough('What the backend can do: writes (randomWrite or wholeObject), rename, symlinks, xattrs, ...'),
  info: passthrough('The backend\'s secret-free description'),
  source: z.string().optional().describe('config or runtime (when the daemon reports status)'),
  health: z.string().optional().describe('ok, degraded or down (when the daemon reports status)'),
  reason: z.string().optional().describe('Why it is not ok'),
  pendingUploads: z.number().optional().describe('Files written but not yet stored'),
  openHandles: z.number().optional().describe('Files open on it'),
})

export const mountTools: ToolDef[] = [
  tool({
    name: 'vfs_list_mounts',
    title: 'List mounts',
    description: 'Every mount of the VFS with its backend type, capabilities and, when known, health and pending uploads.',
    input: {},
    output: { mounts: z.array(mountRow).describe('Mounts sorted by point') },
    annotations: READ,
    run: async (_a, env) => {
      const { mounts } = (await env.call('vfs.mounts')) as { mounts: VfsMount[] }
      // Health comes from the operations feature; without it the list is still the truth.
      const status = (await env.call('status').catch(() => undefined)) as { mounts?: MountStatus[] } | undefined
      return {
        mounts: mounts.map((m) => {
          const s = status?.mounts?.find((x) => x.point === m.point)
          return { ...m, ...(s ? { source: s.source, health: s.health, pendingUploads: s.pendingUploads, openHandles: s.openHandles, ...(s.reason === undefined ? {} : { reason: s.reason }) } : {}) }
        }),
      }
    },
  }),
  tool({
    name: 'vfs_mount',
    title: 'Add a mount',
    description: 'Mounts a backend at a new point while running (persisted by the daemon). Options are the mount type\'s config keys without secrets: credentials come from the daemon\'s environment.',
    input: {
      mount_point: vfsPath.describe('Where the mount appears, e.g. /photos'),
      backend: z.string().min(1).describe('Mount type: local, ipfs, s3, storacha, cluster, ...'),
      options: z.record(z.string(), z.unknown()).default({}).describe('The type\'s config keys, e.g. {"root": "/srv/data"} for local'),
      read_only: z.boolean().default(false).describe('Refuse every change with EROFS'),
    },
    output: { mounts: passthrough('The mounts after the change, as mounts.list reports them') },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    loose: true,
    run: async (a, env) => {
      const secret = Object.keys(a.options).find((k) => SECRET_KEY.test(k))
      if (secret) throw toolError('EINVAL', 'vfs_mount', `vfs_mount: option '${secret}' looks like a secret; give credentials to the daemon through its environment, not through MCP`, a.mount_point)
      const spec = { ...a.options, type: a.backend, ...(a.read_only ? { readOnly: true } : {}) }
      return (await env.call('mounts.add', { point: a.mount_point, spec })) as never
    },
  }),
  tool({
    name: 'vfs_unmount',
    title: 'Remove a mount',
    description: 'Removes a mount. Refused (EBUSY) while files are open on it or uploads are pending, unless force (pending changes are then lost).',
    input: { mount_point: vfsPath.describe('The mount point, e.g. /photos'), force: z.boolean().default(false).describe('Remove even with open files or pending uploads') },
    output: { mounts: passthrough('The mounts after the change') },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    loose: true,
    run: async (a, env) => (await env.call('mounts.remove', { point: a.mount_point, force: a.force })) as never,
  }),
]
