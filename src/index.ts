/**
 * resumable-upload for browsers: uploads that survive dropped connections, reloads and crashes.
 * @example
 * ```ts
 * import { Upload } from 'resumable-upload'
 * const upload = new Upload(file, { endpoint: '/uploads' })
 * upload.on('progress', ({ bytesAcked, bytesTotal }) => console.log(bytesAcked, bytesTotal))
 * const { url } = await upload.start()
 * ```
 * @module
 */
import { browserEnvironment } from './browser-environment'
import type { UploadOptions } from './options'
import { findPreviousRecords, restorableRecords } from './previous'
import type { SourceInput } from './sources'
import type { UploadRecord } from './types'
import { BaseUpload } from './upload'

/** A resumable upload of a File, Blob, Uint8Array or ReadableStream. */
export class Upload extends BaseUpload<SourceInput> {
  /**
   * @param input what to upload
   * @param options endpoint, chunk size, headers, retries… (see {@link UploadOptions})
   */
  constructor(input: SourceInput, options: UploadOptions) {
    super(input, options, browserEnvironment)
  }

  /** Stored records of unfinished uploads of this file to `options.endpoint` (from the store). */
  static findPrevious(input: SourceInput, options: UploadOptions): Promise<UploadRecord[]> {
    return findPreviousRecords(input, options, browserEnvironment)
  }

  /**
   * Ready-to-start Uploads for every unfinished upload whose file was stored (`persistBlob`),
   * e.g. after a reload: `for (const upload of await Upload.restoreAll(options)) upload.start()`.
   * Each keeps its stored endpoint and metadata; `options` supplies the rest (headers, store…).
   */
  static async restoreAll(options: Omit<UploadOptions, 'endpoint' | 'url'> = {}): Promise<Upload[]> {
    const records = await restorableRecords(options, browserEnvironment)
    return records.map((record) => new Upload(record.blob, { ...options, endpoint: record.endpoint, metadata: record.metadata, persistBlob: true }))
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
export { xhrTransport } from './transports/xhr'
export type { SourceInput } from './sources'
export type * from './types'

// Persistence
export { memoryStore } from './stores/memory'
export { indexedDbStore } from './stores/indexeddb'
export type { IndexedDbStoreOptions } from './stores/indexeddb'
export { StoreError } from './stores/errors'
export type { StoreErrorCode } from './stores/errors'
export { parseRecord } from './stores/record'
export { fingerprint } from './fingerprint'
export type { FingerprintFunction, FingerprintOptions } from './fingerprint'
export { acquireUploadLock } from './locks'
export type { UploadLock } from './locks'
