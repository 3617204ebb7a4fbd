import { z } from 'zod'
import { mountSpec } from '../cli/build-vfs.ts'
import { describeIssue } from '../cli/config.ts'
import { describeMount, type MountSpec, mountSpecSchema } from '../cli/mount-types/index.ts'
import type { Service } from '../cli/service.ts'
import { createLogger } from '../log.ts'
import { VfsError } from '../vfs/errors.ts'
import { isWithin, normalizePath } from '../vfs/paths.ts'

const log = createLogger('mounts')

/** One mount as `mounts.list` shows it. */
export interface MountRow {
  point: string
  type: string
  /** config: from the config file; runtime: added with `mounts add` (persisted). */
  source: 'config' | 'runtime'
  /** False for a persisted runtime mount that could not be brought back at start. */
  active: boolean
  /** Why it is not active. */
  error?: string
  /** The mount type's secret-free description. */
  info: Record<string, unknown>
}

interface Stored {
  spec: unknown
  added: string
}

const pointSchema = z.string().regex(/^\/[^\0]+$/, 'an absolute path such as /local')

/** Validates a runtime mount exactly as the config file would (same schema, same one-line errors). */
export function parseRuntimeMount(point: unknown, spec: unknown, op: string): { point: string; spec: MountSpec } {
  const p = pointSchema.safeParse(point)
  if (!p.success) throw new VfsError('EINVAL', op, undefined, { message: `EINVAL: ${op}: point: ${p.error.issues[0]?.message ?? 'invalid'}` })
  const normal = normalizePath(p.data, op)
  if (normal === '/') throw new VfsError('EINVAL', op, normal, { message: `EINVAL: ${op}: the root cannot be a mount point` })
  const s = mountSpecSchema.safeParse(spec)
  if (!s.success) {
    const issue = s.error.issues[0]
    const text = issue ? describeIssue({ ...issue, path: ['mounts', normal, ...issue.path] }) : 'invalid'
    throw new VfsError('EINVAL', op, normal, { message: `EINVAL: ${op}: ${text}` })
  }
  return { point: normal, spec: s.data }
}

/**
 * Mounts added and removed while the daemon runs. Added ones are kept in the state database
 * (`mounts` sublevel, by point) and mounted again at every start, after the config's. Removing a
 * mount of the config file lasts until the next start: the file stays the source of truth.
 */
export class RuntimeMounts {
  readonly #service: Service
  readonly #db
  /** Persisted mounts that could not be brought back, with the reason. */
  readonly #failed = new Map<string, { spec: unknown; error: string }>()

  constructor(service: Service) {
    this.#service = service
    this.#db = service.db.sublevel<string, Stored>('mounts', { valueEncoding: 'json' })
  }

  /** Brings back the persisted mounts; one that fails is reported by list and logged, not fatal. */
  async restore(): Promise<void> {
    for await (const [point, stored] of this.#db.iterator()) {
      try {
        const parsed = parseRuntimeMount(point, stored.spec, 'mounts.restore')
        if (this.#service.config.mounts[parsed.point]) throw new Error('the config file now has a mount there')
        await this.#mount(parsed.point, parsed.spec, 'mounts.restore')
      } catch (err) {
        const error = (err as Error).message
        log.warn(`runtime mount ${point} not restored: ${error}`)
        this.#failed.set(point, { spec: stored.spec, error })
      }
    }
  }

  async list(): Promise<MountRow[]> {
    const runtime = new Set<string>()
    for await (const key of this.#db.keys()) runtime.add(key)
    const rows: MountRow[] = this.#service.vfs.mounts.list().map((m) => ({
      point: m.point,
      type: String(m.info.type ?? 'unknown'),
      source: runtime.has(m.point) ? 'runtime' : 'config',
      active: true,
      info: { ...m.info },
    }))
    for (const [point, f] of this.#failed) {
      const type = typeof f.spec === 'object' && f.spec && 'type' in f.spec ? String(f.spec.type) : 'unknown'
      rows.push({ point, type, source: 'runtime', active: false, error: f.error, info: {} })
    }
    return rows.sort((a, b) => a.point.localeCompare(b.point))
  }

  async add(point: unknown, spec: unknown): Promise<MountRow[]> {
    const parsed = parseRuntimeMount(point, spec, 'mounts.add')
    // Journaled like the Vfs's own unmount; the description, not the spec: no secrets in history.
    const ticket = await this.#service.journal?.begin({ op: 'mount', mount: parsed.point, paths: [parsed.point], args: describeMount(parsed.spec) })
    try {
      await this.#mount(parsed.point, parsed.spec, 'mounts.add')
      // Stored once it works: a spec that cannot mount is refused, not kept to fail at every start.
      await this.#db.put(parsed.point, { spec, added: new Date().toISOString() })
    } catch (err) {
      await ticket?.end({ errno: (err as { code?: string }).code ?? 'EIO' })
      throw err
    }
    await ticket?.end()
    this.#failed.delete(parsed.point)
    log.info(`mounted ${parsed.point} (${parsed.spec.type}) at run time`)
    return this.list()
  }

  async remove(point: unknown, force: boolean): Promise<MountRow[]> {
    if (typeof point !== 'string') throw new VfsError('EINVAL', 'mounts.remove', undefined, { message: 'EINVAL: mounts.remove: point: expected a string' })
    const p = normalizePath(point, 'mounts.remove')
    if (this.#failed.delete(p)) {
      await this.#db.del(p)
      return this.list()
    }
    await this.#service.vfs.removeMount(p, { force })
    await this.#db.del(p)
    log.info(`removed the mount at ${p}`)
    return this.list()
  }

  async #mount(point: string, spec: MountSpec, op: string): Promise<void> {
    const vfs = this.#service.vfs
    // Refused before the backend is made: making one may create folders or open a repository.
    for (const m of vfs.mounts.list()) {
      if (isWithin(point, m.point) || isWithin(m.point, point)) throw new VfsError('EBUSY', op, point, { message: `EBUSY: ${op} ${point}: overlaps the mount at ${m.point}` })
    }
    await mountSpec(vfs, point, spec, { stateDir: this.#service.config.stateDir, engines: this.#service.engines, db: this.#service.db })
    log.debug(`${point}: ${JSON.stringify(describeMount(spec))}`)
  }
}
