/**
 * Checkpoints as stored: `service.db.sublevel('checkpoints')`, one record per checkpoint keyed by
 * its zero-padded id (so the keys list in creation order).
 */
import type { AnyLevel, JsonSublevel } from '../sync/types.ts'

export interface Checkpoint {
  /** 1, 2, 3... in creation order. */
  id: number
  label: string
  /** The journal's sequence number when it was taken (its own entry; 0 without a journal). */
  seq: number
  /** Milliseconds since the epoch. */
  time: number
  /** Root CID of each synced VFS path. */
  roots: Record<string, string>
}

const key = (id: number): string => String(id).padStart(12, '0')

export class CheckpointStore {
  readonly #db: JsonSublevel<Checkpoint>

  constructor(db: AnyLevel) {
    this.#db = db.sublevel<string, Checkpoint>('checkpoints', { valueEncoding: 'json' })
  }

  async list(): Promise<Checkpoint[]> {
    return this.#db.values().all()
  }

  async get(id: number): Promise<Checkpoint | undefined> {
    return this.#db.get(key(id))
  }

  async last(): Promise<Checkpoint | undefined> {
    const [cp] = await this.#db.values({ reverse: true, limit: 1 }).all()
    return cp
  }

  async nextId(): Promise<number> {
    return ((await this.last())?.id ?? 0) + 1
  }

  async put(cp: Checkpoint): Promise<void> {
    await this.#db.put(key(cp.id), cp)
  }

  async delete(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.#db.batch(ids.map((id) => ({ type: 'del' as const, key: key(id) })))
  }
}

/** The last checkpoint recorded in a state database (for `status`). */
export function lastCheckpoint(db: AnyLevel): Promise<Checkpoint | undefined> {
  return new CheckpointStore(db).last()
}
