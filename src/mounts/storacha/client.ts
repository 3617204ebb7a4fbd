/**
 * The @storacha/client for one space, from configuration only: the agent's key and a proof (a
 * delegation of the space to that agent, as `storacha delegation create --base64` prints), the
 * service's URL and DID. Nothing is read from or written to a profile on disk (the client's
 * default store is a per-user folder): the agent state lives in memory, rebuilt at every start
 * from the key and the proof, so a local service and the public one are configured the same way.
 *
 * The @storacha packages are loaded by a computed specifier: their published types reach a
 * TypeScript source of @storacha/indexing-service-client that does not compile under this
 * project's settings (verbatimModuleSyntax), and skipLibCheck does not cover .ts files. The
 * interfaces below are the part of the client ipfs-vfs calls.
 */
import * as DID from '@ipld/dag-ucan/did'
import { connect } from '@ucanto/client'
import { CAR, HTTP } from '@ucanto/transport'
import type { CID } from 'multiformats/cid'

interface UploadListItem {
  root: CID
  insertedAt?: string
}

/** What /storacha uses of @storacha/client's Client. */
export interface StorachaClient {
  uploadCAR(car: { stream(): ReadableStream<Uint8Array> }, options?: { signal?: AbortSignal; retries?: number }): Promise<CID>
  capability: {
    upload: {
      list(options: { size?: number; cursor?: string; nonce?: string }): Promise<{ results: UploadListItem[]; cursor?: string }>
      remove(root: CID, options?: { nonce?: string }): Promise<unknown>
    }
  }
  addSpace(proof: unknown): Promise<{ did(): string }>
  setCurrentSpace(did: string): Promise<void>
}

/** Loads a module whose types are not to be resolved (see the module comment). */
export function loadUntyped<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>
}

interface ClientModule {
  create(o: Record<string, unknown>): Promise<StorachaClient>
}

export interface StorachaClientOptions {
  /** The agent's private key, `Signer.format()` form (base64 'M...' as `storacha key create` prints). */
  key: string
  /** Base64 CAR of the delegation(s) giving the agent access to the space. */
  proof: string
  /** The space to use (a did:key); must be among the proof's resources. */
  space: string
  /** The upload service's URL. */
  serviceUrl: string
  /** The upload service's DID. */
  serviceDid: string
  /** Where receipts are polled; default `<serviceUrl>/receipt/`. */
  receiptsUrl?: string
}

export async function openStorachaClient(o: StorachaClientOptions): Promise<StorachaClient> {
  const Client = await loadUntyped<ClientModule>('@storacha/client')
  const { Signer } = await loadUntyped<{ Signer: { parse(key: string): unknown } }>('@storacha/client/principal/ed25519')
  const Proof = await loadUntyped<{ parse(s: string): Promise<unknown> }>('@storacha/client/proof')
  const { StoreMemory } = await loadUntyped<{ StoreMemory: new () => unknown }>('@storacha/client/stores/memory')
  const principal = Signer.parse(o.key.trim())
  const url = new URL(o.serviceUrl)
  const conn = connect({ id: DID.parse(o.serviceDid) as never, codec: CAR.outbound, channel: HTTP.open({ url, method: 'POST' }) as never })
  const base = url.href.endsWith('/') ? url.href : `${url.href}/`
  const client = await Client.create({
    principal,
    store: new StoreMemory(),
    serviceConf: { access: conn, upload: conn, filecoin: conn },
    receiptsEndpoint: new URL(o.receiptsUrl ?? new URL('receipt/', base).href),
  })
  const space = await client.addSpace(await Proof.parse(o.proof.trim()))
  if (space.did() !== o.space) {
    throw new Error(`the proof is for space ${space.did()}, the configuration names ${o.space}`)
  }
  await client.setCurrentSpace(space.did())
  return client
}
