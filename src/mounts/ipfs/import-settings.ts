/**
 * How /ipfs turns bytes into CIDs. One place, so the same bytes give the same CID whichever
 * engine wrote them (DESIGN.md, /ipfs).
 *
 * The settings are Kubo's current CIDv1 profile, IPIP-499 `unixfs-v1-2025`
 * (`ipfs config profile apply unixfs-v1-2025`), which are also @helia/unixfs 8's defaults:
 *   - CIDv1, sha2-256                                      (Import.CidVersion = 1)
 *   - raw leaves                                           (Import.UnixFSRawLeaves = true)
 *   - fixed-size chunks of 1 MiB                           (Import.UnixFSChunker = size-1048576)
 *   - balanced layout, at most 1024 links per file node    (Import.UnixFSFileMaxLinks = 1024)
 *   - a file of one chunk is its raw leaf (no dag-pb wrapper) when it carries no metadata
 *   - directories become HAMT shards (fanout 256, murmur3) when their block would exceed
 *     256 KiB, the size measured on the serialised block (Import.UnixFSHAMTDirectorySizeThreshold
 *     = 256KiB, Import.UnixFSHAMTDirectorySizeEstimation = block, i.e. @helia/unixfs's
 *     `shardSplitStrategy: 'block-bytes'`); a shard shrinking back under the threshold becomes a
 *     plain directory again, as Kubo's MFS does.
 * test/mounts/ipfs-cids.test.ts checks them against the CIDs Kubo's own tests publish
 * (kubo test/cli/cid_profiles_test.go).
 *
 * The CID rule for metadata. UnixFS keeps mode and mtime inside the node, so they change its CID:
 *   - mode is stored only when it is not the UnixFS default (0644 files, 0755 directories; the
 *     encoder omits the default itself). Absent reads back as the default, so nothing is lost.
 *   - mtime is stored on every file and directory when `preserveMtime` is on (the default: rsync,
 *     make and tar need it), as Kubo's `ipfs add --preserve-mtime` does; a whole second is stored
 *     without its zero nanoseconds field, as Go does.
 *   Hence: an entry's CID equals the CID of `ipfs add --cid-version=1` under this profile (and
 *   @helia/unixfs `addBytes` with no options) exactly when it carries no metadata: mode 0644 (0755
 *   for a directory) and no mtime, i.e. with `preserveMtime: false`, or content that arrived without
 *   metadata (everything under /.cid/). With metadata, the CID equals what @helia/unixfs gives for
 *   the same bytes with the same `{ mode, mtime }`; only the root node of a file differs, its
 *   leaves are shared.
 */
import type { AddFileOptions, CpOptions, RmOptions } from '@helia/unixfs'
import type { Mtime } from 'ipfs-unixfs'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

export interface ImportSettings {
  /** Bytes per leaf. Default 1_048_576. */
  readonly chunkSize: number
  /** Links per file node in the balanced layout. Default 1024. */
  readonly maxChildrenPerNode: number
  /** A directory whose block would exceed this many bytes becomes a HAMT shard. Default 262_144. */
  readonly shardSplitThresholdBytes: number
  /** log2 of the HAMT fanout. Default 8 (256). */
  readonly shardFanoutBits: number
  /** Store mtime in the UnixFS nodes (see the CID rule above). Default true. */
  readonly preserveMtime: boolean
}

export const KUBO_UNIXFS_V1_2025: ImportSettings = Object.freeze({
  chunkSize: 1_048_576,
  maxChildrenPerNode: 1024,
  shardSplitThresholdBytes: 262_144,
  shardFanoutBits: 8,
  preserveMtime: true,
})

export const DEFAULT_FILE_MODE = 0o644
export const DEFAULT_DIR_MODE = 0o755

/** Options for @helia/unixfs's file import; `mode`/`mtime` only when they are to be stored. */
export function fileImportOptions(s: ImportSettings, meta: { mode?: number; mtime?: Mtime }): AddFileOptions {
  return {
    profile: 'unixfs-v1-2025',
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: s.chunkSize }),
    layout: balanced({ maxChildrenPerNode: s.maxChildrenPerNode }),
    shardSplitStrategy: 'block-bytes',
    shardSplitThresholdBytes: s.shardSplitThresholdBytes,
    shardFanoutBits: s.shardFanoutBits,
    // Passing a default mode would make the importer wrap a one-chunk file in dag-pb even though
    // the encoder then omits the mode: the CID would differ from the same bytes without it.
    ...(meta.mode !== undefined && meta.mode !== DEFAULT_FILE_MODE ? { mode: meta.mode } : {}),
    ...(meta.mtime !== undefined ? { mtime: meta.mtime } : {}),
  }
}

/** Options for @helia/unixfs's cp/rm on directories: the same sharding rules as the importer. */
export function directoryEditOptions(s: ImportSettings): Pick<CpOptions & RmOptions, 'shardSplitStrategy' | 'shardSplitThresholdBytes' | 'shardFanoutBits'> {
  return { shardSplitStrategy: 'block-bytes', shardSplitThresholdBytes: s.shardSplitThresholdBytes, shardFanoutBits: s.shardFanoutBits }
}

const NS = 1_000_000_000n

/** Nanoseconds since the epoch as a UnixFS mtime; zero nanoseconds are left out, as Go does. */
export function toMtime(ns: bigint): Mtime {
  let secs = ns / NS
  let nsecs = ns % NS
  if (nsecs < 0n) {
    secs -= 1n
    nsecs += NS
  }
  return nsecs === 0n ? { secs } : { secs, nsecs: Number(nsecs) }
}

/** A UnixFS mtime as nanoseconds; an entry without one reports the epoch (its time is unknown). */
export function fromMtime(m: Mtime | undefined): bigint {
  if (m === undefined) return 0n
  return m.secs * NS + BigInt(m.nsecs ?? 0)
}
