/**
 * What an entry point (browser or Node) hands the Upload.
 * @module
 */
import type { UploadOptions } from '../options'
import type { Source, Store, Transport } from '../types'

/** What an entry point (browser or Node) supplies: default transport, sources, network status. */
export interface UploadEnvironment<Input> {
  /** Builds the named transport; the entry decides which names exist. */
  transport(name: 'xhr' | 'fetch' | 'node-http' | undefined): Transport
  /** Turns what the user passed into a Source. */
  source(input: Input): Source | Promise<Source>
  /** Base for relative endpoints (the page's URL in browsers). */
  baseUrl(): string | undefined
  /** Resolves once the network is back (browsers: the `online` event); undefined when online. */
  offline(signal: AbortSignal): Promise<void> | undefined
  /** The store for a store option (the default when undefined); undefined for none. */
  store(option: UploadOptions['store'], options: UploadOptions): Store | undefined
}
