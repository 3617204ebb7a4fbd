import type { SyncOptions, SyncProgress } from './types.ts'

/** Counts bytes and files and tells the caller at most every `intervalMs`, and once at the end. */
export class ProgressMeter {
  readonly state: SyncProgress = { bytes: 0, files: 0 }
  readonly #report: ((p: SyncProgress) => void) | undefined
  readonly #intervalMs: number
  #last = 0

  constructor(opts: SyncOptions, intervalMs = 100) {
    this.#report = opts.onProgress
    this.#intervalMs = intervalMs
  }

  totals(totalBytes: number, totalFiles: number): void {
    this.state.totalBytes = totalBytes
    this.state.totalFiles = totalFiles
    this.#emit(true)
  }

  add(bytes: number, files = 0): void {
    this.state.bytes += bytes
    this.state.files += files
    this.#emit(false)
  }

  done(): void {
    this.#emit(true)
  }

  #emit(force: boolean): void {
    if (!this.#report) return
    const now = Date.now()
    if (!force && now - this.#last < this.#intervalMs) return
    this.#last = now
    this.#report({ ...this.state })
  }
}
