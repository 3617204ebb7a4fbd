/**
 * The checkpoints feature: `checkpoint.create|list|diff|restore` on the control socket
 * (docs/CONTROL.md), and the automatic checkpoints a daemon takes (config `checkpoints`).
 */
import { Jobs, type SyncHost } from '../sync/host.ts'
import { parseParams } from '../sync/params.ts'
import { type AutoCheckpointOptions, AutoCheckpoints } from './auto.ts'
import { Checkpoints } from './checkpoints.ts'
import { createParams, diffParams, restoreParams } from './params.ts'

export async function checkpointsFeature(host: SyncHost, auto: AutoCheckpointOptions = {}): Promise<void> {
  const checkpoints = new Checkpoints(host)
  const jobs = new Jobs()
  const scheduler = new AutoCheckpoints(host, checkpoints, auto)
  host.onClose(async () => {
    await scheduler.stop()
    await jobs.close()
  })
  if (scheduler.enabled) host.onDaemon?.(() => void scheduler.start())
  host.register({
    'checkpoint.create': (params, call) =>
      jobs.run(call.signal, async (signal) => {
        const { paths, label } = parseParams(createParams, params, 'checkpoint.create')
        return checkpoints.create({ paths, label }, { signal, onProgress: call.progress })
      }),
    'checkpoint.list': async () => ({ checkpoints: await checkpoints.list() }),
    'checkpoint.diff': (params, call) =>
      jobs.run(call.signal, async (signal) => {
        const { a, b } = parseParams(diffParams, params, 'checkpoint.diff')
        return { changes: await checkpoints.diff(a, b, { signal, onProgress: call.progress }) }
      }),
    'checkpoint.restore': (params, call) =>
      jobs.run(call.signal, async (signal) => {
        const req = parseParams(restoreParams, params, 'checkpoint.restore')
        return checkpoints.restore({ id: req.id, ...(req.path ? { path: req.path } : {}), ...(req.target ? { target: req.target } : {}), ...(req.delete ? { delete: true } : {}) }, { signal, onProgress: call.progress })
      }),
  })
}
