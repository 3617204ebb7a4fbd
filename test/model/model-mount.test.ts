/**
 * The reference-model test through the kernel: the same random sequences on the real FUSE mount
 * (one mount for the file, a fresh folder per sequence), fewer of them. Overrides: see
 * runSettings in harness.ts.
 */
import { suite } from 'uvu'
import { mountTarget, type Target } from '../support/fs-like.ts'
import { checkModel, runSettings } from './harness.ts'

const test = suite<{ target: Target }>('model: FUSE mount', {} as { target: Target })
const { seed, numRuns, maxLength } = runSettings('mount')

test.before(async (ctx) => {
  ctx.target = await mountTarget()
})
test.after(async (ctx) => {
  await ctx.target?.close()
})

for (const mount of ['local', 'obj', 'ipfs'] as const) {
  test(`/${mount}: ${numRuns} random sequences of up to ${maxLength} ops match the model`, async ({ target }) => {
    await checkModel({ fs: target.fs, mount, numRuns, maxLength, seed, label: `mount /${mount}` })
  })
}

test.run()
