/**
 * Why an upload step failed. Callers branch on `code`; `retryable` says whether the Upload's
 * retry policy may try again.
 *
 * - `network`: no response (connection refused, reset, DNS); retryable.
 * - `timeout`: no progress within the stall timeout; retryable.
 * - `http-status`: the server answered with a status the protocol does not expect; `status` is set.
 *   Retryable for 408, 429 and 5xx.
 * - `malformed-response`: a header the protocol needs is missing or not valid structured-field
 *   syntax (for example `Upload-Offset: -5`).
 * - `offset-invalid`: the server's offset is beyond the source's size or the bytes sent, went
 *   backwards, or the server reports the upload complete at another offset than the source's length.
 * - `length-mismatch`: the server's `Upload-Length` differs from the source's size.
 * - `location-missing`: a creation response without `Location`.
 * - `location-refused`: a `Location` on an origin the options do not allow.
 * - `location-changed`: two `Location`s for one request differ (a 104 and the 201, or two 104s).
 * - `too-large`: the source exceeds the server's `max-size`.
 * - `upload-gone`: the upload resource answers 404/410 and restarting was turned off, or
 *   `maxRestarts` fresh starts ran out.
 * - `upload-failed`: the server completed the upload with an error status (`Upload-Complete: ?1`).
 * - `source-changed`: the file differs from the one the stored upload was made from.
 * - `source-error`: the source could not be read.
 * - `locked`: another tab or process is uploading the same file.
 * - `aborted`: `abort()` was called or the signal fired.
 * - `version-unsupported`: the server does not speak the requested IETF interop version (it
 *   answered as if the request were not a resumable upload, e.g. tusd's `412`); see the
 *   `interopVersion` option.
 * - `no-progress`: the server keeps answering without storing a real share of what was sent;
 *   the retries ran out.
 * - `limit-unusable`: the server announced a limit the upload cannot work with (for example a
 *   `max-append-size` below the floor of 1 KiB).
 * - `redirect-refused`: the server answered with a redirect. Redirects are never followed: nothing
 *   was sent to the target, or (XHR, which follows redirects itself) its answer was not trusted.
 * - `callback-failed`: an app callback (S3's `createMultipartUpload`, `signPart`, …) threw or
 *   rejected; the message names it, `cause` is what it threw. Retryable, like a network failure.
 * - `callback-invalid`: an app callback answered something the upload cannot use (no `uploadId`, a
 *   `signPart` URL that is not http(s), …); the message names it and what was wrong. Not retryable.
 * - `metadata-invalid`: the `metadata` option holds an entry the protocol cannot send (Azure:
 *   `x-ms-meta-` names must be C# identifiers, values printable ASCII); raised before any request.
 */
export type UploadErrorCode =
  | 'network'
  | 'timeout'
  | 'http-status'
  | 'malformed-response'
  | 'offset-invalid'
  | 'length-mismatch'
  | 'location-missing'
  | 'location-refused'
  | 'location-changed'
  | 'too-large'
  | 'upload-gone'
  | 'upload-failed'
  | 'source-changed'
  | 'source-error'
  | 'locked'
  | 'aborted'
  | 'version-unsupported'
  | 'no-progress'
  | 'limit-unusable'
  | 'redirect-refused'
  | 'callback-failed'
  | 'callback-invalid'
  | 'metadata-invalid'

/** Options of {@link UploadError}. */
export interface UploadErrorOptions {
  /** HTTP status of the response that caused the error, when there was one. */
  status?: number
  /** Whether retrying can help. Default: true for `network` and `timeout`, and for 408/429/5xx. */
  retryable?: boolean
  /** The underlying error. */
  cause?: unknown
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  retryAfter?: number
  /** The server's problem details (RFC 9457 JSON object), when its answer carried them. */
  problem?: Record<string, unknown>
  /** The start of the server's answer body (at most 1 KiB), when it had one and no problem details. */
  body?: string
}

/** The one error type the SDK throws and emits. */
export class UploadError extends Error {
  override readonly name = 'UploadError'
  /** What went wrong; stable across versions. */
  declare readonly code: UploadErrorCode
  /** HTTP status, when a response caused the error. */
  declare readonly status: number | undefined
  /** Whether the retry policy may try again. */
  declare readonly retryable: boolean
  /** Seconds from the server's `Retry-After`, when present. */
  declare readonly retryAfter: number | undefined
  /** The server's problem details (`application/problem+json`), for `http-status` errors that had them. */
  declare readonly problem: Record<string, unknown> | undefined
  /** The start of the server's answer body, at most 1 KiB, for `http-status` errors without problem details. */
  declare readonly body: string | undefined

  /**
   * @param code what went wrong
   * @param message a sentence for people; never contains the upload URL
   * @param options status, retryable, cause, retryAfter
   */
  constructor(code: UploadErrorCode, message: string, options: UploadErrorOptions = {}) {
    // Error reads `cause` from the options (an own property only when given).
    super(message, options)
    const { status, retryAfter, problem, body } = options
    // Retryable by default: `network` and `timeout`, and `http-status` for 408, 429 and 5xx.
    const retryable =
      options.retryable ?? (code === 'network' || code === 'timeout' || (code === 'http-status' && status !== undefined && isRetryableStatus(status)))
    Object.assign(this, { code, status, retryable, retryAfter, problem, body })
  }
}

/** Whether a status is worth retrying: 408, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599)
}
