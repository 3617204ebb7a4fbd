/**
 * The contract suite against /ipfs on the Kubo engine, over a real Kubo RPC server: the js-ipfs
 * daemon (test/support/kubo-daemon.ts), one for the file, a fresh MFS folder per case (the
 * engine's `mfsRoot`), twice as for the Helia engine: preserveMtime on and off.
 */
import { suite } from 'uvu'
import { connectKubo, type KuboConnection } from '../../src/mounts/ipfs/kubo/rpc.ts'
import { createKuboBackend } from '../../src/mounts/ipfs/kubo/backend.ts'
import { type KuboDaemon, kuboSkipReason, startKuboDaemon } from '../support/kubo-daemon.ts'
import { type BackendFactory, contractSuite } from './suite.ts'

const skip = kuboSkipReason()
if (skip !== undefined) {
  console.log(`SKIP contract: ipfs (kubo): ${skip}`)
  const test = suite('contract: ipfs (kubo)')
  test.skip(skip, () => {})
  test.run()
} else {
  let daemon: KuboDaemon | undefined
  let conn: KuboConnection | undefined
  let seq = 0

  const connection = async (): Promise<KuboConnection> => {
    daemon ??= await startKuboDaemon()
    conn ??= await connectKubo(daemon.api)
    return conn
  }

  const factory =
    (preserveMtime: boolean): BackendFactory =>
    async () => {
      const kubo = await connection()
      const mfsRoot = `/contract-${++seq}`
      const backend = await createKuboBackend({ kubo }, { mfsRoot, preserveMtime })
      return { backend, cleanup: () => kubo.client.files.rm(mfsRoot, { recursive: true }) }
    }

  const withMtime = contractSuite('ipfs (kubo)', factory(true))
  const without = contractSuite('ipfs (kubo, preserveMtime off)', factory(false))
  without.after(async () => {
    await daemon?.stop()
  })
  withMtime.run()
  without.run()
}
