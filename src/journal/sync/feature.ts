/**
 * The sync feature: `sync.toIpfs` and `sync.fromIpfs` on the control socket (docs/CONTROL.md),
 * journaled as one entry each, with progress and cancellation.
 */
import { normalizePath } from '../../vfs/paths.ts'
import { syncFromIpfs } from './from-ipfs.ts'
import { Jobs, journaled, mountOf, type SyncHost, syncContext } from './host.ts'
import { fromIpfsParams, parseCid, parseParams, toIpfsParams } from './params.ts'
import { syncToIpfs } from './to-ipfs.ts'

export async function syncFeature(host: SyncHost): Promise<void> {
  const jobs = new Jobs()
  host.onClose(() => jobs.close())
  host.register({
    'sync.toIpfs': (params, call) =>
      jobs.run(call.signal, async (signal) => {
        const { path } = parseParams(toIpfsParams, params, 'sync.toIpfs')
        const p = normalizePath(path, 'sync')
        const ctx = await syncContext(host)
        return journaled(host, { op: 'sync-to-ipfs', mount: mountOf(host, p), paths: [p] }, () => syncToIpfs(ctx, p, { signal, onProgress: call.progress }), (r) => ({ cid: r.cid, files: r.files, bytes: r.bytes }))
      }),
    'sync.fromIpfs': (params, call) =>
      jobs.run(call.signal, async (signal) => {
        const { cid, path, conflict, delete: del } = parseParams(fromIpfsParams, params, 'sync.fromIpfs')
        const p = normalizePath(path, 'sync')
        const root = parseCid(cid, 'sync.fromIpfs')
        const ctx = await syncContext(host)
        const opts = { signal, onProgress: call.progress, ...(conflict ? { conflict } : {}), ...(del ? { delete: true } : {}) }
        return journaled(host, { op: 'sync-from-ipfs', mount: mountOf(host, p), paths: [p], args: { cid, conflict: conflict ?? 'fail', delete: del === true } }, () => syncFromIpfs(ctx, root, p, opts), (r) => ({ ...r }))
      }),
  })
}
