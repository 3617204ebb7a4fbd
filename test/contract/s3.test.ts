/**
 * The contract suite against /s3 on a real S3 server: OpenStack Swift's s3api on loopback
 * (test/support/swift.ts), a fresh bucket per case, once on a whole bucket and once under a key
 * prefix (the mount shows only what lies below it).
 */
import { createS3Backend, createS3Client } from '../../src/mounts/s3/index.ts'
import { startSwift } from '../support/swift.ts'
import { contractSuite } from './suite.ts'

const swift = await startSwift()
let n = 0

function factory(prefix: string | undefined) {
  return async () => {
    const bucket = `contract-${process.pid}-${++n}`
    await swift.createBucket(bucket)
    const client = createS3Client({ ...swift.clientConfig(), maxAttempts: 3, timeoutMs: 10_000 })
    const backend = createS3Backend({ s3: client }, { bucket, ...(prefix === undefined ? {} : { prefix }) })
    return { backend, cleanup: async () => client.destroy() }
  }
}

const whole = contractSuite('s3 (swift s3api)', factory(undefined))
const prefixed = contractSuite('s3 (swift s3api, prefix)', factory('some/prefix'))
prefixed.after(async () => {
  await swift.stop()
})
whole.run()
prefixed.run()
