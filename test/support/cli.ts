import { join } from 'node:path'
import { NODE, ROOT } from './mount.ts'
import { run, type RunResult } from './tools.ts'

/** The CLI's entry point, run by this Node. */
export const CLI = join(ROOT, 'src/cli/main.ts')

/** `ipfs-vfs ARGS` as a user runs it (this process's environment), with its exit code and output. */
export function cli(...args: string[]): Promise<RunResult> {
  return run(NODE, [CLI, ...args], { cwd: ROOT, env: { ...process.env } as Record<string, string> })
}
