/**
 * Resolves a protocol name to a Protocol. Protocols other than the default are loaded with a
 * dynamic import, so an app's bundle carries only the protocols it names.
 * @module
 */
import type { Protocol } from '../types'
import { ietfProtocol } from './ietf'

/**
 * Protocol names `Upload` accepts as a string: `'ietf'` (the IETF draft, interop version 8) or
 * `'tus'` (tus 1.0.0, discovering the server's extensions with OPTIONS).
 */
export type ProtocolName = 'ietf' | 'tus'

/** The Protocol for a name; `clock` is handed to protocols that read times (expiry, Retry-After). */
export async function loadProtocol(name: ProtocolName, clock: () => number): Promise<Protocol> {
  switch (name) {
    case 'ietf':
      return ietfProtocol({ clock })
    case 'tus': {
      // Loaded on demand: apps that never name tus do not bundle it.
      const { tusProtocol } = await import('./tus')
      return tusProtocol({ clock })
    }
  }
}
