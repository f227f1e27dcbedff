/** What the Node entry plugs into the Upload: node-http by default, file/Buffer/stream sources. @module */
import { toNodeSource, type NodeSourceInput } from './sources/node'
import { fetchTransport } from './transports/fetch'
import { nodeHttpTransport } from './transports/node-http'
import type { UploadEnvironment } from './upload'

/** The Node environment: `node-http` unless `fetch` is asked for; Node has no offline event. */
export const nodeEnvironment: UploadEnvironment<NodeSourceInput> = {
  transport(name) {
    if (name === 'xhr') throw new TypeError('resumable-upload: the xhr transport exists only in browsers')
    return name === 'fetch' ? fetchTransport() : nodeHttpTransport()
  },
  source: toNodeSource,
  baseUrl: () => undefined,
  offline: () => undefined,
}
