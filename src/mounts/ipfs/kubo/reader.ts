/**
 * Ranged reads of a file through the daemon: `cat(cid, { offset, length })` of the file's CID
 * (resolved once, when the reader is opened), a window of one chunk (1 MiB, aligned to the
 * file's leaves) per request, rather than MFS path reads (`files/read` resolves the path on every
 * call). Windows are kept and read ahead as the Helia engine keeps leaves (reader.ts): the kernel
 * reads 128 KiB at a time, so each window serves eight reads, and a sequential reader has the next
 * window on its way while it reads this one.
 */
import * as dagPB from '@ipld/dag-pb'
import type { CallOptions, Reader } from '../../../vfs/backend.ts'
import type { DagContext, TreeNode } from '../nodes.ts'
import { KeptPieces, type LeafSource, leafSource, readerOver } from '../reader.ts'
import { type KuboConnection, rpcError } from './rpc.ts'

function catSource(conn: KuboConnection, ctx: DagContext, node: TreeNode): LeafSource {
  const window = ctx.settings.chunkSize
  const kept = new KeptPieces()
  const fetchWindow = async (start: number, opts: CallOptions | undefined): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of conn.client.cat(node.cid, { offset: start, length: Math.min(window, node.size - start), signal: opts?.signal })) chunks.push(chunk)
    } catch (err) {
      throw rpcError(err, `cat ${node.cid}`)
    }
    return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
  }
  const get = (start: number, opts: CallOptions | undefined): Promise<Uint8Array> => kept.get(start, () => fetchWindow(start, opts))
  return {
    piece: async (position, opts) => {
      const start = position - (position % window)
      return { start, bytes: await get(start, opts) }
    },
    readAhead: (end) => {
      if (end >= node.size || end % window !== 0 || kept.has(end)) return
      get(end, undefined).catch(() => {})
    },
  }
}

/** A reader of file `node`: dag-pb files through `cat`, a raw block (one chunk at most) read once. */
export function openKuboReader(conn: KuboConnection, ctx: DagContext, node: TreeNode, path: string): Reader {
  return readerOver(node.cid.code === dagPB.code ? catSource(conn, ctx, node) : leafSource(ctx, node), node, path)
}
