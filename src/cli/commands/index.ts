import { checkpointCommand } from './checkpoint.ts'
import type { Command } from './command.ts'
import { journalCommand } from './journal.ts'
import { mcpCommand } from './mcp.ts'
import { mountCommand } from './mount.ts'
import { restoreCommand } from './restore.ts'
import { syncCommand } from './sync.ts'
import { unmountCommand } from './unmount.ts'

/** Every CLI command, in the order `ipfs-vfs --help` lists them. */
export const COMMANDS: Command[] = [mountCommand, unmountCommand, journalCommand, syncCommand, checkpointCommand, restoreCommand, mcpCommand]
