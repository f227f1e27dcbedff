// The browser half of the bench (plain JavaScript: the page loads it as it is). It makes the test
// Blob in the page and runs one upload at a time, timing it with performance.now(). The driver
// (bench/chromium.ts) calls these through `window.bench`; types in bench-page.d.ts.
import { BLOCK_SIZE, fillBlock } from './pattern.js'

/** Blob parts are made 8 MiB at a time from one reused buffer (the Blob copies each part). */
const PART_SIZE = 8 * BLOCK_SIZE

/** @type {Blob | undefined} */
let current

function blob() {
  if (current === undefined) throw new Error('bench: no Blob; call makeBlob first')
  return current
}

/** @param {number} started */
const since = (started) => performance.now() - started

window.bench = {
  /**
   * Makes the test Blob of `size` bytes for `seed` (the same bytes as bench/data.ts) and resolves
   * with its size once the browser holds all of it: Chromium builds a Blob's data in the browser
   * process after `new Blob()` returns (paging big ones to disk), and an upload started before
   * that ends waits for it, timed as upload (or fails: at 1 GiB the first upload did).
   */
  async makeBlob(size, seed) {
    const buffer = new Uint8Array(Math.min(PART_SIZE, size))
    const parts = []
    let index = 0
    for (let at = 0; at < size; at += PART_SIZE) {
      const length = Math.min(PART_SIZE, size - at)
      for (let offset = 0; offset < length; offset += BLOCK_SIZE) {
        fillBlock(buffer.subarray(offset, Math.min(length, offset + BLOCK_SIZE)), seed, index++)
      }
      parts.push(new Blob([buffer.subarray(0, length)]))
    }
    current = new Blob(parts)
    await window.bench.settle()
    return current.size
  },

  /**
   * Waits until the Blob's last byte reads (reading waits for the whole Blob to be built). At
   * 1 GiB Chromium 156 answered NotReadableError for a while: retry for up to 30 s, then go on
   * and let the uploads report it.
   */
  async settle() {
    const made = blob()
    for (let tries = 0; made.size > 0 && tries < 120; tries++) {
      try {
        await made.slice(made.size - 1).arrayBuffer()
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
  },

  /** Forgets the Blob. */
  dropBlob() {
    current = undefined
  },

  /** The ceiling: one XHR POST of the whole Blob to a plain (non-resumable) handler. */
  raw(endpoint) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      const started = performance.now()
      xhr.open('POST', endpoint)
      xhr.onload = () => {
        const location = xhr.getResponseHeader('Location')
        if (xhr.status !== 201 || location === null) reject(new Error(`raw POST answered ${xhr.status}`))
        else resolve({ ms: since(started), url: new URL(location, endpoint).href })
      }
      xhr.onerror = () => reject(new Error('raw POST failed'))
      xhr.send(blob())
    })
  },

  /** Our Upload from the script-tag bundle (XHR transport, default retries); `'default'`: only the endpoint. */
  async ours(endpoint, protocol, chunkSize) {
    const options =
      chunkSize === 'default' ? { endpoint } : { endpoint, protocol, chunkSize: chunkSize ?? Infinity, metadata: { filename: 'bench.bin' } }
    const upload = new window.ResumableUpload.Upload(blob(), options)
    const started = performance.now()
    const { url } = await upload.start()
    return { ms: since(started), url }
  },

  /** tus-js-client from its browser bundle (default retries; no fingerprint left in localStorage). */
  tusJs(endpoint, chunkSize) {
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const upload = new window.tus.Upload(blob(), {
        endpoint,
        chunkSize: chunkSize ?? Infinity,
        metadata: { filename: 'bench.bin' },
        removeFingerprintOnSuccess: true,
        onSuccess: () => resolve({ ms: since(started), url: upload.url }),
        onError: (error) => reject(error instanceof Error ? error : new Error(String(error))),
      })
      upload.start()
    })
  },
}
