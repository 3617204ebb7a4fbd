import { z } from 'zod'
import type { ControlMethods } from '../control/protocol.ts'
import { VfsError } from '../vfs/errors.ts'
import type { Journal } from './journal.ts'

const path = z.string().startsWith('/').describe('absolute VFS path')
const limit = z.number().int().min(1).max(100_000)

const SCHEMAS = {
  'journal.status': z.strictObject({}),
  'journal.list': z.strictObject({ since: z.number().int().min(0).optional(), limit: limit.optional(), mount: z.string().optional() }),
  'journal.history': z.strictObject({ path, limit: limit.optional() }),
  'journal.track': z.strictObject({ path }),
  'journal.untrack': z.strictObject({ path }),
  'journal.tracked': z.strictObject({}),
  'journal.compact': z.strictObject({ beforeSeq: z.number().int().min(0) }),
} as const

type Method = keyof typeof SCHEMAS

function parse<M extends Method>(method: M, params: unknown): z.infer<(typeof SCHEMAS)[M]> {
  const r = SCHEMAS[method].safeParse(params ?? {})
  if (r.success) return r.data as z.infer<(typeof SCHEMAS)[M]>
  const issue = r.error.issues[0]
  const where = issue?.path.length ? issue.path.join('.') : 'params'
  throw new VfsError('EINVAL', method, undefined, { message: `EINVAL: ${method}: ${where}: ${issue?.message ?? 'invalid'}` })
}

/** The `journal.*` control methods (docs/CONTROL.md). */
export function journalMethods(journal: Journal): ControlMethods {
  return {
    'journal.status': async (params) => {
      parse('journal.status', params)
      const pending = await journal.pendingUploads()
      return { lastSeq: journal.lastSeq, entries: journal.entries, pendingUploads: pending.length, tracked: journal.tracked(), lastRecovery: journal.lastRecovery ?? null }
    },
    'journal.list': async (params) => {
      const p = parse('journal.list', params)
      return { entries: await journal.list({ ...(p.since === undefined ? {} : { since: p.since }), ...(p.limit === undefined ? {} : { limit: p.limit }), ...(p.mount === undefined ? {} : { mount: p.mount }) }) }
    },
    'journal.history': async (params) => {
      const p = parse('journal.history', params)
      return { entries: await journal.history(p.path, p.limit) }
    },
    'journal.track': async (params) => {
      const p = parse('journal.track', params)
      await journal.track(p.path)
      return { path: p.path, tracked: true, paths: journal.tracked() }
    },
    'journal.untrack': async (params) => {
      const p = parse('journal.untrack', params)
      const was = await journal.untrack(p.path)
      return { path: p.path, tracked: false, wasTracked: was, paths: journal.tracked() }
    },
    'journal.tracked': async (params) => {
      parse('journal.tracked', params)
      return { paths: journal.tracked() }
    },
    'journal.compact': async (params) => {
      const p = parse('journal.compact', params)
      return journal.compact(p.beforeSeq)
    },
  }
}
