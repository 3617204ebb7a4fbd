import { clusterCommand } from './cluster.ts'
import { checkpointCommand } from './checkpoint.ts'
import type { Command } from './command.ts'
import { installHelperCommand } from './install-helper.ts'
import { journalCommand } from './journal.ts'
import { mcpCommand } from './mcp.ts'
import { mountCommand } from './mount.ts'
import { mountHelperCommand } from './mount-helper.ts'
import { mountsCommand } from './mounts.ts'
import { refreshCommand } from './refresh.ts'
import { restoreCommand } from './restore.ts'
import { statusCommand } from './status.ts'
import { syncCommand } from './sync.ts'
import { unmountCommand } from './unmount.ts'

/** Every CLI command, in the order `ipfs-vfs --help` lists them. */
export const COMMANDS: Command[] = [mountCommand, unmountCommand, journalCommand, statusCommand, mountsCommand, refreshCommand, syncCommand, checkpointCommand, restoreCommand, installHelperCommand, mountHelperCommand, clusterCommand, mcpCommand]
