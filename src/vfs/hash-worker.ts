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

/** One running sha256 on the worker. */
export class OffThreadHash {
  readonly #id = nextId++
  #done = false

  update(bytes: Uint8Array): void {
    const copy = new Uint8Array(bytes.length)
    copy.set(bytes)
    theWorker().postMessage({ t: 'u', id: this.#id, b: copy.buffer }, [copy.buffer])
  }

  /** The hex digest of everything updated so far ('' if the worker failed); more updates may follow. */
  digest(): Promise<string> {
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
    worker?.postMessage({ t: 'x', id: this.#id })
  }
}
