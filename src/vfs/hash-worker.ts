import { Worker } from 'node:worker_threads'

/**
 * sha256 of large sequential writes, computed on a worker thread: hashing 128 KiB takes longer
 * than the FUSE write that brings it (about 0.25 ms at 500 MB/s here), so on the event loop it
 * would slow every large write by half. The loop only copies the bytes (the kernel's buffer is
 * reused once the write is answered) and posts them; the worker keeps one hash per stream, in
 * the order the updates were posted.
 */
const SOURCE = `
const { parentPort } = require('node:worker_threads')
const { createHash } = require('node:crypto')
const hashes = new Map()
// On Linux this lowers only this thread: the FUSE and event-loop threads of the daemon go first,
// the hash catches up when they wait (it is needed at close, which is later).
try { require('node:os').setPriority(10) } catch {}
parentPort.on('message', (m) => {
  if (m.t === 'u') { let h = hashes.get(m.id); if (!h) { h = createHash('sha256'); hashes.set(m.id, h) } h.update(new Uint8Array(m.b)) }
  else if (m.t === 'd') { const h = hashes.get(m.id) ?? createHash('sha256'); parentPort.postMessage({ r: m.r, hex: h.copy().digest('hex') }) }
  else if (m.t === 'x') hashes.delete(m.id)
})`

let worker: Worker | undefined
let nextId = 1
let nextRequest = 1
const waiting = new Map<number, (hex: string) => void>()

function theWorker(): Worker {
  if (!worker) {
    worker = new Worker(SOURCE, { eval: true })
    // Never keeps the daemon alive; reattached while a digest is awaited.
    worker.unref()
    worker.on('message', (m: { r: number; hex: string }) => {
      waiting.get(m.r)?.(m.hex)
      waiting.delete(m.r)
      if (waiting.size === 0) worker?.unref()
    })
    worker.on('error', () => {
      worker = undefined
      for (const resolve of waiting.values()) resolve('')
      waiting.clear()
    })
  }
  return worker
}

/** Bytes gathered before one message goes to the worker (fewer wake-ups than one per write). */
const BATCH = 1 << 20

/** One running sha256 on the worker. */
export class OffThreadHash {
  readonly #id = nextId++
  #done = false
  #batch: Buffer<ArrayBuffer> | undefined
  #filled = 0

  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      // Not zero-filled (every byte is overwritten) and not from Buffer's shared pool (it is transferred).
      this.#batch ??= Buffer.allocUnsafeSlow(Math.max(BATCH, bytes.length - at))
      const n = Math.min(bytes.length - at, this.#batch.length - this.#filled)
      this.#batch.set(bytes.subarray(at, at + n), this.#filled)
      this.#filled += n
      at += n
      if (this.#filled === this.#batch.length) this.#post()
    }
  }

  #post(): void {
    const batch = this.#batch
    if (!batch || this.#filled === 0) return
    // allocUnsafeSlow: its own ArrayBuffer of exactly its length, at offset 0.
    const buffer = this.#filled === batch.length ? batch.buffer : batch.buffer.slice(0, this.#filled)
    this.#batch = undefined
    this.#filled = 0
    theWorker().postMessage({ t: 'u', id: this.#id, b: buffer }, [buffer])
  }

  /** The hex digest of everything updated so far ('' if the worker failed); more updates may follow. */
  digest(): Promise<string> {
    this.#post()
    const w = theWorker()
    w.ref()
    const r = nextRequest++
    return new Promise((resolve) => {
      waiting.set(r, resolve)
      w.postMessage({ t: 'd', id: this.#id, r })
    })
  }

  /** Drops the stream without a digest. */
  discard(): void {
    if (this.#done) return
    this.#done = true
    this.#batch = undefined
    worker?.postMessage({ t: 'x', id: this.#id })
  }
}
