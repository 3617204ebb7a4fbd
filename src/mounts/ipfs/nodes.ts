/**
 * Reading the UnixFS DAG: blocks to typed nodes, a name to its link in a directory (plain or HAMT
 * shard), a directory's links, a node to a POSIX stat. Blocks are immutable, so nothing here can
 * race with a writer: a reader works on whatever root it started from.
 */
import * as dagPB from '@ipld/dag-pb'
import type { PBLink, PBNode } from '@ipld/dag-pb'
import { murmur3128 } from '@multiformats/murmur3'
import { UnixFS } from 'ipfs-unixfs'
import { walkPath } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { type Stat, S_IFDIR, S_IFLNK, S_IFREG } from '../../vfs/backend.ts'
import type { BlockStore, Lru } from './cache.ts'
import { errno } from './errors.ts'
import { fromMtime, type ImportSettings } from './import-settings.ts'

/** What the tree code needs from Helia: its blockstore and a few settings. */
export interface DagContext {
  readonly blockstore: BlockStore
  readonly settings: ImportSettings
  /** Reads never go to the network (a missing block fails at once). */
  readonly offline: boolean
  /** Decoded nodes (cache.ts). */
  readonly nodes: Lru<TreeNode>
}

export interface ReadOptions {
  signal?: AbortSignal
}

export type NodeKind = 'dir' | 'file' | 'symlink'

export interface TreeNode {
  readonly cid: CID
  readonly kind: NodeKind
  /** A HAMT-sharded directory. */
  readonly hamt: boolean
  /** The decoded node (dag-pb only). */
  readonly pb?: PBNode
  /** Its UnixFS data (dag-pb only). */
  readonly unixfs?: UnixFS
  /** File length, symlink target length, or a directory's block length. */
  readonly size: number
  /** Length of this node's own block. */
  readonly blockSize: number
  /** The block itself, kept for plain directories: an edit splices it (pb-splice.ts). */
  readonly block?: Uint8Array
}

const IDENTITY = 0x00

