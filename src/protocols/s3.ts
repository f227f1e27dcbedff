/**
 * S3 multipart uploads (CreateMultipartUpload, UploadPart through presigned URLs, ListParts,
 * CompleteMultipartUpload, AbortMultipartUpload) as a sans-I/O protocol: the app's backend signs
 * through five callbacks, the Upload's loop sends parts with its transports and asks this module
 * what each answer means. No fetch, no timers, no storage; the time is a parameter.
 *
 * Choices this module makes where S3 or `@uppy/aws-s3` leave room (each is tested in
 * test/unit/s3-protocol.test.ts):
 * - Callbacks have `@uppy/aws-s3`'s names, argument order and fields: the signal is the second
 *   argument of `createMultipartUpload` and the `signal` field of the others' options.
 * - Part size (s3-parts.ts): default 8 MiB, growing in whole MiB past 78 GiB so that 10,000 parts
 *   fit (525 MiB for 5 TiB); a stream of unknown length gets 8 MiB (at most 78.125 GiB). A user
 *   `chunkSize` is the part size: TypeError when it is not an integer, RangeError outside
 *   [5 MiB, 5 GiB] or when the file would need more than 10,000 parts. `Infinity`: one part up to
 *   5 GiB. Every part has that size but the last.
 * - A part request is a `PUT` to the presigned URL with only `signPart`'s headers: the Upload's
 *   `headers` option (meant for the app's server, often a bearer token) never goes to the bucket.
 *   `host` and `content-length` from `signPart` are dropped (the transport sets them).
 * - A stored part needs its `ETag` header; a 2xx without one is an error naming the bucket CORS
 *   rule (`ExposeHeaders: ETag`), not a retry: the browser will hide it again.
 * - Failures (s3-responses.ts): an expired signature (`AccessDenied` "Request has expired",
 *   `ExpiredToken`, or `SignatureDoesNotMatch` once the URL's `X-Amz-Date` + `X-Amz-Expires`
 *   has passed) re-signs; `404 NoSuchUpload` is gone; 408/429/5xx and S3's transient codes retry;
 *   anything else fails with S3's code and message.
 * - `listParts` is the truth on resume. A part it names outside the plan, twice, or with a `Size`
 *   other than the planned one is `offset-invalid` (another file or another plan): nothing is sent.
 *   A part without `Size` is taken (`@uppy/aws-s3`'s type makes it optional). The record only
 *   narrows the list: a listed part the record names with another ETag is sent again.
 * - Garbage from a callback is `callback-invalid` (not retryable; the message names the callback
 *   and what was wrong); a callback that throws is `callback-failed` (retryable, as a network
 *   failure), keeping the cause; an UploadError it throws is kept as it is.
 * - The record (s3-callbacks.ts) keeps uploadId, key, part size and completed parts with their
 *   ETags; never presigned URLs or headers.
 * @module
 */
import type { UploadError } from '../errors'
import type { HttpResponse } from '../types'
import {
  callbackError,
  checkS3Callbacks,
  completionParts,
  partRequest,
  readCompleted,
  readCreated,
  readListedParts,
  readS3RecordState,
  resumeParts,
  s3RecordState,
} from './s3-callbacks'
import { checkS3ChunkSize, s3PartNumberError, s3PartSize } from './s3-parts'
import { presignedExpiry, readPartResponse } from './s3-responses'
import type { S3Callbacks, S3CompletedPart, S3File, S3HeldPart, S3PartRequest, S3PartResult, S3PlannedPart, S3RecordState, S3UploadRef } from './s3-types'

export * from './s3-types'
export { S3_DEFAULT_PART_SIZE, S3_MAX_PARTS, S3_MAX_PART_SIZE, S3_MAX_SIZE, S3_MIN_PART_SIZE } from './s3-parts'
export { parseS3Error, type S3ErrorDocument } from './s3-responses'

/** The protocol name stored in records. */
export const S3_PROTOCOL_NAME = 's3'

/**
 * The S3 protocol the Upload's loop drives: the app's callbacks, and the pure rules for each step.
 * A parts protocol: the loop plans parts with `partSize`, sends up to `concurrency` at once through
 * the part scheduler (src/upload/parts.ts), and completes once every part is held.
 */
