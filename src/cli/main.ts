import { realpath } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { type FuseMount, mountFuse } from '../fuse/fuse-mount.ts'
import { detach, isMounted } from '../fuse/stale-mount.ts'
import { createLogger } from '../log.ts'
import type { Vfs } from '../vfs/vfs.ts'
import { buildVfs } from './build-vfs.ts'
import { ConfigError, loadConfig } from './config.ts'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const log = createLogger('cli')

const HELP: Record<string, string> = {
  main: `Usage: ipfs-vfs <command> [options]

Commands:
  mount <mountpoint>     Mount the VFS in the foreground (Ctrl-C or SIGTERM unmounts cleanly)
  unmount <mountpoint>   Unmount a running mount

Run 'ipfs-vfs <command> --help' for a command's options.`,
  mount: `Usage: ipfs-vfs mount <mountpoint> [--config FILE] [--state-dir DIR]

Mounts every configured mount under <mountpoint> and serves it in the foreground.
With no --config: /local over a folder in the state directory.

Options:
  --config FILE      YAML config (mounts, fuse options); unknown keys are errors
  --state-dir DIR    journal, staging and control files (default $XDG_DATA_HOME/ipfs-vfs)
  -h, --help         this help`,
  unmount: `Usage: ipfs-vfs unmount <mountpoint> [--lazy]

Unmounts a mount made by 'ipfs-vfs mount'; the daemon uploads what is pending and exits.

Options:
  --lazy       detach now even if files are open (umount -l)
  -h, --help   this help`,
}

class UsageError extends Error {}

async function cmdMount(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string' }, 'state-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) return help('mount')
  const [target, ...rest] = positionals
  if (!target || rest.length) throw new UsageError('mount takes exactly one mount point')
  const config = await loadConfig(values.config, values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] })
  const vfs = await buildVfs(config)
  let mount: FuseMount
  try {
    mount = await mountFuse(vfs, target, config.fuse)
  } catch (err) {
    await vfs.close()
    throw err
  }
  process.stdout.write(`mounted ${vfs.mounts.list().map((m) => m.point).join(' ')} at ${mount.mountpoint}\n`)
  return serveUntilStopped(vfs, mount)
}

/** Runs until a signal or an external unmount; flushes pending uploads before exiting. */
function serveUntilStopped(vfs: Vfs, mount: FuseMount): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = async (why: string, unmount: boolean) => {
      if (stopping) return
      stopping = true
      log.info(`stopping (${why})`)
      const failed = await vfs.files.flushAll()
      for (const err of failed) log.error('upload not finished at shutdown', err)
      if (unmount) await mount.unmount().catch((err: unknown) => log.error(`unmount ${mount.mountpoint}`, err))
      await vfs.close().catch((err: unknown) => log.error('closing backends', err))
      resolve(failed.length ? 1 : 0)
    }
    process.once('SIGINT', () => void stop('SIGINT', true))
    process.once('SIGTERM', () => void stop('SIGTERM', true))
    mount.exited.then(() => stop('unmounted', false))
  })
}

async function cmdUnmount(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { lazy: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help) return help('unmount')
  const [target, ...rest] = positionals
  if (!target || rest.length) throw new UsageError('unmount takes exactly one mount point')
  const mp = await realpath(target).catch(() => target)
  if (!(await isMounted(mp))) throw new UsageError(`${mp} is not mounted`)
  if (values.lazy) await detach(mp)
  else {
    // Not lazy: a busy mount stays mounted and says so, as umount(8) does.
    await promisify(execFile)('fusermount', ['-u', mp]).catch((err: { stderr?: string }) => {
      throw new Error(`cannot unmount ${mp}: ${(err.stderr ?? String(err)).trim()}`)
    })
  }
  return 0
}

function help(topic: string): number {
  process.stdout.write(`${HELP[topic] ?? HELP.main}\n`)
  return 0
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'mount':
        return await cmdMount(rest)
      case 'unmount':
      case 'umount':
        return await cmdUnmount(rest)
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        return help('main')
      default:
        throw new UsageError(`unknown command '${command}' (try --help)`)
    }
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`ipfs-vfs: ${err.message}\n`)
      return 2
    }
    const e = err as Error & { code?: string }
    process.stderr.write(`ipfs-vfs: ${e.message ?? e}${e.code && !e.message?.includes(e.code) ? ` (${e.code})` : ''}\n`)
    log.debug('details', err)
    return 1
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2))
