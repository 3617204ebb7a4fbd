import { isWithin, rebase } from './paths.ts'

/** Each mount owns 2^40 inode numbers; mount ids stay below 2^12, so every number is a safe integer. */
const SPACE = 2 ** 40

/**
 * Inode numbers the kernel sees. A store with inodes (local) keeps its own numbers inside the
 * mount's space, so hard links share one and a file keeps its number across renames and
 * remounts. For stores without inodes the numbers come from a per-mount path map that follows
 * renames; it lives as long as the process.
 */
export class InodeMap {
  readonly #byPath = new Map<string, number>()
  #next = 1

  /** Synthetic folders (mount id 0): the root is 1. */
  synthetic(path: string): number {
    return this.#assign(`\0/${path}`, 0)
  }

  forMount(mountId: number, rel: string, storeIno: number | undefined): number {
    if (storeIno !== undefined) return mountId * SPACE + (storeIno % SPACE)
    return this.#assign(`${mountId}:${rel}`, mountId)
  }

  /** Moves the numbers of `from` and everything below it to `to`. */
  rename(mountId: number, from: string, to: string): void {
    const prefix = `${mountId}:`
    const moved: [string, number][] = []
    for (const [key, ino] of this.#byPath) {
      if (!key.startsWith(prefix)) continue
      const rel = key.slice(prefix.length)
      if (isWithin(rel, from)) moved.push([key, ino])
      else if (isWithin(rel, to)) this.#byPath.delete(key)
    }
    for (const [key, ino] of moved) {
      this.#byPath.delete(key)
      this.#byPath.set(prefix + rebase(key.slice(prefix.length), from, to), ino)
    }
  }

  forget(mountId: number, rel: string): void {
    this.#byPath.delete(`${mountId}:${rel}`)
  }

  #assign(key: string, mountId: number): number {
    let ino = this.#byPath.get(key)
    if (ino === undefined) {
      ino = key === '\0//' ? 1 : mountId * SPACE + SPACE / 2 + this.#next++
      this.#byPath.set(key, ino)
    }
    return ino
  }
}