export interface S3Protocol {
  /** `s3`. */
  readonly name: typeof S3_PROTOCOL_NAME
  /** The record format's version. */
  readonly version: '1'
  /** This protocol sends numbered parts (several at once), not one offset. */
  readonly parts: true
  /** The app's five callbacks, checked to be functions. */
  readonly callbacks: S3Callbacks
  /** Checks a `chunkSize` option at construction (see {@link checkS3ChunkSize}). */
  checkChunkSize(chunkSize: unknown): void
  /** The part size for a source (see {@link s3PartSize}). */
  partSize(size: number | undefined, chunkSize: number | undefined): number
  /** An error when part `number` is beyond S3's 10,000 (a stream that kept going), else undefined. */
  partNumberError(number: number): UploadError | undefined
  /** Checks `createMultipartUpload`'s answer (throws UploadError). */
  readCreated(value: unknown): S3UploadRef
  /** The request for `part` from `signPart`'s answer (throws UploadError). */
  partRequest(signed: unknown, part: S3PlannedPart): S3PartRequest
  /** When a presigned URL expires, ms since the epoch, when it says (to re-sign before sending after a long pause). */
  presignedExpiry(url: string): number | undefined
  /** What the answer to a part request means; `now` is the current time in ms. */
  readPartResponse(request: S3PartRequest, response: HttpResponse, now: number): S3PartResult
  /** Checks `listParts`'s answer against the plan (throws UploadError). */
  readListedParts(value: unknown, plan: { size: number; partSize: number }): S3HeldPart[]
  /** The parts held on resume: the listed ones, less those the record names with another ETag. */
  resumeParts(listed: readonly S3HeldPart[], recorded?: readonly S3HeldPart[]): S3HeldPart[]
  /** The `parts` for `completeMultipartUpload`. */
  completionParts(parts: readonly S3HeldPart[]): S3CompletedPart[]
  /** Checks `completeMultipartUpload`'s answer (throws UploadError). */
  readCompleted(value: unknown): { location: string | undefined }
  /** The UploadError for a callback that threw. */
  callbackError(name: keyof S3Callbacks, cause: unknown, signal?: AbortSignal): UploadError
  /** The record state to persist. */
  recordState(upload: S3UploadRef, partSize: number, parts: readonly S3HeldPart[]): S3RecordState
  /** A persisted record state read back, or undefined when it is not one. */
  readRecordState(value: unknown): S3RecordState | undefined
  /** The description of the file the callbacks receive. */
  file(source: { name?: string; type?: string; size: number | undefined }, metadata: Readonly<Record<string, string>>): S3File
}

/**
 * The S3 multipart protocol, with the app's backend doing the signing: no AWS secret reaches the
 * client.
 * @throws TypeError when one of the five callbacks is not a function
 * @example
 * new Upload(file, {
 *   protocol: s3({ createMultipartUpload, signPart, listParts, completeMultipartUpload, abortMultipartUpload }),
 *   chunkSize: 8 * 1024 * 1024, // the part size; default grows with the file
 *   concurrency: 4, // parts in flight
 * })
 */
export function s3(callbacks: S3Callbacks): S3Protocol {
  const checked = checkS3Callbacks(callbacks)
  return {
    name: S3_PROTOCOL_NAME,
    version: '1',
    parts: true,
    callbacks: checked,
    checkChunkSize: checkS3ChunkSize,
    partSize: s3PartSize,
    partNumberError: s3PartNumberError,
    readCreated,
    partRequest,
    presignedExpiry,
    readPartResponse,
    readListedParts,
    resumeParts,
    completionParts,
    readCompleted,
    callbackError,
    recordState: s3RecordState,
    readRecordState: readS3RecordState,
    file: ({ name, type, size }, metadata) => {
      const meta = { ...metadata, ...(name === undefined ? {} : { name }), ...(type === undefined ? {} : { type }) }
      return Object.freeze({ name, type, size, metadata: Object.freeze({ ...metadata }), meta: Object.freeze(meta) })
    },
  }
}
