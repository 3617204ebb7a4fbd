/**
 * The Kubo daemon through its RPC API (kubo-rpc-client): connecting, its errors as errnos, its
 * blockstore as the read side's block source, and streaming an import into it as a CAR.
 *
 * Dialects. The RPC API is Kubo's; js-ipfs (the stand-in the tests run against, BACKENDS.md §2)
 * serves the same commands with a few older calling conventions. The one that matters here is
 * `block/put`: Kubo takes `cid-codec` (and ignores the legacy `format`, which it would read as a
 * CIDv0 request), js-ipfs takes `format` + `version`. Which one is spoken is decided once, from
 * the agent the daemon reports (`id`), and every `block/put` is checked: the CID the daemon
 * stored must be the CID we computed, or the write fails with EIO.
 */
import * as dagPB from '@ipld/dag-pb'
import { CarWriter } from '@ipld/car'
import { type UnixFS as HeliaUnixFS, unixfs } from '@helia/unixfs'
import { create, type KuboRPCClient } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { type ErrorCode, VfsError } from '../../../vfs/errors.ts'
import type { BlockStore } from '../cache.ts'
import { errno } from '../errors.ts'

export type Dialect = 'kubo' | 'js-ipfs'

export interface KuboConnection {
  readonly client: KuboRPCClient
  /** The API's base URL as configured ('http://127.0.0.1:5001'). */
  readonly api: string
  readonly dialect: Dialect
  /** What the daemon calls itself ('kubo/0.38.1', 'js-ipfs/0.18.1'). */
  readonly agent: string
}

/** Opens the RPC client and checks that a daemon answers; an unreachable API is one clear EIO. */
export async function connectKubo(api: string, opts: { timeoutMs?: number } = {}): Promise<KuboConnection> {
  const client = create({ url: new URL('/api/v0', api).toString() })
  let agent: string
  try {
    agent = (await client.id({ signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) })).agentVersion
  } catch (err) {
    // fetch's own message is 'fetch failed'; the reason (ECONNREFUSED...) is down its causes.
    let reason: unknown
    for (let e = (err as { cause?: unknown }).cause; e instanceof Error && reason === undefined; e = e.cause) reason = (e as { code?: unknown }).code ?? e.message
    const why = `${(err as Error).message}${typeof reason === 'string' ? ` (${reason})` : ''}`
    throw new VfsError('EIO', 'connect', api, { cause: err, message: `EIO: cannot reach the Kubo RPC API at ${api}: ${why}` })
  }
  return { client, api, dialect: agent.startsWith('js-ipfs') ? 'js-ipfs' : 'kubo', agent }
}

/**
 * The errno an RPC error stands for, from the daemon's message (the RPC API has no error codes;
 * Kubo's and js-ipfs's texts differ, both are matched). Undefined: not a known condition (EIO).
 */
export function rpcErrno(err: unknown): ErrorCode | undefined {
  const name = (err as { name?: unknown } | null)?.name
  if (name === 'AbortError' || name === 'TimeoutError') return 'ETIMEDOUT'
  const message = String((err as { message?: unknown } | null)?.message ?? '')
  if (/does not exist|not found|no link named|no such file/i.test(message)) return 'ENOENT'
  if (/already has entry|already exists/i.test(message)) return 'EEXIST'
  if (/not a directory/i.test(message)) return 'ENOTDIR'
  return undefined
}

/** An RPC failure as a coded error the backend boundary turns into a VfsError. */
export function rpcError(err: unknown, what: string): Error {
  const code = rpcErrno(err)
  if (code === 'ETIMEDOUT') return err as Error
  return Object.assign(new Error(`${what}: ${(err as Error).message}`, { cause: err }), { code: code ?? 'EIO' })
}

function codecName(cid: CID): string {
  if (cid.code === dagPB.code) return 'dag-pb'
  if (cid.code === raw.code) return 'raw'
  throw errno('EINVAL', `${cid}: only dag-pb and raw blocks are written`)
}

