/**
 * What the browser entry plugs into the Upload: XHR by default, Blob/stream sources, online events.
 * What few uploads need is loaded on first use (`start()` is async anyway): the fetch transport
 * (only when asked for, or where XHR is missing); stream sources are loaded by `toSource`. The
 * IndexedDB store is not: a default upload reads it before its first request, and as a chunk of
 * its own it cost that upload about 380 B more (gzip) and a round trip.
 * @module
 */
import { toSource, type SourceInput } from './sources'
import { indexedDbStore } from './stores/indexeddb'
import { lazyMemoryStore } from './stores/lazy-memory'
import { xhrTransport } from './transports/xhr'
import type { Transport } from './types'
import type { UploadEnvironment } from './upload'
import { loadOnce } from './utils'

/**
 * The fetch transport, its module imported at the first request. A failed import (a chunk that
 * did not arrive) is a retryable `network` error, and the next request imports again.
 */
function lazyFetchTransport(): Transport {
  const load = loadOnce(() => import('./transports/fetch').then((module) => module.fetchTransport()), 'the fetch transport')
  return { name: 'fetch', seesInterimResponses: false, reportsUploadProgress: false, send: async (request, options) => (await load()).send(request, options) }
}

/** The browser environment: `xhr` (or `fetch` where XHR is missing, as in service workers). */
export const browserEnvironment: UploadEnvironment<SourceInput> = {
  transport(name) {
    if (name === 'node-http') throw new TypeError('resumable-upload: the node-http transport exists only in Node')
    return name === 'fetch' || typeof XMLHttpRequest === 'undefined' ? lazyFetchTransport() : xhrTransport()
  },
  source: toSource,
  store(option) {
    if (option === false) return undefined
    if (typeof option === 'object') return option
    if (option === 'file') throw new TypeError("resumable-upload: the 'file' store exists only in Node")
    return option === 'memory' ? lazyMemoryStore(true) : indexedDbStore()
  },
  baseUrl: () => globalThis.location?.href,
  offline(signal) {
    if (typeof navigator === 'undefined' || navigator.onLine !== false || typeof addEventListener !== 'function') return undefined
    return new Promise<void>((resolve) => {
      // Chromium sends a worker no 'online' event under network emulation: look at onLine too.
      const poll = setInterval(() => navigator.onLine && done(), 1000)
      const done = (): void => {
        clearInterval(poll)
        removeEventListener('online', done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      addEventListener('online', done)
      signal.addEventListener('abort', done)
    })
  },
}
