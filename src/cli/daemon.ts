import { type FuseMount, mountFuse } from '../fuse/fuse-mount.ts'
import { type ControlServer, startControlServer } from '../control/server.ts'
import { controlSocketPath } from '../control/protocol.ts'
import { createLogger } from '../log.ts'
import type { Vfs } from '../vfs/vfs.ts'
import { buildVfs } from './build-vfs.ts'
import type { Config } from './config.ts'

const log = createLogger('daemon')

/** The running daemon: one Vfs, its FUSE mount and the control socket that the CLI and MCP use. */
export class Daemon {
  readonly config: Config
  readonly vfs: Vfs
  readonly fuse: FuseMount
  readonly control: ControlServer
  readonly #stops: (() => Promise<void>)[] = []
  #stopped: Promise<number> | undefined
  readonly #done = Promise.withResolvers<number>()

  private constructor(config: Config, vfs: Vfs, fuse: FuseMount, control: ControlServer) {
    this.config = config
    this.vfs = vfs
    this.fuse = fuse
    this.control = control
  }

  static async start(config: Config, target: string): Promise<Daemon> {
    const vfs = await buildVfs(config)
    let control: ControlServer | undefined
    try {
      control = await startControlServer(controlSocketPath(config.stateDir), { ping: async () => ({ pid: process.pid }) })
      const fuse = await mountFuse(vfs, target, config.fuse)
      return new Daemon(config, vfs, fuse, control)
    } catch (err) {
      await control?.close()
      await vfs.close()
      throw err
    }
  }

  /** Runs at shutdown after pending uploads are flushed and before the backends close; last added runs first. */
  onStop(fn: () => Promise<void>): void {
    this.#stops.unshift(fn)
  }

  /** Flushes pending uploads, unmounts (unless the kernel already did), closes everything. Resolves to the exit code. */
  stop(why: string, unmount = true): Promise<number> {
    if (!this.#stopped) {
      this.#stopped = this.#stop(why, unmount)
      this.#stopped.then(this.#done.resolve)
    }
    return this.#stopped
  }

  async #stop(why: string, unmount: boolean): Promise<number> {
    log.info(`stopping (${why})`)
    const failed = await this.vfs.files.flushAll()
    for (const err of failed) log.error('upload not finished at shutdown', err)
    if (unmount) await this.fuse.unmount().catch((err: unknown) => log.error(`unmount ${this.fuse.mountpoint}`, err))
    await this.control.close()
    for (const fn of this.#stops) await fn().catch((err: unknown) => log.error('shutdown step', err))
    await this.vfs.close().catch((err: unknown) => log.error('closing backends', err))
    return failed.length ? 1 : 0
  }

  /** Serves until SIGINT/SIGTERM or an external unmount. */
  serve(): Promise<number> {
    process.once('SIGINT', () => void this.stop('SIGINT'))
    process.once('SIGTERM', () => void this.stop('SIGTERM'))
    this.fuse.exited.then(() => this.stop('unmounted', false))
    return this.#done.promise
  }
}