/**
 * The daemon's blockstore as a block source: the read side walks the DAG through it, the edit
 * code (new directory, symlink and metadata nodes) writes through it. A missing block is a
 * NotFoundError, as Helia's blockstore reports it.
 */
export function rpcBlocks(conn: KuboConnection): BlockStore {
  const { client } = conn
  const blocks = {
    get: (cid: CID, options?: { signal?: AbortSignal }) =>
      (async function* () {
        try {
          yield await client.block.get(cid, { signal: options?.signal })
        } catch (err) {
          if (rpcErrno(err) === 'ENOENT') throw Object.assign(new Error(`${cid}: ${(err as Error).message}`, { cause: err }), { name: 'NotFoundError' })
          throw rpcError(err, `block/get ${cid}`)
        }
      })(),
    put: async (cid: CID, block: Uint8Array, options?: { signal?: AbortSignal }) => {
      const codec = codecName(cid)
      // A one-chunk file with metadata is its 1 MiB of data plus a few bytes: over Kubo's 1 MiB
      // soft limit for a block, and exactly what the importer (and Kubo's own) produces.
      const params = conn.dialect === 'js-ipfs' ? { format: codec, version: cid.version, mhtype: 'sha2-256' } : { cidCodec: codec, mhtype: 'sha2-256', allowBigBlock: true }
      let stored: CID
      try {
        stored = await client.block.put(block, { ...params, signal: options?.signal } as Parameters<KuboRPCClient['block']['put']>[1])
      } catch (err) {
        throw rpcError(err, `block/put ${cid}`)
      }
      if (!stored.equals(cid)) throw errno('EIO', `block/put: the daemon stored ${stored} for ${cid}`)
      return cid
    },
    has: async (cid: CID, options?: { signal?: AbortSignal }) => {
      try {
        await client.block.stat(cid, { signal: options?.signal })
        return true
      } catch {
        return false
      }
    },
  }
  return blocks as unknown as BlockStore
}

/**
 * Our importer (@helia/unixfs with import-settings.ts, as ops.ts's importFile calls it) writing
 * into the daemon: the blocks are streamed to `dag/import` as a CAR, so the CIDs are the Helia
 * engine's by construction whatever the daemon's own chunker and layout settings are (js-ipfs and
 * Kubo's default profile put 174 links per file node, for example; ours is 1024), and a file is
 * never whole in memory. Nothing is pinned: the file is linked into MFS right after, which is
 * what keeps it.
 */
export function carImporter(conn: KuboConnection): Pick<HeliaUnixFS, 'addByteStream'> {
  return {
    addByteStream: async (bytes, options) => {
      // The root is not known until the import ends, and Kubo's CAR reader refuses a header
      // without roots: the header names the identity CID of nothing (bafkqaaa), which every daemon
      // has, and with pin-roots off nobody looks at it.
      const { writer, out } = CarWriter.create([CID.createV1(raw.code, identity.digest(new Uint8Array(0)))])
      const sink = {
        put: async (cid: CID, block: Uint8Array) => {
          await writer.put({ cid, bytes: block })
          return cid
        },
        get: () => {
          throw errno('EIO', 'the import sink cannot be read')
        },
        has: async () => false,
      }
      const uploading = (async () => {
        for await (const _ of conn.client.dag.import([out], { pinRoots: false, allowBigBlock: true, signal: options?.signal } as Parameters<KuboRPCClient['dag']['import']>[1])) void _
      })()
      // A daemon that fails the upload early must not leave the importer waiting on the CAR stream.
      const failed = uploading.then(
        () => new Promise<never>(() => {}),
        (err: unknown) => {
          throw rpcError(err, 'dag/import')
        },
      )
      failed.catch(() => {})
      try {
        const cid = await Promise.race([unixfs({ blockstore: sink as never }).addByteStream(bytes, options), failed])
        await writer.close()
        await Promise.race([uploading, failed])
        return cid
      } catch (err) {
        await writer.close().catch(() => {})
        uploading.catch(() => {})
        throw err
      }
    },
  }
}
