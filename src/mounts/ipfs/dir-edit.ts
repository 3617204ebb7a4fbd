/**
 * Writing the UnixFS DAG: new directory and symlink nodes, metadata changes, and one directory's
 * entry added, replaced or removed. Every function returns a new node (blocks are immutable); the
 * tree (tree.ts) carries the change up to the root.
 *
 * Plain directories are edited here, in one block write: @helia/unixfs 8's `cp` would also bump
 * the directory's mtime (to microseconds written as nanoseconds) on every edit, including when only
 * a child's CID changed, which POSIX does not do. HAMT shards, and a plain directory about to
 * outgrow the shard threshold, go through @helia/unixfs's `cp`/`rm`, which implement the shard
 * layout and the conversion to a shard; the way back to a plain directory is decided here (see
 * setEntry), and the metadata is then set to what POSIX wants. test/mounts/ipfs-cids.test.ts
 * checks both conversions against Kubo's CIDs.
 */
import * as dagPB from '@ipld/dag-pb'
import type { PBLink, PBNode } from '@ipld/dag-pb'
import type { UnixFS as HeliaUnixFS } from '@helia/unixfs'
import { UnixFS, type Mtime } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { DEFAULT_FILE_MODE, directoryEditOptions } from './import-settings.ts'
import { dataFieldSize, linkSize, spliceLink } from './pb-splice.ts'
import { type DagContext, listLinks, loadNode, nodeFromBlock, type ReadOptions, readBlock, type TreeNode, tsizeOf } from './nodes.ts'

export interface EditContext extends DagContext {
  /** @helia/unixfs over the same blockstore: its cp/rm maintain HAMT shards. */
  readonly fs: Pick<HeliaUnixFS, 'cp' | 'rm'>
}

/** The hash function code every UnixFS HAMT uses (murmur3-x64-64); ipfs-unixfs does not round-trip it. */
const HAMT_HASH_TYPE = 0x22n

async function putBlock(ctx: DagContext, codec: number, block: Uint8Array, opts: ReadOptions): Promise<TreeNode> {
  const cid = CID.createV1(codec, await sha256.digest(block))
  await ctx.blockstore.put(cid, block, { signal: opts.signal })
  const node = nodeFromBlock(cid, block)
  if (node.pb !== undefined) ctx.nodes.set(cid, node)
  return node
}

const utf8 = new TextEncoder()

/** Stores a plain directory block built here; the node is known, so it is not decoded again. */
async function putDir(ctx: DagContext, pb: PBNode, unixfs: UnixFS, block: Uint8Array, opts: ReadOptions): Promise<TreeNode> {
  const cid = CID.createV1(dagPB.code, await sha256.digest(block))
  await ctx.blockstore.put(cid, block, { signal: opts.signal })
  const node: TreeNode = { cid, kind: 'dir', hamt: false, pb, unixfs, size: block.byteLength, blockSize: block.byteLength, block }
  ctx.nodes.set(cid, node)
  return node
}

/** dag-pb's link order: names compared as UTF-8 bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b))
}

/** Where `name` is, or would go, in `links` (sorted by name, as in every dag-pb node): a binary search. */
function search(links: PBLink[], name: string): { index: number; found: boolean } {
  let lo = 0
  let hi = links.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareNames((links[mid] as PBLink).Name ?? '', name) < 0) lo = mid + 1
    else hi = mid
  }
  return { index: lo, found: links[lo]?.Name === name }
}

/**
 * A plain directory with one link added, replaced or removed, encoded by splicing its block
 * (pb-splice.ts), or the ordinary way for a block that is not canonical. No re-sort either:
 * dag-pb's prepare() encodes both names at every comparison, which dominated large directories.
 */
function editPlain(dir: TreeNode, name: string, link: PBLink | undefined, data: Uint8Array): { node: PBNode; block: Uint8Array } {
  const old = (dir.pb as PBNode).Links
  const { index, found } = search(old, name)
  const links = old.slice(0, index)
  if (link !== undefined) links.push(link)
  for (let i = found ? index + 1 : index; i < old.length; i++) links.push(old[i] as PBLink)
  const node = { Data: data, Links: links }
  const spliced = dir.block === undefined ? undefined : spliceLink(dir.block, index, found, link, data)
  return { node, block: spliced ?? dagPB.encode(node) }
}

function putPB(ctx: DagContext, node: PBNode, opts: ReadOptions): Promise<TreeNode> {
  return putBlock(ctx, dagPB.code, dagPB.encode(dagPB.prepare(node)), opts)
}

/** An empty directory, as the importer builds it (mode omitted when 0755). */
export function makeDir(ctx: DagContext, meta: { mode: number; mtime?: Mtime }, opts: ReadOptions = {}): Promise<TreeNode> {
  return putPB(ctx, { Data: new UnixFS({ type: 'directory', mode: meta.mode, mtime: meta.mtime }).marshal(), Links: [] }, opts)
}

/** A UnixFS symlink node: the target verbatim as its data, as the importer's symlink builder does. */
export function makeSymlink(ctx: DagContext, target: string, mtime: Mtime | undefined, opts: ReadOptions = {}): Promise<TreeNode> {
  return putPB(ctx, { Data: new UnixFS({ type: 'symlink', data: new TextEncoder().encode(target), mtime }).marshal(), Links: [] }, opts)
}

