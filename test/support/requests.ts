/** Records the requests a reference server starts handling, for tests that check what was sent. */
import type { ReferenceServer } from '../server'
import type { RequestEvent } from '../server/types'

/** Starts recording; `stop()` ends it. */
export function recordRequests(server: ReferenceServer): { requests: RequestEvent[]; stop: () => void } {
  const requests: RequestEvent[] = []
  const listener = (event: RequestEvent): void => void requests.push(event)
  server.events.on('request', listener)
  return { requests, stop: () => server.events.off('request', listener) }
}
