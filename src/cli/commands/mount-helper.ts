import { MountHelperError, runMountHelper } from '../../ops/mount-helper.ts'
import type { Command } from './command.ts'

export const mountHelperCommand: Command = {
  name: 'mount-helper',
  summary: "mount(8)'s helper: SOURCE DIR -o OPTIONS (what mount -t fuse.ipfs-vfs and fstab run)",
  help: `Usage: ipfs-vfs mount-helper CONFIG MOUNTPOINT [-o OPTIONS]
       mount.fuse.ipfs-vfs CONFIG MOUNTPOINT [-o OPTIONS]      (the link install-helper makes)
       ipfs-vfs CONFIG MOUNTPOINT -o OPTIONS                     (as mount.fuse3 calls it)

Starts the daemon in the background (its log: <state dir>/daemon.log) and returns once the
mount answers, or prints the daemon's error and exits 32. CONFIG is the YAML config, or
'none' for the embedded default.

Options (-o, comma-separated):
  allow_other        let other users into the mount
  ro                 every mount read-only
  state_dir=DIR      the state directory (default /var/lib/ipfs-vfs for root without HOME)
  config=FILE        the config file (instead of CONFIG)
  log_level=LEVEL    debug|info|warn|error|silent; debug = log_level=debug
mount(8)'s own options (defaults, rw, _netdev, nofail, noauto, user, x-systemd.*, nosuid...)
are accepted and dropped; anything else is an error.`,
  async run(argv) {
    if (argv.includes('-h') || argv.includes('--help')) {
      process.stdout.write(`${this.help}\n`)
      return 0
    }
    try {
      return await runMountHelper(argv)
    } catch (err) {
      if (!(err instanceof MountHelperError)) throw err
      process.stderr.write(`ipfs-vfs: ${err.message}\n`)
      return err.exitCode
    }
  },
}
