/** /ipfs on a Kubo daemon: connecting to its RPC API, and the backend over its MFS. */
export { connectKubo, type KuboConnection } from './rpc.ts'
export { createKuboBackend, KuboBackendInitSchema, type KuboBackendInit } from './backend.ts'
