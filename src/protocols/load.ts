/**
 * Resolves a protocol name to a Protocol. Protocols other than the default are loaded with a
 * dynamic import, so an app's bundle carries only the protocols it names.
 * @module
 */
import type { Protocol } from '../types'
import { ietfProtocol } from './ietf'

/** Protocol names `Upload` accepts as a string. */
export type ProtocolName = 'ietf'

/** The Protocol for a name; `clock` is handed to protocols that read times (expiry, Retry-After). */
export async function loadProtocol(name: ProtocolName, clock: () => number): Promise<Protocol> {
  switch (name) {
    case 'ietf':
      return ietfProtocol({ clock })
  }
}
