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

/** What `Upload` hands a protocol it builds by name. */
export interface ProtocolSettings {
  /** Handed to protocols that read times (expiry, Retry-After). */
  clock: () => number
  /** The IETF interop version (the `interopVersion` option); ignored by other protocols. */
  interopVersion?: number
}

/** The Protocol for a name; a TypeError for a name that is none (from JavaScript). */
export async function loadProtocol(name: ProtocolName, { clock, interopVersion }: ProtocolSettings): Promise<Protocol> {
  if (name === 'ietf') return ietfProtocol({ clock, interopVersion })
  // Loaded on demand: apps that never name tus do not bundle it.
  if (name === 'tus') return (await import('./tus')).tusProtocol({ clock })
  throw new TypeError(`resumable-upload: unknown protocol '${String(name)}'`)
}
