/** One CLI command: `ipfs-vfs <name> ...`. */
export interface Command {
  name: string
  aliases?: string[]
  /** One line for `ipfs-vfs --help`. */
  summary: string
  /** The whole text of `ipfs-vfs <name> --help`. */
  help: string
  /** Resolves to the exit code. Throw UsageError for bad arguments (exit 2). */
  run(argv: string[]): Promise<number>
}

/** Bad arguments: printed as one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export function printHelp(text: string): number {
  process.stdout.write(`${text}\n`)
  return 0
}