/** Metadata to change: `mode` sets the permission bits; `mtime` sets it, `null` removes it. */
export interface MetaChange {
  mode?: number
  mtime?: Mtime | null
}

function sameMtime(a: Mtime | undefined, b: Mtime | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.secs === b.secs && (a.nsecs ?? 0) === (b.nsecs ?? 0))
}

/**
 * The node with its metadata changed, keeping it canonical: a one-chunk file gains a dag-pb
 * wrapper with its data inline when it gets metadata, and loses it (back to its raw leaf) when the
 * metadata goes: exactly what the importer produces for the same bytes and metadata.
 */
export async function setMeta(ctx: DagContext, node: TreeNode, change: MetaChange, opts: ReadOptions = {}): Promise<TreeNode> {
  const mtime = change.mtime === undefined ? node.unixfs?.mtime : (change.mtime ?? undefined)
  const mode = node.kind === 'symlink' ? undefined : (change.mode ?? node.unixfs?.mode)
  if (node.cid.code !== dagPB.code) {
    const bare = mtime === undefined && (mode === undefined || mode === DEFAULT_FILE_MODE)
    if (bare || node.cid.code !== raw.code) return node
    const data = await readBlock(ctx, node.cid, opts)
    return putPB(ctx, { Data: new UnixFS({ type: 'file', data, mode, mtime }).marshal(), Links: [] }, opts)
  }
  const pb = node.pb as PBNode
  const unixfs = UnixFS.unmarshal(pb.Data as Uint8Array)
  if (unixfs.mode === (mode ?? unixfs.mode) && sameMtime(unixfs.mtime, mtime)) return node
  if (mode !== undefined) unixfs.mode = mode
  unixfs.mtime = mtime
  if (unixfs.type === 'hamt-sharded-directory') unixfs.hashType = HAMT_HASH_TYPE
  const inlineOnly = unixfs.type === 'file' && pb.Links.length === 0 && (unixfs.data?.byteLength ?? 0) <= ctx.settings.chunkSize
  if (inlineOnly && mtime === undefined && unixfs.mode === DEFAULT_FILE_MODE) {
    return putBlock(ctx, raw.code, unixfs.data ?? new Uint8Array(0), opts)
  }
  return putPB(ctx, { Data: unixfs.marshal(), Links: pb.Links }, opts)
}

/**
 * Directory `dir` with entry `name` set to `child` (added or replaced) or removed (`child`
 * undefined). `touch` is the directory's new mtime when its entries changed (POSIX: add, remove,
 * rename), undefined when only a child's content changed (its CID): then the metadata stays.
 */
export async function setEntry(
  ctx: EditContext,
  dir: TreeNode,
  name: string,
  child: TreeNode | undefined,
  touch: Mtime | undefined,
  opts: ReadOptions = {},
): Promise<TreeNode> {
  const pb = dir.pb as PBNode
  if (!dir.hamt) {
    const unixfs = UnixFS.unmarshal(pb.Data as Uint8Array)
    if (touch !== undefined) unixfs.mtime = touch
    const link = child === undefined ? undefined : { Hash: child.cid, Name: name, Tsize: tsizeOf(child) }
    const { node, block } = editPlain(dir, name, link, unixfs.marshal())
    if (child === undefined || block.byteLength <= ctx.settings.shardSplitThresholdBytes) return putDir(ctx, node, unixfs, block, opts)
  }
  const edit = { force: true, offline: ctx.offline, signal: opts.signal, ...directoryEditOptions(ctx.settings) }
  let edited: TreeNode
  if (child !== undefined) {
    edited = await loadNode(ctx, await ctx.fs.cp(child.cid, dir.cid, name, edit), opts)
  } else {
    // Removal from a shard: @helia/unixfs 8 measures the shard to decide whether to make it a
    // plain directory again, but counts sub-shards twice (so a shard just over the threshold never
    // goes back, as it does in Kubo) and reads every sub-shard. Told that any size is over
    // (links-bytes, 0), it only removes; whether the rest fits a plain directory is decided here.
    edited = await loadNode(ctx, await ctx.fs.rm(dir.cid, name, { ...edit, shardSplitStrategy: 'links-bytes', shardSplitThresholdBytes: 0 }), opts)
    if (edited.hamt) edited = (await unshard(ctx, edited, opts)) ?? edited
  }
  return setMeta(ctx, edited, { mtime: touch ?? dir.unixfs?.mtime ?? null }, opts)
}

/**
 * The shard as a plain directory, when that directory's block would be within the threshold
 * (Kubo's rule with block size estimation: a shard goes back at or under it). Stops reading as soon
 * as the entries seen exceed it, so a large shard costs a threshold's worth of links, from cache.
 */
async function unshard(ctx: EditContext, shard: TreeNode, opts: ReadOptions): Promise<TreeNode | undefined> {
  const meta = shard.unixfs as UnixFS
  const data = new UnixFS({ type: 'directory', mode: meta.mode, mtime: meta.mtime }).marshal()
  let size = dataFieldSize(data.byteLength)
  const links: PBLink[] = []
  for await (const link of listLinks(ctx, shard, opts)) {
    size += linkSize(link)
    if (size > ctx.settings.shardSplitThresholdBytes) return undefined
    links.push(link)
  }
  return putPB(ctx, { Data: data, Links: links }, opts)
}
