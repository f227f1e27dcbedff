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
import { findPreviousRecords } from './previous'
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
  static findPrevious(input: NodeSourceInput, options: UploadOptions): Promise<UploadRecord[]> {
    return findPreviousRecords(input, options, nodeEnvironment)
  }
}

export { UploadError, isRetryableStatus } from './errors'
export type { UploadErrorCode, UploadErrorOptions } from './errors'
export type { HeadersOption, RetryOptions, UploadEvents, UploadOptions, UploadProgress, UploadResult, UploadState } from './options'
export { ietfProtocol } from './protocols/ietf'
export type { IetfProtocolOptions } from './protocols/ietf'
export { tusProtocol } from './protocols/tus'
export type { TusProtocol, TusProtocolOptions, TusServerInfo } from './protocols/tus'
export { fetchTransport } from './transports/fetch'
export { nodeHttpTransport } from './transports/node-http'
export type { NodeSourceInput } from './sources/node'
export type * from './types'

// Persistence
export { memoryStore } from './stores/memory'
export { fileStore } from './stores/file'
export type { FileStoreOptions } from './stores/file'
export { StoreError } from './stores/errors'
export type { StoreErrorCode } from './stores/errors'
export { parseRecord } from './stores/record'
export { fingerprint } from './fingerprint'
export type { FingerprintFunction, FingerprintOptions } from './fingerprint'
