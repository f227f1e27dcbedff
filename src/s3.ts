/**
 * `resumable-upload/s3`: S3 multipart uploads with parallel parts, signed by the app's backend
 * (the five callbacks of `@uppy/aws-s3`), with the same `Upload` API, events, retries and
 * persistence as the IETF and tus protocols. Nothing of S3 loads unless this entry is imported.
 * @example
 * ```ts
 * import { Upload } from 'resumable-upload'
 * import { s3 } from 'resumable-upload/s3'
 * const upload = new Upload(file, {
 *   protocol: s3({ createMultipartUpload, signPart, listParts, completeMultipartUpload, abortMultipartUpload }),
 *   chunkSize: 8 * 1024 * 1024, // the part size; default grows with the file
 *   concurrency: 4, // parts in flight
 * })
 * ```
 * @module
 */
import { s3 as s3Protocol, type S3Protocol } from './protocols/s3'
import type { S3Callbacks } from './protocols/s3-types'
import { PartsRunner } from './upload/parts-runner'
import type { PartsProtocol, UploadPartsProtocol } from './upload/parts-runner-types'
import { uploadParts } from './upload/parts-upload'

export type * from './protocols/s3-types'
export { S3_DEFAULT_PART_SIZE, S3_MAX_PARTS, S3_MAX_PART_SIZE, S3_MAX_SIZE, S3_MIN_PART_SIZE, parseS3Error, type S3ErrorDocument } from './protocols/s3'
export type { S3Protocol } from './protocols/s3'
export type { PartsHost, PartsProtocol, PartsRun, PartsRunResult, UploadPartsProtocol } from './upload/parts-runner-types'

/** The S3 protocol, with what the Upload needs to run its parts. */
export interface S3UploadProtocol extends S3Protocol, UploadPartsProtocol {
  /** `s3`. */
  readonly name: S3Protocol['name']
  /** The record format's version. */
  readonly version: S3Protocol['version']
}

/**
 * The S3 multipart protocol for `new Upload(file, { protocol: s3(callbacks) })`. The app's backend
 * does the signing: no AWS secret reaches the client.
 * @throws TypeError when one of the five callbacks is not a function
 */
export function s3(callbacks: S3Callbacks): S3UploadProtocol {
  const protocol = s3Protocol(callbacks)
  const parts: S3Protocol & PartsProtocol = { ...protocol, createRun: (input) => new PartsRunner({ ...input, protocol }) }
  return uploadParts(parts)
}
