import type { Capabilities } from '../../vfs/backend.ts'

/**
 * What a UnixFS tree can keep, for every mount built on one (/ipfs on Helia or Kubo, /storacha,
 * /cluster): mode and (with `preserveMtime`) mtime as UnixFS metadata, symlink nodes, no owners,
 * no hard links, no atime; `user.ipfs.cid` readable, not writable.
 */
export function unixfsCapabilities(preserveMtime: boolean, rename: Capabilities['rename'] = 'atomic'): Capabilities {
  return Object.freeze({
    writes: 'wholeObject',
    readOnly: false,
    rename,
    symlinks: true,
    hardLinks: false,
    chmod: true,
    chown: false,
    utimens: preserveMtime,
    atime: false,
    xattrs: true,
    xattrsWritable: false,
  })
}
