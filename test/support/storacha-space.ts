/**
 * A fresh Storacha space for tests against the stand-in (storacha-standin.ts): an agent key, a
 * space delegated to it (the proof, base64 as `storacha delegation create --base64` prints it),
 * and the space provisioned server-side as the client's own tests do. Returns what a /storacha
 * mount's configuration needs.
 */
import { base64 } from 'multiformats/bases/base64'
import { identity } from 'multiformats/hashes/identity'
import * as Link from 'multiformats/link'
import { loadUntyped } from '../../src/mounts/storacha/client.ts'

interface Agent {
  did(): string
}
interface OwnedSpace {
  did(): string
  createAuthorization(agent: Agent, o: { expiration: number }): Promise<{ archive(): Promise<{ ok?: Uint8Array }> }>
}

export interface TestSpace {
  space: string
  key: string
  proof: string
}

export async function createTestSpace(serviceUrl: string, provision = true): Promise<TestSpace> {
  const Client = await loadUntyped<{ create(o: Record<string, unknown>): Promise<{ createSpace(n: string, o: Record<string, unknown>): Promise<OwnedSpace> }> }>('@storacha/client')
  const { Signer } = await loadUntyped<{ Signer: { generate(): Promise<Agent>; format(a: Agent): string } }>('@storacha/client/principal/ed25519')
  const { StoreMemory } = await loadUntyped<{ StoreMemory: new () => unknown }>('@storacha/client/stores/memory')
  const agent = await Signer.generate()
  const owner = await Client.create({ principal: agent, store: new StoreMemory() })
  const space = await owner.createSpace('ipfs-vfs-test', { skipGatewayAuthorization: true })
  const delegation = await space.createAuthorization(agent, { expiration: Infinity })
  const archive = await delegation.archive()
  if (archive.ok === undefined) throw new Error('cannot archive the delegation')
  const proof = Link.create(0x0202, identity.digest(archive.ok)).toString(base64)
  if (provision) {
    const res = await fetch(new URL('/_test/provision', serviceUrl), { method: 'POST', body: JSON.stringify({ space: space.did(), account: agent.did() }) })
    if (!res.ok) throw new Error(`provisioning failed: ${res.status} ${await res.text()}`)
  }
  return { space: space.did(), key: Signer.format(agent), proof }
}
