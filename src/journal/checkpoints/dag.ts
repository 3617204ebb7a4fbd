/**
 * Just enough of a UnixFS DAG to compare two of them cheaply: a node's kind and mode, and a
 * folder's entries by name (plain or HAMT-sharded) with their CIDs, read from the link blocks
 * only: no file is read, and an unchanged subtree (same CID) is never opened.
 */
import * as dagPB from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import type { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { VfsError } from '../../vfs/errors.ts'
import type { IpfsBlocks } from '../sync/types.ts'

export type NodeKind = 'file' | 'dir' | 'symlink'

export interface DagNode {
  cid: CID
  kind: NodeKind
  mode: number | undefined
  pb: dagPB.PBNode | undefined
  unixfs: UnixFS | undefined
}

export interface DagReader {
  readonly blocks: IpfsBlocks
  readonly offline: boolean
  readonly signal?: AbortSignal | undefined
}

const IDENTITY = 0x00

async function readBlock(r: DagReader, cid: CID): Promise<Uint8Array> {
  if (cid.multihash.code === IDENTITY) return cid.multihash.digest
  try {
    const chunks: Uint8Array[] = []
    for await (const chunk of r.blocks.get(cid, { offline: r.offline, signal: r.signal })) chunks.push(chunk)
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
  } catch (err) {
    throw new VfsError('EIO', 'checkpoint', undefined, { cause: err, message: `EIO: block ${cid} is not in the IPFS repository` })
  }
}

export async function loadDagNode(r: DagReader, cid: CID): Promise<DagNode> {
  if (cid.code !== dagPB.code) return { cid, kind: 'file', mode: cid.code === raw.code ? 0o644 : undefined, pb: undefined, unixfs: undefined }
  const pb = dagPB.decode(await readBlock(r, cid))
  const unixfs = pb.Data ? UnixFS.unmarshal(pb.Data) : undefined
  const type = unixfs?.type
  const kind: NodeKind = type === 'directory' || type === 'hamt-sharded-directory' ? 'dir' : type === 'symlink' ? 'symlink' : 'file'
  return { cid, kind, mode: unixfs?.mode, pb, unixfs }
}

/** A folder's entries: name → CID, through HAMT shards (entry names follow a fixed-width hex prefix). */
export async function entriesOf(r: DagReader, dir: DagNode): Promise<Map<string, CID>> {
  const out = new Map<string, CID>()
  if (dir.pb === undefined) return out
  if (dir.unixfs?.type !== 'hamt-sharded-directory') {
    for (const link of dir.pb.Links) out.set(link.Name ?? '', link.Hash)
    return out
  }
  const pad = (Number(dir.unixfs.fanout ?? 256n) - 1).toString(16).length
  const visit = async (pb: dagPB.PBNode): Promise<void> => {
    for (const link of pb.Links) {
      const name = link.Name ?? ''
      if (name.length === pad) await visit(dagPB.decode(await readBlock(r, link.Hash)))
      else out.set(name.slice(pad), link.Hash)
    }
  }
  await visit(dir.pb)
  return out
}
