import { mkdir } from 'node:fs/promises'
import { z } from 'zod'
import { createLocalBackend } from '../../mounts/local.ts'
import { commonKeys, type MountType } from './common.ts'

export const localSchema = z.strictObject({
  type: z.literal('local'),
  /** The directory shown at the mount point. */
  root: z.string().min(1),
  ...commonKeys,
})

export const localType: MountType<z.infer<typeof localSchema>> = {
  async create(_point, spec) {
    await mkdir(spec.root, { recursive: true })
    return createLocalBackend({ root: spec.root })
  },
  describe: (spec) => ({ type: spec.type, root: spec.root }),
}
