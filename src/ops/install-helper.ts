import { lstat, mkdir, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** The checkout's own launcher: it finds its Node and sources through the link it is run by. */
export const BIN = new URL('../../bin/ipfs-vfs', import.meta.url).pathname
export const UNITS_DIR = new URL('../../scripts/systemd/', import.meta.url).pathname
/** The path the shipped unit files name; install-helper --systemd rewrites it to the real one. */
export const UNIT_BIN = '/usr/local/bin/ipfs-vfs'

export interface InstallOptions {
  /** Where mount(8) looks for mount.<type> helpers: /sbin (also /sbin/fs.d, /sbin/fs). */
  prefix: string
  /** Where mount.fuse3 and the unit files find `ipfs-vfs`; undefined: not linked. */
  binDir: string | undefined
  /** Where unit files are written (e.g. /etc/systemd/system); undefined: none. */
  systemdDir: string | undefined
  /** The launcher the links point at. */
  bin: string
  force: boolean
}

/** Makes `link` point at `target`: an existing link to the same target is fine, anything else needs force. */
async function link(target: string, path: string, force: boolean): Promise<string> {
  const existing = await lstat(path).catch(() => undefined)
  if (existing) {
    const current = existing.isSymbolicLink() ? await readlink(path) : undefined
    if (current === target) return `${path} -> ${target} (already)`
    if (!force) throw new Error(`${path} exists${current ? ` (-> ${current})` : ''}; --force replaces it`)
    await rm(path)
  }
  await symlink(target, path)
  return `${path} -> ${target}`
}

/** Removes `path` only if it is our link (to `target`). */
async function unlink(target: string, path: string): Promise<string | undefined> {
  const current = await readlink(path).catch(() => undefined)
  if (current !== target) return undefined
  await rm(path)
  return `removed ${path}`
}

/** The shipped unit files with the launcher's real path in ExecStart and the helper's path. */
export async function renderUnits(bin: string): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const name of (await readdir(UNITS_DIR)).sort()) {
    if (!/\.(service|mount|automount)$/.test(name)) continue
    out.set(name, (await readFile(join(UNITS_DIR, name), 'utf8')).replaceAll(UNIT_BIN, bin))
  }
  return out
}

export async function installHelper(o: InstallOptions): Promise<string[]> {
  const done: string[] = []
  await mkdir(o.prefix, { recursive: true })
  done.push(await link(o.bin, join(o.prefix, 'mount.fuse.ipfs-vfs'), o.force))
  if (o.binDir) {
    await mkdir(o.binDir, { recursive: true })
    done.push(await link(o.bin, join(o.binDir, 'ipfs-vfs'), o.force))
  }
  if (o.systemdDir) {
    await mkdir(o.systemdDir, { recursive: true })
    // Units name the binDir link when there is one, so they keep working if the checkout moves and is linked again.
    const units = await renderUnits(o.binDir ? join(o.binDir, 'ipfs-vfs') : o.bin)
    for (const [name, text] of units) {
      await writeFile(join(o.systemdDir, name), text)
      done.push(`wrote ${join(o.systemdDir, name)}`)
    }
  }
  return done
}

export async function uninstallHelper(o: InstallOptions): Promise<string[]> {
  const done: (string | undefined)[] = [await unlink(o.bin, join(o.prefix, 'mount.fuse.ipfs-vfs'))]
  if (o.binDir) done.push(await unlink(o.bin, join(o.binDir, 'ipfs-vfs')))
  return done.filter((d): d is string => d !== undefined)
}
