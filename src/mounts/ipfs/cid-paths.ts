/**
 * `/.cid/<cid>[/path]`: any CID, read-only, beside the mutable tree. `/.cid` itself is a
 * directory that lists nothing (CIDs are not enumerable) and is hidden from the root listing, like
 * a `.snapshot` folder; a name under it is looked up by parsing it as a CID (CIDv0 `Qm...`, or
 * CIDv1 in base32 `b...`, base58btc `z...` or base36 `k...`). Every change anywhere under it is
 * EROFS, including creating `/.cid` in the tree: the name is reserved.
 */
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { CID } from 'multiformats/cid'
import { type Stat, S_IFDIR } from '../../vfs/backend.ts'
import { errno } from './errors.ts'
import { splitPath } from './tree.ts'

export const CID_DIR = '.cid'

export type Location =
  /** A path in the mutable tree. */
  | { kind: 'tree'; parts: string[] }
  /** `/.cid` itself. */
  | { kind: 'cid-root' }
  /** `/.cid/<cid>/parts...`; `cid` is undefined when the name is not a CID (ENOENT on lookup). */
  | { kind: 'cid'; cid: CID | undefined; parts: string[] }

const decoder = base32.decoder.or(base58btc.decoder).or(base36.decoder)

export function parseCid(text: string): CID | undefined {
  try {
    return text.startsWith('Qm') ? CID.parse(text) : CID.parse(text, decoder)
  } catch {
    return undefined
  }
}

export function locate(path: string): Location {
  const parts = splitPath(path)
  if (parts[0] !== CID_DIR) return { kind: 'tree', parts }
  if (parts.length === 1) return { kind: 'cid-root' }
  return { kind: 'cid', cid: parseCid(parts[1] as string), parts: parts.slice(2) }
}

/** The path as a tree path, or EROFS: nothing under /.cid changes. */
export function writable(path: string): string[] {
  const where = locate(path)
  if (where.kind !== 'tree') throw errno('EROFS')
  return where.parts
}

/** `/.cid` itself: read-only, searchable, not listable in any useful way; its time is unknown. */
export function cidRootStat(owner: { uid: number; gid: number }): Stat {
  return { mode: S_IFDIR | 0o555, size: 0, uid: owner.uid, gid: owner.gid, nlink: 1, atimeNs: 0n, mtimeNs: 0n, ctimeNs: 0n, blocks: 0 }
}

/** Entries reached through /.cid show no write permission: every write there is EROFS. */
export function readOnlyStat(stat: Stat): Stat {
  return { ...stat, mode: stat.mode & ~0o222 }
}
