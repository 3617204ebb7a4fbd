/**
 * A DAG as a CAR stream: every block reachable from a root (dag-pb links followed; raw leaves
 * are leaves), each once, read from the blockstore as the stream is consumed, so a large file is
 * never whole in memory. What @storacha/client's `uploadCAR` shards and uploads.
 */
import * as dagPB from '@ipld/dag-pb'
import { CarWriter } from '@ipld/car/writer'
import type { CID } from 'multiformats/cid'
import type { BlockStore } from '../ipfs/cache.ts'

async function readAll(blockstore: BlockStore, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const c of blockstore.get(cid, { signal })) chunks.push(c)
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks)
}

/** Every block of the DAG under `root`, depth first, each once. */
export async function* dagBlocks(blockstore: BlockStore, root: CID, signal?: AbortSignal): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const seen = new Set<string>()
  const stack: CID[] = [root]
  while (stack.length > 0) {
    const cid = stack.pop() as CID
    const key = cid.toString()
    if (seen.has(key) || cid.multihash.code === 0x00) continue
    seen.add(key)
    const bytes = await readAll(blockstore, cid, signal)
    yield { cid, bytes }
    if (cid.code === dagPB.code) {
      const links = dagPB.decode(bytes).Links
      for (let i = links.length - 1; i >= 0; i--) stack.push((links[i] as dagPB.PBLink).Hash)
    }
  }
}

/** A Blob-like CAR of the DAG under `root` (what uploadCAR takes: only `stream()` is used). */
export function carOf(blockstore: BlockStore, root: CID, signal?: AbortSignal): { stream(): ReadableStream<Uint8Array> } {
  return {
    stream: () => {
      const { writer, out } = CarWriter.create([root])
      const fill = (async () => {
        try {
          for await (const block of dagBlocks(blockstore, root, signal)) await writer.put(block)
        } finally {
          await writer.close()
        }
      })()
      async function* bytes(): AsyncGenerator<Uint8Array> {
        yield* out
        await fill
      }
      return ReadableStream.from(bytes())
    },
  }
}