export async function readBlock(ctx: DagContext, cid: CID, opts: ReadOptions = {}): Promise<Uint8Array> {
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  const chunks: Uint8Array[] = []
  for await (const chunk of ctx.blockstore.get(cid, { offline: ctx.offline, signal: opts.signal })) chunks.push(chunk)
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

export function nodeFromBlock(cid: CID, block: Uint8Array): TreeNode {
  if (cid.code === raw.code) return { cid, kind: 'file', hamt: false, size: block.byteLength, blockSize: block.byteLength }
  if (cid.code !== dagPB.code) {
    // Not UnixFS (dag-cbor, dag-json...): shown read-only as a file holding the block's bytes.
    return { cid, kind: 'file', hamt: false, size: block.byteLength, blockSize: block.byteLength }
  }
  const pb = dagPB.decode(block)
  if (pb.Data === undefined) throw errno('EIO', `${cid} is dag-pb without UnixFS data`)
  const unixfs = UnixFS.unmarshal(pb.Data)
  const base = { cid, pb, unixfs, blockSize: block.byteLength }
  switch (unixfs.type) {
    case 'directory':
      return { ...base, kind: 'dir', hamt: false, size: block.byteLength, block }
    case 'hamt-sharded-directory':
      return { ...base, kind: 'dir', hamt: true, size: block.byteLength }
    case 'symlink':
      return { ...base, kind: 'symlink', hamt: false, size: unixfs.data?.byteLength ?? 0 }
    case 'file':
    case 'raw':
      return { ...base, kind: 'file', hamt: false, size: Number(unixfs.fileSize()) }
    default:
      throw errno('EIO', `${cid} is a UnixFS ${unixfs.type} node`)
  }
}

/**
 * Loads the node a link points at. A raw leaf's link already says its size (Tsize is the block's
 * length), so a stat or a listing of raw-leaf files reads no block at all.
 */
export async function loadNode(ctx: DagContext, cid: CID, opts: ReadOptions = {}, link?: PBLink): Promise<TreeNode> {
  if (cid.code === raw.code && link?.Tsize !== undefined && link.Tsize > 0) {
    return { cid, kind: 'file', hamt: false, size: link.Tsize, blockSize: link.Tsize }
  }
  const cached = ctx.nodes.get(cid)
  if (cached !== undefined) return cached
  const node = nodeFromBlock(cid, await readBlock(ctx, cid, opts))
  if (node.pb !== undefined) ctx.nodes.set(cid, node)
  return node
}

/** The cumulative size a parent's link records for this node (what Kubo and the importer write). */
export function tsizeOf(node: TreeNode): number {
  return node.blockSize + (node.pb?.Links.reduce((sum, l) => sum + (l.Tsize ?? 0), 0) ?? 0)
}

export function isEmptyDir(node: TreeNode): boolean {
  return node.kind === 'dir' && (node.pb?.Links.length ?? 0) === 0
}

/** The link named `name` in directory `dir`, or undefined. */
export async function findLink(ctx: DagContext, dir: TreeNode, name: string, opts: ReadOptions = {}): Promise<PBLink | undefined> {
  if (dir.kind !== 'dir' || dir.pb === undefined) throw errno('ENOTDIR')
  if (!dir.hamt) return dir.pb.Links.find((l) => l.Name === name)
  return findInShard(ctx, dir, name, opts)
}

/**
 * HAMT lookup (UnixFS spec): the name's murmur3-x64-128 hash, first 8 bytes, gives one index per
 * level; each level's link is named by the index in upper-case hex, alone for a sub-shard,
 * followed by the entry's name for an entry. Deeper than the first hash reaches (8 levels of 256:
 * never in practice) or with an unusual fanout, the exporter's general walk answers instead.
 */
async function findInShard(ctx: DagContext, root: TreeNode, name: string, opts: ReadOptions): Promise<PBLink | undefined> {
  const fanout = Number(root.unixfs?.fanout ?? 0n)
  if (fanout !== 256) return findByWalk(ctx, root, name, opts)
  const hash = await murmur3128.encode(new TextEncoder().encode(name))
  let node = root.pb as PBNode
  for (let level = 0; level < 8; level++) {
    const prefix = (hash[level] as number).toString(16).toUpperCase().padStart(2, '0')
    const link = node.Links.find((l) => l.Name?.startsWith(prefix) === true)
    if (link === undefined) return undefined
    if (link.Name === prefix) {
      node = (await loadNode(ctx, link.Hash, opts)).pb as PBNode
      continue
    }
    return link.Name === `${prefix}${name}` ? link : undefined
  }
  return findByWalk(ctx, root, name, opts)
}

async function findByWalk(ctx: DagContext, dir: TreeNode, name: string, opts: ReadOptions): Promise<PBLink | undefined> {
  try {
    let last: CID | undefined
    for await (const entry of walkPath(`${dir.cid}/${name}`, ctx.blockstore, { offline: ctx.offline, signal: opts.signal })) last = entry.cid
    return last === undefined || last.equals(dir.cid) ? undefined : { Name: name, Hash: last }
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NotFoundError') return undefined
    throw err
  }
}

/** Every entry of a directory, HAMT shards flattened, as links carrying the entry's own name. */
export async function* listLinks(ctx: DagContext, dir: TreeNode, opts: ReadOptions = {}): AsyncGenerator<PBLink> {
  if (dir.kind !== 'dir' || dir.pb === undefined) throw errno('ENOTDIR')
  if (!dir.hamt) {
    yield* dir.pb.Links
    return
  }
  const prefixLength = (Number(dir.unixfs?.fanout ?? 256n) - 1).toString(16).length
  async function* shard(node: PBNode): AsyncGenerator<PBLink> {
    for (const link of node.Links) {
      const name = link.Name ?? ''
      if (name.length === prefixLength) yield* shard((await loadNode(ctx, link.Hash, opts)).pb as PBNode)
      else yield { ...link, Name: name.substring(prefixLength) }
    }
  }
  yield* shard(dir.pb)
}

/** The nodes from `from` down `parts`: [from, ..., target]. ENOENT for a missing name, ENOTDIR for a non-directory on the way. */
export async function walkNames(ctx: DagContext, from: TreeNode, parts: string[], opts: ReadOptions = {}): Promise<TreeNode[]> {
  const chain = [from]
  let node = from
  for (const name of parts) {
    if (node.kind !== 'dir') throw errno('ENOTDIR')
    const link = await findLink(ctx, node, name, opts)
    if (link === undefined) throw errno('ENOENT')
    node = await loadNode(ctx, link.Hash, opts, link)
    chain.push(node)
  }
  return chain
}

/** The node at `parts` under `from`. */
export async function resolvePath(ctx: DagContext, from: TreeNode, parts: string[], opts: ReadOptions = {}): Promise<TreeNode> {
  const chain = await walkNames(ctx, from, parts, opts)
  return chain[chain.length - 1] as TreeNode
}

export interface Owner {
  uid: number
  gid: number
}

/**
 * A node's POSIX attributes. Mode and mtime come from the UnixFS metadata (defaults 0644/0755,
 * epoch when absent); UnixFS has no atime, ctime or owner, so atime and ctime report the mtime and
 * the owner is the mount's. nlink is 1 even for directories: counting subdirectories would read
 * every child, and 1 tells find(1) not to rely on the count (a wrong 2 would make it skip them).
 */
export function toStat(node: TreeNode, owner: Owner): Stat {
  const mtimeNs = fromMtime(node.unixfs?.mtime)
  const perm = node.unixfs?.mode ?? 0o644
  const mode = node.kind === 'dir' ? S_IFDIR | perm : node.kind === 'symlink' ? S_IFLNK | 0o777 : S_IFREG | perm
  return {
    mode,
    size: node.size,
    uid: owner.uid,
    gid: owner.gid,
    nlink: 1,
    atimeNs: mtimeNs,
    mtimeNs,
    ctimeNs: mtimeNs,
    blocks: Math.ceil(node.size / 512),
  }
}
