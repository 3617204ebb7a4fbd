/** /ipfs on embedded Helia: the engine, the backend, and the import settings they share. */
export { openHeliaEngine, type HeliaEngine, type HeliaEngineOptions } from './engine.ts'
export { createIpfsBackend, CID_XATTR, IpfsBackendInitSchema, type IpfsBackend, type IpfsBackendComponents, type IpfsBackendInit } from './backend.ts'
export { KUBO_UNIXFS_V1_2025, type ImportSettings } from './import-settings.ts'
