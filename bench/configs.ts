/**
 * The configurations the bench compares, one table row each (per environment and size).
 * @module
 */
import { MiB } from './data'

/** Who sends the bytes. */
export type ClientName = 'raw' | 'ours' | 'tus-js-client'

/** What the server speaks: `plain` is one ordinary POST (the ceiling). */
export type WireProtocol = 'plain' | 'ietf' | 'tus'

/** One configuration. */
export interface UploadConfig {
  /** Stable id used in results.json, e.g. `ours-ietf-8m`. */
  id: string
  /** Row label for the table. */
  label: string
  /** The client. */
  client: ClientName
  /** The protocol (and so the server). */
  protocol: WireProtocol
  /**
   * Bytes per request; null for Infinity (one request); `'default'` for the client's defaults:
   * no `chunkSize` and no option but the endpoint (`new Upload(file, { endpoint })`).
   */
  chunkSize: ChunkSetting
}

/** Bytes per request, null for Infinity, or `'default'` (the option left out). */
export type ChunkSetting = number | null | 'default'

/** Chunk sizes every resumable client is measured with: Infinity, 8 MiB, 32 MiB. */
export const CHUNK_SIZES: ReadonlyArray<number | null> = [null, 8 * MiB, 32 * MiB]

/** Ours on IETF also runs with its defaults and with 64 MiB chunks: how far the default is from the best fixed size. */
export const OURS_IETF_CHUNK_SIZES: readonly ChunkSetting[] = ['default', ...CHUNK_SIZES, 64 * MiB]

/** `default options`, `chunk ∞`, `chunk 8M`. */
export function chunkLabel(chunkSize: ChunkSetting): string {
  if (chunkSize === 'default') return 'default options'
  return `chunk ${chunkSize === null ? '∞' : `${chunkSize / MiB}M`}`
}

function chunkId(chunkSize: ChunkSetting): string {
  if (chunkSize === 'default') return 'default'
  return chunkSize === null ? 'inf' : `${chunkSize / MiB}m`
}

/** A resumable configuration for `client` over `protocol` with `chunkSize`. */
export function resumableConfig(client: Exclude<ClientName, 'raw'>, protocol: 'ietf' | 'tus', chunkSize: ChunkSetting): UploadConfig {
  const name = client === 'ours' ? `ours ${protocol}` : 'tus-js-client'
  const id = client === 'ours' ? `ours-${protocol}-${chunkId(chunkSize)}` : `tus-js-client-${chunkId(chunkSize)}`
  return { id, label: `${name} ${chunkLabel(chunkSize)}`, client, protocol, chunkSize }
}

/** The ceiling: one raw request carrying the whole body to the reference server's plain handler. */
export const RAW_CONFIG: UploadConfig = { id: 'raw', label: 'raw single request (ceiling)', client: 'raw', protocol: 'plain', chunkSize: null }

/**
 * The throughput matrix: the ceiling first, then ours on IETF (default options first, then every
 * chunk size and 64 MiB), ours on tus and tus-js-client with every chunk size. `withOursTus` false
 * leaves out ours on tus (protocol not loadable).
 */
export function throughputMatrix(withOursTus: boolean): UploadConfig[] {
  const rows: UploadConfig[] = [RAW_CONFIG]
  for (const chunk of OURS_IETF_CHUNK_SIZES) rows.push(resumableConfig('ours', 'ietf', chunk))
  if (withOursTus) for (const chunk of CHUNK_SIZES) rows.push(resumableConfig('ours', 'tus', chunk))
  for (const chunk of CHUNK_SIZES) rows.push(resumableConfig('tus-js-client', 'tus', chunk))
  return rows
}
