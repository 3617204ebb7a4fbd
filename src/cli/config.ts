import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { DEFAULT_FUSE_OPTIONS, type FuseMountOptions } from '../fuse/fuse-mount.ts'
import { type MountSpec, mountSpecSchema } from './mount-types/index.ts'

export type { MountSpec }

const fuseSection = z
  .strictObject({
    allowOther: z.boolean(),
    attrTimeout: z.number().nonnegative(),
    entryTimeout: z.number().nonnegative(),
    maxWrite: z.number().int().min(4096).max(1 << 20),
    opTimeoutMs: z.number().int().positive(),
    syncTimeoutMs: z.number().int().positive(),
  })
  .partial()

const mountPoint = z.string().regex(/^\/[^\0]+$/, 'an absolute path such as /local')

const metricsSection = z.strictObject({
  /** host:port of the Prometheus endpoint (GET /metrics), e.g. 127.0.0.1:9464; port 0 picks one. */
  listen: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/, 'host:port such as 127.0.0.1:9464'),
  /** Serve on an address other than loopback (the metrics name your mounts). Default false. */
  allowRemote: z.boolean().default(false),
})

const journalSection = z.strictObject({
  /** Record every mutating operation (write-ahead) and recover at start. Default true; false is for benchmarks. */
  enabled: z.boolean(),
})

const checkpointsSection = z
  .strictObject({
    /** Take a checkpoint of every writable mount this often. */
    intervalSeconds: z.number().positive(),
    /** ...or once this many operations were journaled since the last one. */
    everyOps: z.number().int().positive(),
    /** Automatic checkpoints kept; older ones are deleted and the journal compacted up to the oldest kept. */
    keep: z.number().int().positive(),
  })
  .partial()

const configSchema = z.strictObject({
  /** Mounts keyed by where they appear, e.g. /local. */
  mounts: z.record(mountPoint, mountSpecSchema).optional(),
  fuse: fuseSection.optional(),
  /** Journal, staging, control socket; --state-dir overrides it. */
  stateDir: z.string().min(1).optional(),
  /** Automatic checkpoints, taken by the daemon (src/journal/checkpoints/auto.ts). */
  checkpoints: checkpointsSection.optional(),
  /** The write-ahead journal. */
  journal: journalSection.optional(),
  /** Optional Prometheus endpoint of the daemon. */
  metrics: metricsSection.optional(),
})

export interface Config {
  mounts: Record<string, MountSpec>
  fuse: FuseMountOptions
  stateDir: string
  checkpoints?: z.infer<typeof checkpointsSection>
  /** Absent: the journal is on. */
  journal?: z.infer<typeof journalSection>
  metrics?: z.infer<typeof metricsSection>
}

/** What the command line (and mount -o options) change in a loaded config. */
export interface ConfigOverrides {
  stateDir?: string
  fuse?: Partial<FuseMountOptions>
  /** Every mount read-only (mount -o ro). */
  readOnly?: boolean
}

/** A bad config file: the message is one line naming the file, the key and what was expected. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function defaultStateDir(): string {
  // Started by mount(8) or systemd there may be no HOME: root's state then lives where services keep theirs.
  if (!process.env.XDG_DATA_HOME && !process.env.HOME && process.getuid?.() === 0) return '/var/lib/ipfs-vfs'
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share')
  return join(base, 'ipfs-vfs')
}

/** The embedded default: /local over a folder in the state directory, /ipfs on embedded Helia. */
export function defaultMounts(stateDir: string): Record<string, MountSpec> {
  return {
    '/local': { type: 'local', root: join(stateDir, 'local') },
    '/ipfs': { type: 'ipfs', engine: 'helia', networking: false, preserveMtime: true },
  }
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join('.') || '(top level)'
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${key === '(top level)' ? '' : `${key}.`}${issue.keys.join(', ')}: unknown key`
    case 'invalid_union':
      return `${key}: expected one of ${'options' in issue && Array.isArray(issue.options) ? issue.options.filter((o) => o != null).join(', ') : 'the documented values'}`
    default:
      return `${key}: ${issue.message.replace(/^Invalid input: /, '')}`
  }
}

/** Parses and validates a config; `source` names the file in errors. */
export function parseConfig(text: string, source: string, overrides: ConfigOverrides = {}): Config {
  let raw: unknown
  try {
    raw = parseYaml(text) ?? {}
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    const first = parsed.error.issues[0]
    throw new ConfigError(`${source}: ${first ? describeIssue(first) : 'invalid'}`)
  }
  const stateDir = resolve(overrides.stateDir ?? parsed.data.stateDir ?? defaultStateDir())
  let mounts = parsed.data.mounts ?? defaultMounts(stateDir)
  if (overrides.readOnly) mounts = Object.fromEntries(Object.entries(mounts).map(([point, spec]) => [point, { ...spec, readOnly: true }]))
  const fuse = Object.freeze({ ...DEFAULT_FUSE_OPTIONS, ...parsed.data.fuse, ...overrides.fuse })
  return Object.freeze({ mounts, fuse, stateDir, ...(parsed.data.checkpoints ? { checkpoints: Object.freeze(parsed.data.checkpoints) } : {}), ...(parsed.data.journal ? { journal: Object.freeze(parsed.data.journal) } : {}), ...(parsed.data.metrics ? { metrics: Object.freeze(parsed.data.metrics) } : {}) })
}

export async function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}): Promise<Config> {
  if (!file) return parseConfig('', '(defaults)', overrides)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
  return parseConfig(text, file, overrides)
}
