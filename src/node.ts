/**
 * resumable-upload for Node: the `node-http` transport (it sees the 104 interim response, so the
 * upload URL is known while the body is still being sent) and Node sources (a file path, a
 * Buffer, a Node or web stream).
 * @example
 * ```ts
 * import { Upload } from 'resumable-upload'
 * const { url } = await new Upload('./video.mp4', { endpoint: 'https://example.com/uploads', chunkSize: Infinity }).start()
 * ```
 * @module
 */
import { nodeEnvironment } from './node-environment'
import type { UploadOptions } from './options'
import type { RestoreOptions } from './previous'
import type { NodeSourceInput } from './sources/node'
import type { UploadRecord } from './types'
import { BaseUpload } from './upload'

/** A resumable upload of a file path, Buffer/Uint8Array, Blob, or Node/web stream. */
export class Upload extends BaseUpload<NodeSourceInput> {
  /**
   * @param input what to upload
   * @param options endpoint, chunk size, headers, retries… (see {@link UploadOptions})
   */
  constructor(input: NodeSourceInput, options: UploadOptions) {
    super(input, options, nodeEnvironment)
  }

  /** Stored records of unfinished uploads of this input to `options.endpoint` (from the store). */
  static async findPrevious(input: NodeSourceInput, options: UploadOptions): Promise<UploadRecord[]> {
    const { findPreviousRecords } = await import('./previous')
    return findPreviousRecords(input, options, nodeEnvironment)
  }

  /**
   * Ready-to-start Uploads for every unfinished upload whose Blob the store kept (`persistBlob`
   * with a store that keeps Blobs: `store: 'memory'` within this process, or your own Store).
   * The default file store writes JSON and keeps no Blob, so after a restart this finds nothing:
   * pass the file path again (`new Upload(path, options)` resumes from the stored record).
   * Each keeps its stored endpoint and metadata; `options` supplies the rest.
   */
  static async restoreAll(options: RestoreOptions = {}): Promise<Upload[]> {
    const { restorable } = await import('./previous')
    return (await restorable(options, nodeEnvironment)).map((item) => new Upload(item.blob, item.options))
  }
}

export * from './exports'
export { nodeHttpTransport } from './transports/node-http'
export type { NodeHttpTransportOptions } from './transports/node-http'
export type { NodeSourceInput } from './sources/node'
export { fileStore } from './stores/file'
export type { FileStoreOptions } from './stores/file'
