/**
 * File attributes in object metadata, with the names and formats s3fs uses, so a bucket written
 * through either reads the same in the other: `x-amz-meta-mode` (decimal st_mode with the type
 * bits; s3fs's folder markers carry only the permission bits), `-uid`, `-gid`, `-mtime` (seconds
 * since the epoch, then '.' and nine digits of nanoseconds when there are any). The SDK adds and strips the `x-amz-meta-` part. Objects written by other tools
 * have none: they read as 0644 files and 0755 folders of the mount's owner, at LastModified.
 */
import type { Stat } from '../../vfs/backend.ts'
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../vfs/backend.ts'

export interface Attrs {
  mode: number
  uid: number
  gid: number
  mtimeNs: bigint
}

/** mtime as s3fs writes it: "1700000000" or "1700000000.123456789". */
export function formatTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n
  const frac = ns % 1_000_000_000n
  return frac === 0n ? String(sec) : `${sec}.${String(frac).padStart(9, '0')}`
}

/**
 * s3fs reads the part after the dot as a count of nanoseconds, not as a decimal fraction
 * ("1600000000.5" is 5 ns past the second, as s3fs 1.90 shows it): so do we, and we always
 * write nine digits, which both readings agree on.
 */
export function parseTime(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(text.trim())
  if (!m) return undefined
  const sec = BigInt(m[1] as string)
  const nsec = m[2] === undefined ? 0n : BigInt(m[2] as string)
  return sec * 1_000_000_000n + (sec < 0n ? -nsec : nsec)
}

function parseInt10(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined
  return Number(text.trim())
}

export function toMetadata(a: Attrs): Record<string, string> {
  return { mode: String(a.mode), uid: String(a.uid), gid: String(a.gid), mtime: formatTime(a.mtimeNs) }
}

export interface ObjectInfo {
  metadata: Record<string, string> | undefined
  size: number
  lastModified: Date | undefined
}

export interface Owner {
  uid: number
  gid: number
}

/**
 * The stat of an object. `kind` says what the key told us (a key ending in '/' is a folder); the
 * mode's type bits, when present, decide between file and symlink as s3fs does.
 */
export function statOf(info: ObjectInfo, kind: 'file' | 'dir', owner: Owner): Stat {
  const md = info.metadata ?? {}
  const rawMode = parseInt10(md.mode)
  const fallbackType = kind === 'dir' ? S_IFDIR : S_IFREG
  let type = rawMode === undefined ? 0 : rawMode & S_IFMT
  if (kind === 'dir') type = S_IFDIR
  else if (type !== S_IFLNK) type = S_IFREG
  const perm = rawMode === undefined ? (fallbackType === S_IFDIR ? 0o755 : 0o644) : rawMode & 0o7777
  const lm = info.lastModified ? BigInt(info.lastModified.getTime()) * 1_000_000n : 0n
  const mtimeNs = parseTime(md.mtime) ?? lm
  return {
    mode: type | perm,
    size: kind === 'dir' ? 0 : info.size,
    uid: parseInt10(md.uid) ?? owner.uid,
    gid: parseInt10(md.gid) ?? owner.gid,
    nlink: 1,
    atimeNs: mtimeNs,
    mtimeNs,
    ctimeNs: lm > mtimeNs ? lm : mtimeNs,
  }
}

/** A folder that exists only because keys live under it (no marker): the mount's owner, 0755. */
export function implicitDirStat(owner: Owner, mtimeNs = 0n): Stat {
  return { mode: S_IFDIR | 0o755, size: 0, uid: owner.uid, gid: owner.gid, nlink: 1, atimeNs: mtimeNs, mtimeNs, ctimeNs: mtimeNs }
}
