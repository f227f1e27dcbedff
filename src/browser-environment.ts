/**
 * What the browser entry plugs into the Upload: XHR by default, Blob/stream sources, online events.
 * What few uploads need is loaded on first use (`start()` is async anyway): the fetch transport
 * (only when asked for, or where XHR is missing) and the IndexedDB store (not with `store: false`
 * or `'memory'`); stream sources are loaded by `toSource`.
 * @module
 */
import { UploadError } from './errors'
import { toSource, type SourceInput } from './sources'
import { StoreError } from './stores/errors'
import { sharedMemoryStore } from './stores/memory'
import { xhrTransport } from './transports/xhr'
import type { Store, Transport } from './types'
import type { UploadEnvironment } from './upload'

/**
 * `load()` once, shared by every caller; a failed load (a chunk that did not arrive) is turned
 * into `failure(cause)` and tried again by the next caller.
 */
function onFirstUse<T>(load: () => Promise<T>, failure: (cause: unknown) => Error): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () =>
    (loading ??= load().catch((cause: unknown) => {
      loading = undefined
      throw failure(cause)
    }))
}

/** The fetch transport, its module imported at the first request. */
function lazyFetchTransport(): Transport {
  const transport = onFirstUse(
    async () => (await import('./transports/fetch')).fetchTransport(),
    (cause) => new UploadError('network', 'The fetch transport could not be loaded.', { retryable: true, cause }),
  )
  return {
    name: 'fetch',
    seesInterimResponses: false,
    reportsUploadProgress: false,
    send: async (request, options) => (await transport()).send(request, options),
  }
}

/** The IndexedDB store, its module imported at the first operation. */
function lazyIndexedDbStore(): Store {
  const store = onFirstUse(
    async () => (await import('./stores/indexeddb')).indexedDbStore(),
    (cause) => new StoreError('unavailable', 'The IndexedDB store could not be loaded.', cause),
  )
  return {
    get: async (key) => (await store()).get(key),
    put: async (record) => (await store()).put(record),
    delete: async (key) => (await store()).delete(key),
    list: async () => (await store()).list(),
  }
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
    return option === 'memory' ? sharedMemoryStore() : lazyIndexedDbStore()
  },
  baseUrl: () => globalThis.location?.href,
  offline(signal) {
    if (typeof navigator === 'undefined' || navigator.onLine !== false || typeof addEventListener !== 'function') return undefined
    return new Promise<void>((resolve) => {
      const done = (): void => {
        removeEventListener('online', done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      addEventListener('online', done)
      signal.addEventListener('abort', done)
    })
  },
}
