import type { DirEntry, Stat } from './backend.ts'
import { isWithin } from './paths.ts'

interface Entry<T> {
  value: T
  expires: number
}

/**
 * Stats and listings of object stores, served for a mount's cacheTtlMs. Our own changes
 * invalidate what they touch; changes made behind our back show after the TTL.
 */
export class AttrCache {
  readonly #stats = new Map<string, Entry<Stat>>()
  readonly #lists = new Map<string, Entry<DirEntry[]>>()
  hits = 0
  misses = 0

  getStat(path: string): Stat | undefined {
    return this.#get(this.#stats, path)
  }

  setStat(path: string, stat: Stat, ttlMs: number): void {
    if (ttlMs > 0) this.#stats.set(path, { value: stat, expires: Date.now() + ttlMs })
  }

  getList(path: string): DirEntry[] | undefined {
    return this.#get(this.#lists, path)
  }

  setList(path: string, entries: DirEntry[], ttlMs: number): void {
    if (ttlMs > 0) this.#lists.set(path, { value: entries, expires: Date.now() + ttlMs })
  }

  /**
   * Forgets `path`, and the listing and stat of the folder that holds it: an entry made, removed
   * or uploaded there moves the folder's mtime, and `rsync -a` and `tar` read it back to decide
   * whether to restore the folder's time.
   */
  invalidate(path: string, parent: string): void {
    this.#stats.delete(path)
    this.#stats.delete(parent)
    this.#lists.delete(path)
    this.#lists.delete(parent)
  }

  /** Forgets everything at or below `prefix` (renames of folders, hard-linked files, refresh). */
  invalidateTree(prefix: string): void {
    for (const map of [this.#stats, this.#lists] as Map<string, unknown>[]) {
      for (const key of map.keys()) if (isWithin(key, prefix)) map.delete(key)
    }
  }

  #get<T>(map: Map<string, Entry<T>>, path: string): T | undefined {
    if (map.size === 0) return undefined
    const entry = map.get(path)
    if (entry === undefined || entry.expires < Date.now()) {
      if (entry) map.delete(path)
      this.misses++
      return undefined
    }
    this.hits++
    return entry.value
  }
}
