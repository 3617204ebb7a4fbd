import { createLogger } from '../log.ts'
import { UsageError } from './commands/command.ts'
import { COMMANDS } from './commands/index.ts'
import { mountHelperCommand } from './commands/mount-helper.ts'
import { ConfigError } from './config.ts'

const log = createLogger('cli')

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return `Usage: ipfs-vfs <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

Run 'ipfs-vfs <command> --help' for a command's options.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  try {
    if (name === undefined || name === 'help' || name === '-h' || name === '--help') {
      process.stdout.write(`${mainHelp()}\n`)
      return 0
    }
    const command = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name))
    // mount.fuse3 runs `ipfs-vfs SOURCE DIR -o OPTS`: a path where a command name would be.
    if (!command && (name.includes('/') || rest.includes('-o'))) return await mountHelperCommand.run(argv)
    if (!command) throw new UsageError(`unknown command '${name}' (try --help)`)
    return await command.run(rest)
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
