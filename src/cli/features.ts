import type { Service } from './service.ts'

/**
 * The features a Service carries besides the Vfs (journal, sync, checkpoints, runtime mounts,
 * status...): each registers its control methods and close hooks. Run once by Service.open, in
 * this order, before anything is served.
 */
type Feature = (service: Service) => Promise<void>

export const FEATURES: Feature[] = []
