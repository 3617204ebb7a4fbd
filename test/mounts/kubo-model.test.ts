/**
 * The reference model on /ipfs with the Kubo engine, in process: the Vfs over the Kubo backend
 * against a real Kubo RPC server (js-ipfs), the same random sequences of namespace and write
 * operations as on the Helia engine (test/model), compared with the model after every step. Fewer
 * runs than in process on Helia: every change is a few RPC calls.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import { createKuboBackend } from '../../src/mounts/ipfs/kubo/backend.ts'
import { connectKubo } from '../../src/mounts/ipfs/kubo/rpc.ts'
import { Vfs } from '../../src/vfs/vfs.ts'
import { checkModel, runSettings } from '../model/harness.ts'
import { type FsLike, vfsFs } from '../support/fs-like.ts'
import { type KuboDaemon, kuboSkipReason, startKuboDaemon } from '../support/kubo-daemon.ts'

interface Ctx {
  daemon: KuboDaemon
  dir: string
  fs: FsLike
}

const test = suite<Ctx>('model: /ipfs on the Kubo engine (in-process Vfs)', {} as Ctx)
const skip = kuboSkipReason()
const { seed, maxLength } = runSettings('mount')
const numRuns = process.env.MODEL_KUBO_RUNS ? Number(process.env.MODEL_KUBO_RUNS) : 15

if (skip !== undefined) {
  console.log(`SKIP model on the Kubo engine: ${skip}`)
  test.skip(skip, () => {})
} else {
  test.before(async (ctx) => {
    ctx.dir = await mkdtemp(join(tmpdir(), 'ipfs-vfs-kubo-model-'))
    ctx.daemon = await startKuboDaemon()
    const vfs = new Vfs({ stagingDir: join(ctx.dir, 'staging') })
    vfs.addMount('/ipfs', await createKuboBackend({ kubo: await connectKubo(ctx.daemon.api) }, { mfsRoot: '/model' }))
    ctx.fs = vfsFs(vfs)
  })
  test.after(async (ctx) => {
    await ctx.fs?.close()
    await ctx.daemon?.stop()
    await rm(ctx.dir, { recursive: true, force: true })
  })

  test(`/ipfs (kubo): ${numRuns} random sequences of up to ${maxLength} ops match the model`, async ({ fs }) => {
    await checkModel({ fs, mount: 'ipfs', numRuns, maxLength, seed, label: 'vfs /ipfs (kubo)' })
  })
}

test.run()
