/** What the browser entry plugs into the Upload: XHR by default, Blob/stream sources, online events. @module */
import { toSource, type SourceInput } from './sources'
import { indexedDbStore } from './stores/indexeddb'
import { sharedMemoryStore } from './stores/memory'
import { fetchTransport } from './transports/fetch'
import { xhrTransport } from './transports/xhr'
import type { UploadEnvironment } from './upload'

/** The browser environment: `xhr` (or `fetch` where XHR is missing, as in service workers). */
export const browserEnvironment: UploadEnvironment<SourceInput> = {
  transport(name) {
    if (name === 'node-http') throw new TypeError('resumable-upload: the node-http transport exists only in Node')
    return name === 'fetch' || typeof XMLHttpRequest === 'undefined' ? fetchTransport() : xhrTransport()
  },
  source: toSource,
  store(option) {
    if (option === false) return undefined
    if (typeof option === 'object') return option
    if (option === 'file') throw new TypeError("resumable-upload: the 'file' store exists only in Node")
    return option === 'memory' ? sharedMemoryStore() : indexedDbStore()
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
