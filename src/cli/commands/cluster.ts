import { parseArgs } from 'node:util'
import { CID } from 'multiformats/cid'
import { z } from 'zod'
import type { ClusterBackend } from '../../mounts/cluster/backend.ts'
import { VfsError } from '../../vfs/errors.ts'
import type { Service } from '../service.ts'
import { callService } from './call-service.ts'
import { type Command, printHelp, UsageError } from './command.ts'

const params = z.strictObject({ cid: z.string().min(1), name: z.string().min(1), mount: z.string().startsWith('/').optional() })

/**
 * The control method `cluster.pin`: pins an existing CID (content already in IPFS, e.g. a file
 * of /ipfs: same Helia repository) through a /cluster mount under a name, with the mount's
 * replication; it then lists as `<mount>/<name>`.
 */
export async function clusterFeature(service: Service): Promise<void> {
  service.register({
    'cluster.pin': async (raw, { signal }) => {
      const r = params.safeParse(raw ?? {})
      if (!r.success) throw new VfsError('EINVAL', 'cluster.pin', undefined, { message: `EINVAL: cluster.pin: ${r.error.issues[0]?.message ?? 'invalid params'}` })
      const { name, mount: point } = r.data
      let cid: CID
      try {
        cid = CID.parse(r.data.cid)
      } catch (err) {
        throw new VfsError('EINVAL', 'cluster.pin', undefined, { cause: err, message: `EINVAL: cluster.pin: ${r.data.cid} is not a CID` })
      }
      const clusters = service.vfs.mounts.list().filter((m) => m.info.type === 'cluster' && (point === undefined || m.point === point))
      const mount = clusters[0]
      if (mount === undefined) throw new VfsError('ENOENT', 'cluster.pin', point, { message: `ENOENT: cluster.pin: no /cluster mount${point === undefined ? '' : ` at ${point}`}` })
      if (clusters.length > 1) throw new VfsError('EINVAL', 'cluster.pin', undefined, { message: `EINVAL: cluster.pin: several cluster mounts (${clusters.map((m) => m.point).join(', ')}): name one with mount` })
      await (mount.backend as ClusterBackend).pin(cid, name, { signal })
      service.vfs.cache.invalidate(mount.point, `${mount.point}/${name}`)
      return { cid: cid.toString(), name, path: `${mount.point}/${name}` }
    },
  })
}

export const clusterCommand: Command = {
  name: 'cluster',
  summary: 'Pin an existing CID through the /cluster mount under a name',
  help: `Usage: ipfs-vfs cluster pin <cid> <name> [--mount /cluster] [--config FILE] [--state-dir DIR]

Pins <cid> through the IPFS Cluster of a cluster mount, named <name> (with the mount's prefix
and replication); it then shows as <mount>/<name>. The content must be reachable by the
cluster's peers (e.g. a file of /ipfs, which shares the daemon's Helia repository).

Options:
  --mount POINT      which cluster mount (needed only when there are several)
  --config FILE      YAML config (when no daemon runs)
  --state-dir DIR    the daemon's state directory (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { mount: { type: 'string' }, config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
    const [verb, cid, name, ...rest] = positionals
    if (verb !== 'pin' || cid === undefined || name === undefined || rest.length > 0) throw new UsageError('usage: ipfs-vfs cluster pin <cid> <name>')
    const out = (await callService('cluster.pin', { cid, name, ...(values.mount === undefined ? {} : { mount: values.mount }) }, { config: values.config, stateDir: values['state-dir'] })) as { path: string; cid: string }
    process.stdout.write(`pinned ${out.cid} as ${out.path}\n`)
    return 0
  },
}
