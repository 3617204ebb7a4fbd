import { parseArgs } from 'node:util'
import { z } from 'zod'
import { VfsError } from '../../vfs/errors.ts'
import { dirname, normalizePath } from '../../vfs/paths.ts'
import type { Service } from '../service.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'

const params = z.strictObject({ path: z.string().min(1) })

/**
 * The control method `vfs.refresh`: forgets the cached stats and listings at and below a path
 * (and the listing of its folder), so a change made behind the mount's back (another S3 client,
 * another machine) shows at once instead of after the mount's cacheTtlMs.
 */
export async function refreshFeature(service: Service): Promise<void> {
  service.register({
    'vfs.refresh': async (raw) => {
      const r = params.safeParse(raw ?? {})
      if (!r.success) throw new VfsError('EINVAL', 'vfs.refresh', undefined, { message: `EINVAL: vfs.refresh: ${r.error.issues[0]?.message ?? 'invalid params'}` })
      const path = normalizePath(r.data.path, 'refresh')
      const at = service.vfs.resolve(path, 'refresh')
      if (at.kind === 'mount') at.mount.backend.forget?.(at.rel)
      else for (const m of service.vfs.mounts.list()) if (m.point.startsWith(path === '/' ? '/' : `${path}/`)) m.backend.forget?.('/')
      service.vfs.cache.invalidateTree(path)
      service.vfs.cache.invalidate(path, dirname(path))
      return { path }
    },
  })
}

export const refreshCommand: Command = {
  name: 'refresh',
  summary: 'Forget cached stats and listings under a path (show changes made outside the mount now)',
  help: `Usage: ipfs-vfs refresh <path> [--config FILE] [--state-dir DIR]

Drops the attribute and listing cache at and below <path>, a path in the VFS namespace
(e.g. /s3/photos). Object-store mounts cache stats and listings for their cacheTtlMs; a change
made by another client shows after that, or at once after a refresh.

Options:
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    const [path, ...rest] = positionals
    if (!path || rest.length) throw new UsageError('refresh takes exactly one path')
    if (!path.startsWith('/')) throw new UsageError(`refresh: ${path}: expected a VFS path such as /s3/photos`)
    const out = (await callService('vfs.refresh', { path }, { config: values.config, stateDir: values['state-dir'] })) as { path: string }
    process.stdout.write(`refreshed ${out.path}\n`)
    return 0
  },
}
