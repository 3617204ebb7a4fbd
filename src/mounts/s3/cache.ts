/**
 * What the backend learnt about paths (file, folder with or without marker, nothing), kept for
 * the mount's cache TTL. The VFS caches stats too, but it forgets a folder's stat on every change
 * inside it (a filesystem folder's mtime moves then; an S3 prefix has none to move), and it keeps
 * no negative answers: without this, every create would ask S3 three times whether the folder
 * exists and twice that the new name does not. Our own changes forget what they touch; a change
 * made behind our back shows after the TTL, or at once after `ipfs-vfs refresh`.
 */
export interface Head {
  metadata: Record<string, string>
  size: number
  lastModified: Date | undefined
  etag: string | undefined
  contentType: string | undefined
}

export type Probe = { kind: 'file'; head: Head } | { kind: 'dir'; marker: Head | undefined } | undefined

const MAX_ENTRIES = 100_000

export class ProbeCache {
  readonly #ttlMs: number
  readonly #map = new Map<string, { value: Probe; expires: number }>()

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs
  }

  /** The cached answer, or 'miss'. */
  get(path: string): Probe | 'miss' {
    const e = this.#map.get(path)
    if (!e) return 'miss'
    if (e.expires < Date.now()) {
      this.#map.delete(path)
      return 'miss'
    }
    return e.value
  }

  set(path: string, value: Probe): void {
    if (this.#ttlMs <= 0) return
    if (this.#map.size >= MAX_ENTRIES) this.#map.clear()
    this.#map.set(path, { value, expires: Date.now() + this.#ttlMs })
  }

  forget(...paths: string[]): void {
    for (const p of paths) this.#map.delete(p)
  }

  /** Forgets `path` and everything below it ('/' forgets everything). */
  forgetTree(path: string): void {
    if (path === '/') return this.#map.clear()
    for (const k of this.#map.keys()) if (k === path || k.startsWith(`${path}/`)) this.#map.delete(k)
  }
}
