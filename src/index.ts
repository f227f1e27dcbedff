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
import type { SourceInput } from './sources'
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
}

export { UploadError, isRetryableStatus } from './errors'
export type { UploadErrorCode, UploadErrorOptions } from './errors'
export type { HeadersOption, RetryOptions, UploadEvents, UploadOptions, UploadProgress, UploadResult, UploadState } from './options'
export { ietfProtocol } from './protocols/ietf'
export type { IetfProtocolOptions } from './protocols/ietf'
export { fetchTransport } from './transports/fetch'
export { xhrTransport } from './transports/xhr'
export type { SourceInput } from './sources'
export type * from './types'
