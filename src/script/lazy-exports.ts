/**
 * What the script-tag bundle exports in place of `tusProtocol`, `fetchTransport` and `memoryStore`:
 * stand-ins with the same signatures that load the real module (a sibling file of the bundle) on
 * first use, so a page that never uses them never downloads them.
 * @module
 */
import type { FetchTransportOptions } from '../transports/fetch'
import type { TusProtocol, TusProtocolOptions } from '../protocols/tus'
import { lazyMemoryStore } from '../stores/lazy-memory'
import type { Store, Transport } from '../types'
import { loadOnce } from '../utils'

/**
 * `tusProtocol(options)`: a stand-in that forwards every property to the real tus protocol once
 * its file has loaded. It is a thenable resolving to that protocol: `Upload` resolves its
 * `protocol` option with `await`, which loads the file before the first request. Before that,
 * it answers `name`, `version` and `earlyLocation` only (what records and settings read).
 * @param options as for the npm entry's `tusProtocol`
 */
export function tusProtocol(options?: TusProtocolOptions): TusProtocol {
  let real: TusProtocol | undefined
  const load = loadOnce(() => import('../protocols/tus').then((module) => (real = module.tusProtocol(options))), 'the tus protocol')
  const before: Partial<Record<PropertyKey, unknown>> = { name: 'tus', version: '1.0.0', earlyLocation: false }
  const then = (resolve: (protocol: TusProtocol) => unknown, reject: (cause: unknown) => unknown): Promise<unknown> => load().then(resolve, reject)
  return new Proxy({} as TusProtocol, {
    get: (_target, key) => (key === 'then' ? then : real ? Reflect.get(real, key) : before[key]),
    has: (_target, key) => key === 'then' || (real ? key in real : key in before),
  })
}

/**
 * `fetchTransport(options)`: a transport that imports the fetch transport at its first request.
 * A failed import is that request's failure (a retryable `network` UploadError), and the next
 * request imports again.
 * @param options as for the npm entry's `fetchTransport`
 */
export function fetchTransport(options?: FetchTransportOptions): Transport {
  const load = loadOnce(() => import('../transports/fetch').then((module) => module.fetchTransport(options)), 'the fetch transport')
  return {
    name: 'fetch',
    seesInterimResponses: false,
    reportsUploadProgress: false,
    send: async (request, sendOptions) => (await load()).send(request, sendOptions),
  }
}

/** `memoryStore()`: a fresh in-memory store, its module loaded at first use. */
export function memoryStore(): Required<Store> {
  // lazy-memory.ts's wrapper defines all five methods (lock included).
  return lazyMemoryStore(false) as Required<Store>
}
