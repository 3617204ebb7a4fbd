/**
 * Ranged reads of one file. The path was resolved to its node once, when the reader was opened;
 * each read asks the exporter for exactly [position, position + length), which walks from the
 * file's root node (kept here, decoded) down to the leaves holding that range: a 4 KiB read of a
 * 64 MiB file reads one 1 MiB leaf, not the file.
 */
import type { PBNode } from '@ipld/dag-pb'
import { exporter, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import * as dagPB from '@ipld/dag-pb'
import type { CID } from 'multiformats/cid'
import type { CallOptions, Reader } from '../../vfs/backend.ts'
import { checkSignal, toIpfsError } from './errors.ts'
import { type DagContext, readBlock, type TreeNode } from './nodes.ts'

type Ranged = (offset: number, length: number, opts: CallOptions | undefined) => AsyncIterable<Uint8Array>

async function rangedSource(ctx: DagContext, node: TreeNode): Promise<Ranged> {
  if (node.cid.code === dagPB.code) {
    // The exporter serves the file's root from the node we already hold (no second read of it),
    // every other block from the blockstore.
    const root = dagPB.encode(node.pb as PBNode)
    const blocks = {
      get: (cid: CID, options?: { signal?: AbortSignal }) =>
        cid.equals(node.cid) ? singleBlock(root) : ctx.blockstore.get(cid, { offline: ctx.offline, signal: options?.signal }),
    }
    const entry: UnixFSEntry = await exporter(node.cid, blocks, { offline: ctx.offline })
    if (entry.type !== 'file') throw new Error(`${node.cid} is not a file`)
    return (offset, length, opts) => entry.content({ offset, length, offline: ctx.offline, signal: opts?.signal, blockReadConcurrency: 4 })
  }
  // A raw leaf (at most one chunk) or a non-UnixFS block: read once, slice per call.
  let bytes: Promise<Uint8Array> | undefined
  return async function* (offset, length, opts) {
    bytes ??= readBlock(ctx, node.cid, { signal: opts?.signal })
    yield (await bytes).subarray(offset, offset + length)
  }
}

async function* singleBlock(block: Uint8Array): AsyncGenerator<Uint8Array> {
  yield block
}

export async function openFileReader(ctx: DagContext, node: TreeNode, path: string): Promise<Reader> {
  const source = await rangedSource(ctx, node)
  let closed = false
  return {
    read: async (buffer, position, opts) => {
      try {
        checkSignal(opts)
        if (closed) throw Object.assign(new Error('reader closed'), { code: 'EBADF' })
        if (position >= node.size) return 0
        const length = Math.min(buffer.byteLength, node.size - position)
        let done = 0
        for await (const chunk of source(position, length, opts)) {
          const take = Math.min(chunk.byteLength, length - done)
          buffer.set(chunk.subarray(0, take), done)
          done += take
          if (done >= length) break
        }
        return done
      } catch (err) {
        throw toIpfsError(err, 'read', path, true)
      }
    },
    close: async () => {
      closed = true
    },
  }
}
