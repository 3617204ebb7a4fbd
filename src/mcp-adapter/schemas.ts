import { z } from 'zod'

/** Shared argument and result fields, described once so every tool says the same thing. */
export const vfsPath = z.string().min(1).describe('Absolute VFS path such as /local/notes.txt or /ipfs/site/index.html; relative paths, NUL and ".." are refused')

export const encoding = z.enum(['utf8', 'base64']).describe('utf8 for text, base64 for binary content')

/** The most a tool returns or accepts inline; larger files are read or written by range. */
export const MAX_INLINE_BYTES = 1 << 20

export const statShape = {
  path: z.string().describe('The VFS path asked about'),
  type: z.enum(['file', 'dir', 'symlink', 'other']).describe('Entry type (a symlink is not followed)'),
  size: z.number().describe('Size in bytes'),
  mode: z.number().describe('Full st_mode (type and permission bits)'),
  permissions: z.string().describe('Permission bits in octal, e.g. 0644'),
  uid: z.number().describe('Owner user id'),
  gid: z.number().describe('Owner group id'),
  nlink: z.number().describe('Hard link count'),
  ino: z.number().describe('Inode number as FUSE reports it'),
  mtime: z.string().describe('Last modification, ISO 8601'),
  atime: z.string().describe('Last access, ISO 8601 (mounts without atime report mtime)'),
  ctime: z.string().describe('Last status change, ISO 8601'),
  mtimeNs: z.string().describe('Last modification in nanoseconds since the epoch, as a decimal string'),
  cid: z.string().optional().describe('The IPFS CID of this entry, where the mount keeps one (/ipfs, /cluster, /storacha)'),
  cluster: z.unknown().optional().describe('IPFS Cluster pin status on /cluster: {cid, name, peers: {<peer>: {status, error?}}}'),
}

export const listEntry = z.object({
  name: z.string().describe('Entry name'),
  path: z.string().describe('Absolute VFS path of the entry'),
  type: z.string().describe('file, dir, symlink or other'),
  size: z.number().optional().describe('Size in bytes (detailed listings)'),
  mtime: z.string().optional().describe('Last modification, ISO 8601 (detailed listings)'),
  permissions: z.string().optional().describe('Permission bits in octal (detailed listings)'),
})

export const treeCount = {
  files: z.number().describe('Files (and symlinks) handled'),
  dirs: z.number().describe('Folders handled'),
  bytes: z.number().describe('File bytes handled'),
}

/** A result field whose shape belongs to another feature's control method: passed through as it is. */
export const passthrough = (what: string) => z.unknown().describe(what)
