/**
 * The vocabulary of the S3 multipart protocol: the five callbacks an app's backend implements
 * (the names and shapes of `@uppy/aws-s3`, so a team keeps its backend), the requests and results
 * of one part, and the record kept to resume. Types only.
 * @module
 */
import type { UploadError } from '../errors'
import type { HeaderMap } from '../types'

/** A value or a promise of it: every callback may answer either way. */
export type MaybePromise<T> = T | Promise<T>

/** The small description of the file each callback receives. */
export interface S3File {
  /** File name, when the source has one. */
  readonly name: string | undefined
  /** Media type, when known. */
  readonly type: string | undefined
  /** Size in bytes; undefined for a stream whose end has not been reached. */
  readonly size: number | undefined
  /** The user's `metadata` option. */
  readonly metadata: Readonly<Record<string, string>>
  /**
   * The same as `@uppy/aws-s3` hands it (`file.meta`): `metadata` with the file's `name` and `type`
   * (when known) over it, so callbacks written for Uppy run unchanged.
   */
  readonly meta: Readonly<Record<string, string>>
}

/** A multipart upload: S3's `UploadId` and the object key (the backend may choose any key). */
export interface S3UploadRef {
  /** S3's `UploadId`. */
  uploadId: string
  /** The object key. */
  key: string
}

/** What `signPart` receives (as `@uppy/aws-s3` passes it). */
export interface S3SignPartOptions extends S3UploadRef {
  /** 1-based part number, at most 10,000. */
  partNumber: number
  /** Aborted when the upload pauses or aborts. */
  signal: AbortSignal
  /**
   * The part's bytes, when the source is a Blob (as `@uppy/aws-s3` passes them; a Blob slice is
   * not read). Absent for other sources: a backend must not need it to presign.
   */
  body?: Blob
}

/** What `signPart` answers: a presigned UploadPart URL and the headers to send with it. */
export interface S3SignedPart {
  /** The presigned URL (absolute, http or https). */
  url: string
  /** Headers the signature needs (sent as given, names in any case). Default: none. */
  headers?: Record<string, string>
  /** Only `PUT` is valid for a part (`@uppy/aws-s3` allows the field). Default: `PUT`. */
  method?: string
  /** Seconds until the URL expires (`@uppy/aws-s3` allows the field; not needed: a 403 re-signs). */
  expires?: number
}

/** One part S3 holds, as `ListParts` names it (`@uppy/aws-s3`'s `AwsS3Part`). */
export interface S3ListedPart {
  /** 1-based part number. */
  PartNumber: number
  /** S3's ETag of the part (with or without its quotes). */
  ETag: string
  /** Size in bytes. Checked against the plan when present. */
  Size?: number
}

/** One part of the `CompleteMultipartUpload` list. */
export interface S3CompletedPart {
  /** 1-based part number. */
  PartNumber: number
  /** The ETag the part's response carried. */
  ETag: string
}

/** What `listParts`, `completeMultipartUpload` and `abortMultipartUpload` receive. */
export interface S3UploadOptions extends S3UploadRef {
  /** Aborted when the upload pauses or aborts. */
  signal: AbortSignal
}

/** What `completeMultipartUpload` receives. */
export interface S3CompleteOptions extends S3UploadOptions {
  /** Every part, in ascending order of `PartNumber`. */
  parts: S3CompletedPart[]
}

/**
 * The app's backend, which holds the AWS credentials: no secret ever reaches the client. The
 * names, argument order and fields are those of `@uppy/aws-s3` (which passes the signal as the
 * second argument of `createMultipartUpload` and inside the options of the others).
 */
export interface S3Callbacks {
  /** Starts a multipart upload (S3 `CreateMultipartUpload`). */
  createMultipartUpload(file: S3File, signal: AbortSignal): MaybePromise<S3UploadRef>
  /** Presigns one `UploadPart` request. */
  signPart(file: S3File, options: S3SignPartOptions): MaybePromise<S3SignedPart>
  /** The parts S3 holds (S3 `ListParts`, every page): the truth when resuming. */
  listParts(file: S3File, options: S3UploadOptions): MaybePromise<S3ListedPart[]>
  /** Assembles the object (S3 `CompleteMultipartUpload`); `location` is the object's URL when known. */
  completeMultipartUpload(file: S3File, options: S3CompleteOptions): MaybePromise<{ location?: string } | undefined | void>
  /** Drops the upload and its parts (S3 `AbortMultipartUpload`), for `abort({ terminate: true })`. */
  abortMultipartUpload(file: S3File, options: S3UploadOptions): MaybePromise<void>
}

/** The request that sends one part: a presigned PUT carrying the bytes `[start, end)`. */
export interface S3PartRequest {
  /** Always `PUT`. */
  method: 'PUT'
  /** The presigned URL. */
  url: string
  /** Only the headers `signPart` gave, names in lower case: never the Upload's own headers. */
  headers: HeaderMap
  /** The bytes of the source this part carries. */
  body: { start: number; end: number }
  /** The part number. */
  partNumber: number
}

/** What the answer to a part request means. */
export type S3PartResult =
  /** S3 stored the part; `etag` goes into the completion list. */
  | { kind: 'stored'; partNumber: number; etag: string }
  /** The presigned URL expired: sign the part again and resend it (`error` ends the upload when re-signs run out). */
  | { kind: 're-sign'; error: UploadError }
  /** S3 no longer knows the upload (`NoSuchUpload`): start over, or fail with `error` (`upload-gone`). */
  | { kind: 'gone'; error: UploadError }
  /** Anything else: `error.retryable` says whether sending the part again may help. */
  | { kind: 'error'; error: UploadError }

/** A part of the plan: its number and the bytes `[start, end)`. */
export interface S3PlannedPart {
  /** 1-based part number. */
  number: number
  /** First byte. */
  start: number
  /** End (exclusive). */
  end: number
}

/** A part S3 holds: its number and ETag. */
export interface S3HeldPart {
  /** 1-based part number. */
  number: number
  /** S3's ETag, as received. */
  etag: string
}

/**
 * What to persist to resume an S3 upload (JSON): the upload, its part size (the plan must not
 * change), and the parts completed so far. After a reload `listParts` is the truth; this only
 * narrows what to expect. Never credentials, presigned URLs or headers.
 */
export interface S3RecordState {
  /** S3's `UploadId`. */
  uploadId: string
  /** The object key. */
  key: string
  /** Bytes per part (the last may be shorter). */
  partSize: number
  /** Parts completed, ascending by number. */
  parts: S3HeldPart[]
}
