/** Parameters of the checkpoint control methods (docs/CONTROL.md). */
import { z } from 'zod'

const vfsPath = z.string().startsWith('/', 'an absolute VFS path such as /local/x')
const ref = z.union([z.string().min(1), z.number().int().positive()])

export const createParams = z.strictObject({ paths: z.array(vfsPath).optional(), label: z.string().optional() })
export const diffParams = z.strictObject({ a: ref, b: ref })
export const restoreParams = z.strictObject({ id: ref, path: vfsPath.optional(), target: vfsPath.optional(), delete: z.boolean().optional() })
