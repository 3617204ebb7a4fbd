/**
 * Blocks for /storacha: the local blockstore (the shared Helia repository) first, otherwise the
 * trustless gateway (`GET <gateway>/ipfs/<cid>?format=raw`, `Accept: application/vnd.ipld.raw`,
 * the IPFS trustless gateway spec). A block from the gateway is hashed and compared with its CID
 * before anything uses it (a wrong or truncated block is EIO, never data), then kept in the local
 * blockstore, so each block crosses the network once.
 */
import type { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import type { BlockStore } from '../ipfs/cache.ts'

const HASHERS = new Map<number, { digest(b: Uint8Array): Promise<{ digest: Uint8Array }> | { digest: Uint8Array } }>([
  [sha256.code, sha256],
  [sha512.code, sha512],
  [identity.code, identity],
])

function coded(code: string, message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code })
}

export async function fetchVerified(gateway: string, cid: CID, timeoutMs: number, signal?: AbortSignal): Promise<Uint8Array> {
  const url = `${gateway.replace(/\/+$/, '')}/ipfs/${cid}?format=raw`
  let res: Response
  try {
    const signals = [AbortSignal.timeout(timeoutMs), ...(signal === undefined ? [] : [signal])]
    res = await fetch(url, { headers: { accept: 'application/vnd.ipld.raw' }, signal: AbortSignal.any(signals) })
  } catch (err) {
    throw coded('EIO', `gateway ${gateway} unreachable for ${cid}: ${(err as Error).message}`, err)
  }
  if (!res.ok) throw coded('EIO', `gateway ${gateway} answered ${res.status} for block ${cid}`)
  const bytes = new Uint8Array(await res.arrayBuffer())
  const hasher = HASHERS.get(cid.multihash.code)
  if (hasher === undefined) throw coded('EIO', `block ${cid}: hash function 0x${cid.multihash.code.toString(16)} cannot be verified`)
  const digest = (await hasher.digest(bytes)).digest
  if (Buffer.compare(Buffer.from(digest), Buffer.from(cid.multihash.digest)) !== 0) {
    throw coded('EIO', `block ${cid} from ${gateway} does not match its CID (${bytes.byteLength} bytes)`)
  }
  return bytes
}

/** The local blockstore, falling back to the gateway for what it lacks (verified, then stored). */
export function gatewayBlocks(local: BlockStore, gateway: string | undefined, timeoutMs = 30_000): BlockStore {
  if (gateway === undefined) return local
  return {
    get: (cid, options) =>
      (async function* () {
        if (await local.has(cid, { signal: options?.signal })) {
          yield* local.get(cid, options)
          return
        }
        const bytes = await fetchVerified(gateway, cid, timeoutMs, options?.signal)
        await local.put(cid, bytes, { signal: options?.signal })
        yield bytes
      })(),
    put: (cid, block, options) => local.put(cid, block, options),
    has: (cid, options) => local.has(cid, options),
  }
}
