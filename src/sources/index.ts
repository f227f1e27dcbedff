/**
 * Sources for browser inputs, and `toSource`, which picks one. Browser-safe: Node-only inputs
 * (file paths, Node streams) are handled in `./node`.
 * @module
 */
import type { Source } from '../types'
import { blobSource } from './blob'
import { bytesSource, type SourceMetadata } from './bytes'

export { blobSource } from './blob'
export { bytesSource, type SourceMetadata } from './bytes'
export { streamSource, type StreamSource } from './stream'

/** What {@link toSource} accepts. */
export type SourceInput = Source | Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>

/**
 * Whether `value` already is a {@link Source} (has `slice`, `close` and a `size` property).
 * @param value anything
 */
export function isSource(value: unknown): value is Source {
  if (typeof value !== 'object' || value === null || !('size' in value)) return false
  const candidate = value as Partial<Source>
  return typeof candidate.slice === 'function' && typeof candidate.close === 'function'
}

/**
 * The source for a browser input: a Source as it is, a Blob or File -> {@link blobSource}, a
 * Uint8Array, Buffer or ArrayBuffer -> {@link bytesSource}, a ReadableStream -> {@link streamSource}
 * (loaded on demand: few uploads are streams of unknown length).
 * @param input the data to upload
 * @param metadata name, type and lastModified for inputs without their own (default none)
 * @throws TypeError (a rejection) for any other input
 */
export async function toSource(input: SourceInput, metadata: SourceMetadata = {}): Promise<Source> {
  if (isSource(input)) return input
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobSource(input, metadata)
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return bytesSource(input, metadata)
  if (typeof ReadableStream !== 'undefined' && input instanceof ReadableStream) return (await import('./stream')).streamSource(input, metadata)
  throw new TypeError('Unsupported upload input: expected a Blob, File, Uint8Array, ArrayBuffer or ReadableStream.')
}
