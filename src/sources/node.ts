/**
 * `toNodeSource`: {@link toSource} plus the Node-only inputs (file paths, `file:` URLs, Node
 * Readable streams). Import only from the Node entry: it pulls in `node:` modules.
 * @module
 */
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import type { Source } from '../types'
import type { SourceMetadata } from './bytes'
import { type SourceInput, toSource } from './index'
import { nodeFileSource } from './node-file'
import { streamSource } from './stream'

export { nodeFileSource, type NodeFileSourceOptions } from './node-file'

/** What {@link toNodeSource} accepts: a browser input, a file path or `file:` URL, or a Node Readable. */
export type NodeSourceInput = SourceInput | string | URL | Readable

/**
 * The source for any input in Node: a path string or `file:` URL -> {@link nodeFileSource}, a Node
 * Readable -> {@link streamSource} (via `Readable.toWeb`), anything else as {@link toSource} does.
 * @param input the data to upload
 * @param metadata name, type and lastModified overrides (default: the file's own, else none)
 * @throws UploadError `source-error` when a file cannot be opened; TypeError for other inputs
 */
export async function toNodeSource(input: NodeSourceInput, metadata: SourceMetadata = {}): Promise<Source> {
  if (typeof input === 'string') return nodeFileSource(input, metadata)
  if (input instanceof URL) return nodeFileSource(fileURLToPath(input), metadata)
  if (input instanceof Readable) {
    return streamSource(Readable.toWeb(input) as ReadableStream<Uint8Array>, metadata)
  }
  return toSource(input, metadata)
}
