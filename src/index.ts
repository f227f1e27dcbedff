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
import type { RestoreOptions } from './previous'
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
  static async findPrevious(input: SourceInput, options: UploadOptions): Promise<UploadRecord[]> {
    const { findPreviousRecords } = await import('./previous')
    return findPreviousRecords(input, options, browserEnvironment)
  }

  /**
   * Ready-to-start Uploads for every unfinished upload whose file was stored (`persistBlob`),
   * e.g. after a reload: `for (const upload of await Upload.restoreAll(options)) upload.start()`.
   * Each keeps its stored endpoint and metadata; `options` supplies the rest (headers, store…).
   */
  static async restoreAll(options: RestoreOptions = {}): Promise<Upload[]> {
    const { restorable } = await import('./previous')
    return (await restorable(options, browserEnvironment)).map((item) => new Upload(item.blob, item.options))
  }
}

export * from './exports'
export { xhrTransport } from './transports/xhr'
export type { XhrTransportOptions } from './transports/xhr'
export type { SourceInput } from './sources'
export { indexedDbStore } from './stores/indexeddb'
export type { IndexedDbStoreOptions } from './stores/indexeddb'
export { acquireUploadLock } from './locks'
export type { UploadLock } from './locks'
