import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BIN, installHelper, uninstallHelper } from '../../ops/install-helper.ts'
import { type Command, printHelp, UsageError } from './command.ts'

export const installHelperCommand: Command = {
  name: 'install-helper',
  summary: 'Link mount.fuse.ipfs-vfs (and ipfs-vfs) so mount -t fuse.ipfs-vfs and fstab work',
  help: `Usage: ipfs-vfs install-helper [--prefix DIR] [--bin-dir DIR] [--no-bin] [--systemd DIR] [--force]
       ipfs-vfs install-helper --uninstall [--prefix DIR] [--bin-dir DIR]

Links <prefix>/mount.fuse.ipfs-vfs to this checkout's bin/ipfs-vfs (mount(8) runs it for
'mount -t fuse.ipfs-vfs' and fstab lines), and <bin-dir>/ipfs-vfs (what mount.fuse3 and the
unit files run). With --systemd DIR, also writes the unit files of scripts/systemd there with
that path in ExecStart. Needs root for the default places.

Options:
  --prefix DIR      where the mount helper goes (default /sbin: mount(8) looks nowhere else)
  --bin-dir DIR     where the ipfs-vfs link goes (default /usr/local/bin)
  --no-bin          no ipfs-vfs link
  --systemd DIR     write the unit files there (e.g. /etc/systemd/system)
  --force           replace existing files of the same names
  --uninstall       remove the links (only if they point here)
  -h, --help        this help`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { prefix: { type: 'string' }, 'bin-dir': { type: 'string' }, 'no-bin': { type: 'boolean' }, systemd: { type: 'string' }, force: { type: 'boolean' }, uninstall: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help) return printHelp(this.help)
    if (positionals.length) throw new UsageError('install-helper takes no arguments')
    const opts = {
      prefix: resolve(values.prefix ?? '/sbin'),
      binDir: values['no-bin'] ? undefined : resolve(values['bin-dir'] ?? '/usr/local/bin'),
      systemdDir: values.systemd === undefined ? undefined : resolve(values.systemd),
      bin: BIN,
      force: values.force ?? false,
    }
    const done = values.uninstall ? await uninstallHelper(opts) : await installHelper(opts)
    for (const line of done) process.stdout.write(`${line}\n`)
    return 0
  },
}
