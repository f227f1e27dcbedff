/**
 * Reading S3's answers to part requests: the ETag of a stored part, S3's XML error documents, and
 * the classification of failures (re-sign, gone, retry, fail). Pure: the time is a parameter.
 * @module
 */
import { UploadError, isRetryableStatus } from '../errors'
import type { HttpResponse } from '../types'
import { parseRetryAfter } from './http-fields'
import { responseDetails } from './problem'
import type { S3PartRequest, S3PartResult } from './s3-types'

/** What an S3 XML error document (`<Error><Code>…</Code><Message>…</Message></Error>`) says. */
export interface S3ErrorDocument {
  /** S3's error code, e.g. `NoSuchUpload`. */
  code: string | undefined
  /** S3's message. */
  message: string | undefined
}

/** S3 error codes that a resend of the same part may get past (S3 documents them as retryable or transient). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'IncompleteBody',
  'BadDigest',
  'XAmzContentSHA256Mismatch',
  'OperationAborted',
])

/** S3 error codes meaning the signature's credentials expired: signing again gives a new one. */
const EXPIRED_CREDENTIAL_CODES: ReadonlySet<string> = new Set(['ExpiredToken', 'TokenRefreshRequired'])

/** The Code and Message of an S3 XML error body; both undefined when the body is not one. */
export function parseS3Error(body: string): S3ErrorDocument {
  const error = /<Error\b[^>]*>([\s\S]*)<\/Error>/.exec(body)?.[1]
  if (error === undefined) return { code: undefined, message: undefined }
  return { code: elementText(error, 'Code'), message: elementText(error, 'Message') }
}

/**
 * When a presigned URL stops working, in ms since the epoch: SigV4's `X-Amz-Date` plus
 * `X-Amz-Expires`, or SigV2's `Expires`. Undefined when the URL says neither (or is not a URL).
 */
export function presignedExpiry(url: string): number | undefined {
  let query: URLSearchParams
  try {
    query = new URL(url).searchParams
  } catch {
    return undefined
  }
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(query.get('X-Amz-Date') ?? '')
  const expires = query.get('X-Amz-Expires')
  if (date !== null && expires !== null && /^\d{1,7}$/.test(expires)) {
    const [, year, month, day, hours, minutes, seconds] = date.map(Number) as number[]
    return Date.UTC(year as number, (month as number) - 1, day, hours, minutes, seconds) + Number(expires) * 1000
  }
  const v2 = query.get('Expires')
  return v2 !== null && /^\d{1,12}$/.test(v2) ? Number(v2) * 1000 : undefined
}

/**
 * What the answer to a part request means.
 *
 * - 2xx with `ETag`: `stored`. Without it: an error that names the bucket CORS rule
 *   (`ExposeHeaders: ETag`), as a browser hides the header otherwise; not retryable.
 * - `403` with `AccessDenied` "Request has expired", `ExpiredToken` or `TokenRefreshRequired`
 *   (any status), or `SignatureDoesNotMatch` once the URL's own expiry (see
 *   {@link presignedExpiry}) has passed at `now`: `re-sign`.
 * - `404` `NoSuchUpload`: `gone` (code `upload-gone`).
 * - 408, 429, 5xx, and S3's transient codes (`SlowDown`, `RequestTimeout`, `InternalError`, …)
 *   at any status: a retryable error, with `Retry-After` when given.
 * - Anything else: a failed, not retryable error with S3's code and message.
 * @param now the current time in ms since the epoch (for expiry and `Retry-After` dates)
 */
export function readPartResponse(request: S3PartRequest, response: HttpResponse, now: number): S3PartResult {
  const { partNumber } = request
  const { status } = response
  if (status >= 200 && status <= 299) {
    const etag = response.headers['etag']?.trim()
    if (etag) return { kind: 'stored', partNumber, etag }
    return {
      kind: 'error',
      error: new UploadError(
        'malformed-response',
        `part ${partNumber} was stored but its answer has no readable ETag: in a browser, the bucket's CORS rule must expose it (ExposeHeaders: ETag)`,
        { status, retryable: false },
      ),
    }
  }
  const { code, message } = parseS3Error(response.body)
  const text = `part ${partNumber} answered ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${message}`}`
  const details = { status, retryAfter: parseRetryAfter(response.headers['retry-after'], now), ...responseDetails(response) }
  if (isExpired(status, code, message, request.url, now)) {
    return {
      kind: 're-sign',
      error: new UploadError('http-status', `${text} (the presigned URL expired; signing it again did not help)`, { ...details, retryable: true }),
    }
  }
  if (status === 404 && code === 'NoSuchUpload') return { kind: 'gone', error: new UploadError('upload-gone', text, { ...details, retryable: false }) }
  const retryable = isRetryableStatus(status) || (code !== undefined && RETRYABLE_CODES.has(code))
  return { kind: 'error', error: new UploadError('http-status', text, { ...details, retryable }) }
}

function isExpired(status: number, code: string | undefined, message: string | undefined, url: string, now: number): boolean {
  if (code !== undefined && EXPIRED_CREDENTIAL_CODES.has(code)) return true
  if (status !== 403) return false
  if (code === 'AccessDenied' && message !== undefined && /request has expired/i.test(message)) return true
  const expiry = presignedExpiry(url)
  return code === 'SignatureDoesNotMatch' && expiry !== undefined && now >= expiry
}

/** The text of the first `<name>` element in `xml`, with XML's entities decoded. */
function elementText(xml: string, name: string): string | undefined {
  const text = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]
  return text === undefined ? undefined : decodeEntities(text)
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (entity, name: string) => {
    if (!name.startsWith('#')) return NAMED_ENTITIES[name] ?? entity
    const point = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
    return point <= 0x10ffff ? String.fromCodePoint(point) : entity
  })
}
