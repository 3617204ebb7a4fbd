/** Parameters of the sync and checkpoint control methods (docs/CONTROL.md), validated once. */
import { CID } from 'multiformats/cid'
import { z } from 'zod'
import { VfsError } from '../../vfs/errors.ts'

const vfsPath = z.string().startsWith('/', 'an absolute VFS path such as /local/x')

export const toIpfsParams = z.strictObject({ path: vfsPath })
export const fromIpfsParams = z.strictObject({
  cid: z.string().min(1),
  path: vfsPath,
  conflict: z.enum(['fail', 'skip', 'overwrite']).optional(),
  delete: z.boolean().optional(),
})

/** Parses `params` or answers EINVAL naming the key, as a bad control call should. */
export function parseParams<T>(schema: z.ZodType<T>, params: unknown, op: string): T {
  const parsed = schema.safeParse(params ?? {})
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const key = issue?.path.map(String).join('.') || 'params'
  throw new VfsError('EINVAL', op, undefined, { message: `EINVAL: ${op}: ${key}: ${issue?.message ?? 'invalid'}` })
}

export function parseCid(text: string, op: string): CID {
  try {
    return CID.parse(text)
  } catch (err) {
    throw new VfsError('EINVAL', op, undefined, { cause: err, message: `EINVAL: ${op}: not a CID: ${text}` })
  }
}
