/** What the Node entry plugs into the Upload: node-http by default, file/Buffer/stream sources. @module */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toNodeSource, type NodeSourceInput } from './sources/node'
import { fileStore } from './stores/file'
import { indexedDbStore } from './stores/indexeddb'
import { sharedMemoryStore } from './stores/memory'
import { fetchTransport } from './transports/fetch'
import { nodeHttpTransport } from './transports/node-http'
import type { UploadEnvironment } from './upload'

/** The Node environment: `node-http` unless `fetch` is asked for, a file store; Node has no offline event. */
export const nodeEnvironment: UploadEnvironment<NodeSourceInput> = {
  transport(name) {
    if (name === 'xhr') throw new TypeError('resumable-upload: the xhr transport exists only in browsers')
    return name === 'fetch' ? fetchTransport() : nodeHttpTransport()
  },
  source: toNodeSource,
  store(option, options) {
    if (option === false) return undefined
    if (typeof option === 'object') return option
    if (option === 'memory') return sharedMemoryStore()
    if (option === 'indexeddb') return indexedDbStore()
    return fileStore(options.storeDirectory ?? join(tmpdir(), 'resumable-upload'))
  },
  baseUrl: () => undefined,
  offline: () => undefined,
}
