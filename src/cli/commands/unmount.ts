import { execFile } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { parseArgs, promisify } from 'node:util'
import { detach, isMounted } from '../../fuse/stale-mount.ts'
import { type Command, printHelp, UsageError } from './command.ts'

export const unmountCommand: Command = {
  name: 'unmount',
  aliases: ['umount'],
  summary: 'Unmount a running mount',
  help: `Usage: ipfs-vfs unmount <mountpoint> [--lazy]

Unmounts a mount made by 'ipfs-vfs mount'; the daemon uploads what is pending and exits.

Options:
  --lazy       detach now even if files are open (umount -l)
  -h, --help   this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { lazy: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help) return printHelp(this.help)
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
  },
}
