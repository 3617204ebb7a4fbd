/**
 * The progress line of long commands (sync, checkpoint, restore): a cli-progress bar with bytes
 * and files on stderr when stderr is a terminal, nothing at all otherwise (scripts and logs stay
 * clean). Fed with the `{bytes, files, totalBytes?, totalFiles?}` objects the control methods send.
 */
import { createRequire } from 'node:module'

interface Bar {
  start(total: number, value: number, payload?: Record<string, unknown>): void
  update(value: number, payload?: Record<string, unknown>): void
  setTotal(total: number): void
  stop(): void
}
interface CliProgress {
  SingleBar: new (options: Record<string, unknown>, preset?: unknown) => Bar
  Presets: Record<string, unknown>
}

export interface ProgressUpdate {
  bytes: number
  files: number
  totalBytes?: number
  totalFiles?: number
}

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`
}

export interface ProgressBar {
  /** Pass to callService as onProgress. */
  update(raw: unknown): void
  stop(): void
}

/** A bar on a terminal; a no-op elsewhere (or when `quiet`). */
export function progressBar(quiet = false, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (quiet || !stream.isTTY) return { update: () => {}, stop: () => {} }
  // cli-progress ships no types; loaded only when a bar is drawn.
  const { SingleBar, Presets } = createRequire(import.meta.url)('cli-progress') as CliProgress
  // The bar itself only when the total is known (sync to-ipfs, checkpoints); counters otherwise (from-ipfs, restore).
  const make = (withBar: boolean): Bar =>
    new SingleBar({ stream, format: withBar ? '{bar} {done} | {files} files' : '{done} | {files} files', hideCursor: true, clearOnComplete: true, barsize: 30, fps: 10 }, Presets.shades_classic)
  let bar: Bar | undefined
  let started = false
  return {
    update(raw) {
      const p = raw as ProgressUpdate
      if (typeof p?.bytes !== 'number') return
      const total = p.totalBytes ?? 0
      const payload = {
        done: total > 0 ? `${human(p.bytes)} / ${human(total)}` : human(p.bytes),
        files: p.totalFiles !== undefined ? `${p.files}/${p.totalFiles}` : String(p.files),
      }
      if (!bar) bar = make(total > 0)
      if (!started) {
        bar.start(Math.max(total, 1), Math.min(p.bytes, Math.max(total, 1)), payload)
        started = true
        return
      }
      if (total > 0) bar.setTotal(total)
      bar.update(total > 0 ? Math.min(p.bytes, total) : 0, payload)
    },
    stop() {
      if (started) bar?.stop()
    },
  }
}

/** Runs a long call with a bar and Ctrl-C cancelling it (the daemon sees the connection close). */
export async function withProgress<T>(quiet: boolean, fn: (onProgress: (u: unknown) => void, signal: AbortSignal) => Promise<T>): Promise<T> {
  const bar = progressBar(quiet)
  const ac = new AbortController()
  const onSigint = () => ac.abort()
  process.once('SIGINT', onSigint)
  try {
    return await fn((u) => bar.update(u), ac.signal)
  } finally {
    process.off('SIGINT', onSigint)
    bar.stop()
  }
}
