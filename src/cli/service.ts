import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'
import type { ControlMethods } from '../control/protocol.ts'
import type { Journal } from '../journal/journal.ts'
import { createLogger } from '../log.ts'
import type { HeliaEngine } from '../mounts/ipfs/index.ts'
import type { Vfs } from '../vfs/vfs.ts'
import { buildVfs } from './build-vfs.ts'
import type { Config } from './config.ts'
import { FEATURES } from './features.ts'
import { EngineRegistry } from './mount-types/engines.ts'

const log = createLogger('service')

/** The daemon's LevelDB: one writer. Each feature keeps its records in its own sublevel. */
export type StateDb = Level<string, unknown>

/**
 * Everything but FUSE: the Vfs, the state database and the table of control methods that the
 * CLI (through the control socket) and the MCP adapter call. The daemon serves one of these
 * behind a FUSE mount; `ipfs-vfs mcp` and CLI commands open one themselves when no daemon runs.
 */
export class Service {
  readonly config: Config
  readonly vfs: Vfs
  readonly db: StateDb
  /** Methods by name; the control socket serves this very object, so later registrations are live. */
  readonly methods: ControlMethods
  /**
   * The write-ahead journal (src/journal/journal.ts), opened and recovered by the journal feature
   * before anything is served; undefined when the config turns it off. Other features read
   * `journal.lastSeq` and record their own operations with `journal.begin(...)`.
   */
  journal: Journal | undefined
  /** The IPFS engines the mounts hold; `ipfs()` shares them. */
  readonly engines: EngineRegistry
  readonly #closers: (() => Promise<void>)[] = []
  readonly #daemonTasks: (() => void)[] = []
  #ipfs: Promise<HeliaEngine> | undefined
  #releaseIpfs: (() => Promise<void>) | undefined
  #closed: Promise<void> | undefined

  private constructor(config: Config, vfs: Vfs, db: StateDb, engines: EngineRegistry) {
    this.config = config
    this.vfs = vfs
    this.db = db
    this.engines = engines
    this.methods = { ping: async () => ({ pid: process.pid }) }
  }

  /** `prepare` runs on the built Vfs before the features (tests add mounts the config cannot describe). */
  static async open(config: Config, opts: { prepare?: (vfs: Vfs) => Promise<void> } = {}): Promise<Service> {
    await mkdir(config.stateDir, { recursive: true })
    const db: StateDb = new Level(join(config.stateDir, 'state'), { valueEncoding: 'json' })
    await db.open().catch((err: { cause?: { code?: string } }) => {
      if (err.cause?.code !== 'LEVEL_LOCKED') throw err
      throw Object.assign(new Error(`the state directory ${config.stateDir} is in use by another ipfs-vfs process (a daemon, or 'ipfs-vfs mcp' running without one)`), { code: 'EBUSY', cause: err })
    })
    let vfs: Vfs
    const engines = new EngineRegistry()
    try {
      vfs = await buildVfs(config, engines, db)
      await opts.prepare?.(vfs)
    } catch (err) {
      await db.close()
      throw err
    }
    const service = new Service(config, vfs, db, engines)
    try {
      for (const feature of FEATURES) await feature(service)
    } catch (err) {
      await service.close()
      throw err
    }
    return service
  }

  register(methods: ControlMethods): void {
    Object.assign(this.methods, methods)
  }

  /**
   * The embedded IPFS engine (Helia over `<stateDir>/helia`) that sync and checkpoints write to:
   * the one an /ipfs mount on Helia already holds, or opened here on first use (offline unless a
   * mount asked for networking) and held until close.
   */
  ipfs(): Promise<HeliaEngine> {
    this.#ipfs ??= (async () => {
      const networking = Object.values(this.config.mounts).some((m) => m.type === 'ipfs' && 'networking' in m && m.networking === true)
      // Released in #close after the close hooks, so a feature's hook can still finish its work on it.
      const held = await this.engines.helia(join(this.config.stateDir, 'helia'), networking)
      this.#releaseIpfs = held.release
      return held.engine
    })()
    return this.#ipfs
  }

  /** Background work only a daemon does (automatic checkpoints...); a Service opened for one CLI call never runs it. */
  onDaemon(fn: () => void): void {
    this.#daemonTasks.push(fn)
  }

  /** Called by the daemon once it serves: starts what onDaemon registered. */
  startDaemonTasks(): void {
    for (const fn of this.#daemonTasks.splice(0)) fn()
  }

  /** Runs at close, after pending uploads are flushed and before the backends and the database close; last added runs first. */
  onClose(fn: () => Promise<void>): void {
    this.#closers.unshift(fn)
  }

  /** Flushes pending uploads, runs the close hooks, closes the backends and the database. Resolves to the uploads that failed. */
  async close(): Promise<Error[]> {
    const failed = await this.vfs.files.flushAll()
    for (const err of failed) log.error('upload not finished at shutdown', err)
    this.#closed ??= this.#close()
    await this.#closed
    return failed
  }

  async #close(): Promise<void> {
    for (const fn of this.#closers) await fn().catch((err: unknown) => log.error('shutdown step', err))
    await this.#ipfs?.catch(() => undefined)
    await this.#releaseIpfs?.().catch((err: unknown) => log.error('closing the IPFS engine', err))
    await this.vfs.close().catch((err: unknown) => log.error('closing backends', err))
    await this.db.close().catch((err: unknown) => log.error('closing the state database', err))
  }
}
