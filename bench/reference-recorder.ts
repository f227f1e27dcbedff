/**
 * Resume waste on the reference server: connections are cut by its fault injection (a `destroy`
 * fault armed for the request that carries the next planned position), and body bytes are timed
 * as the server reads them (through its live `stats.bodyBytesReceived` counter).
 * @module
 */
import type { ReferenceServer, RequestEvent } from '../test/server/index'
import { bodyRequest, receive, type BodyRequest, type CutPlan } from './body-requests'

/** A recorder attached to the server; `stop()` detaches it. */
export interface ReferenceRecorder {
  /** Requests that carried a body, in order of arrival. */
  requests: BodyRequest[]
  stop(): void
}

/**
 * Calls `onBytes` whenever the server counts body bytes. The counter stays a number for everyone
 * else; `restore()` puts the plain property back.
 */
function watchBodyBytes(server: ReferenceServer, onBytes: (bytes: number, at: number) => void): () => void {
  const stats = server.stats
  let total = stats.bodyBytesReceived
  Object.defineProperty(stats, 'bodyBytesReceived', {
    configurable: true,
    enumerable: true,
    get: () => total,
    set: (value: number) => {
      const added = value - total
      total = value
      onBytes(added, performance.now())
    },
  })
  return () => Object.defineProperty(stats, 'bodyBytesReceived', { configurable: true, enumerable: true, writable: true, value: total })
}

function bodyLength(event: RequestEvent): number {
  const length = Number(event.headers['content-length'] ?? '0')
  return Number.isSafeInteger(length) && length > 0 ? length : 0
}

/** Records the body requests of the next upload on `server` and cuts them where `plan` says. */
export function recordReference(server: ReferenceServer, plan: CutPlan): ReferenceRecorder {
  const requests: BodyRequest[] = []
  let current: BodyRequest | undefined
  const onRequest = (event: RequestEvent): void => {
    const length = bodyLength(event)
    if ((event.kind !== 'create' && event.kind !== 'append') || length === 0) {
      current = undefined
      return
    }
    const offset = event.kind === 'create' ? 0 : Number(event.headers['upload-offset'] ?? '0')
    const cutAfter = plan.cutAfter(offset, length)
    // The 'request' event comes before the server claims faults for the request: this one takes it.
    if (cutAfter !== undefined) {
      server.faults.add({
        type: 'destroy',
        afterBytes: cutAfter,
        match: { kind: event.kind, ...(event.uploadId === undefined ? {} : { uploadId: event.uploadId }) },
      })
    }
    current = bodyRequest(offset, length, cutAfter)
    requests.push(current)
  }
  server.events.on('request', onRequest)
  const restore = watchBodyBytes(server, (bytes, at) => {
    if (current) receive(current, bytes, at)
  })
  return {
    requests,
    stop() {
      server.events.off('request', onRequest)
      restore()
      server.faults.clear()
    },
  }
}
