import { type FuseMount, mountFuse } from '../fuse/fuse-mount.ts'
import { type ControlServer, startControlServer } from '../control/server.ts'
import { controlSocketPath } from '../control/protocol.ts'
import { createLogger } from '../log.ts'
import { abortBusyMount } from '../ops/force-unmount.ts'
import { notifyStopping } from '../ops/notify.ts'
import type { Config } from './config.ts'
import { Service } from './service.ts'

const log = createLogger('daemon')

/** The running daemon: a Service behind a FUSE mount, its methods served on the control socket. */
export class Daemon {
  readonly service: Service
  readonly fuse: FuseMount
  readonly control: ControlServer
  #stopped: Promise<number> | undefined
  readonly #done = Promise.withResolvers<number>()

  private constructor(service: Service, fuse: FuseMount, control: ControlServer) {
    this.service = service
    this.fuse = fuse
    this.control = control
  }

  static async start(config: Config, target: string, opts: Parameters<typeof Service.open>[1] = {}): Promise<Daemon> {
    const service = await Service.open(config, opts)
    let control: ControlServer | undefined
    try {
      control = await startControlServer(controlSocketPath(config.stateDir), service.methods)
      const fuse = await mountFuse(service.vfs, target, config.fuse)
      service.startDaemonTasks()
      return new Daemon(service, fuse, control)
    } catch (err) {
      await control?.close()
      await service.close()
      throw err
    }
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
    await notifyStopping(why)
    // Flushed before the unmount so that a failing upload is still reported while the files are visible.
    const failed = await this.service.vfs.files.flushAll()
    for (const err of failed) log.error('upload not finished at shutdown', err)
    if (unmount) {
      await abortBusyMount(this.fuse.mountpoint, this.service.vfs.files.handles.size)
      await this.fuse.unmount().catch((err: unknown) => log.error(`unmount ${this.fuse.mountpoint}`, err))
    }
    await this.control.close()
    const late = await this.service.close()
    return failed.length || late.length ? 1 : 0
  }

  /** Serves until SIGINT/SIGTERM or an external unmount; resolves to the exit code. */
  serve(): Promise<number> {
    process.once('SIGINT', () => void this.stop('SIGINT'))
    process.once('SIGTERM', () => void this.stop('SIGTERM'))
    this.fuse.exited.then(() => this.stop('unmounted', false))
    return this.#done.promise
  }
}
