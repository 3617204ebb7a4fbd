/**
 * The reference-model test on the in-process Vfs: random sequences of namespace and write
 * operations on /local, /obj and /ipfs, compared with the model after every step. A fixed seed by
 * default; MODEL_SEED, MODEL_RUNS and MODEL_LENGTH explore further. A failure prints the shrunk sequence:
 * pin it in regressions.test.ts.
 */
import { suite } from 'uvu'
import { type Target, vfsTarget } from '../support/fs-like.ts'
import { checkModel, runSettings } from './harness.ts'

const test = suite<{ target: Target }>('model: in-process Vfs', {} as { target: Target })
const { seed, numRuns, maxLength } = runSettings('vfs')

test.before(async (ctx) => {
  ctx.target = await vfsTarget()
})
test.after(async (ctx) => {
  await ctx.target?.close()
})

for (const mount of ['local', 'obj', 'ipfs'] as const) {
  test(`/${mount}: ${numRuns} random sequences of up to ${maxLength} ops match the model`, async ({ target }) => {
    await checkModel({ fs: target.fs, mount, numRuns, maxLength, seed, label: `vfs /${mount}` })
  })
}

test.run()
