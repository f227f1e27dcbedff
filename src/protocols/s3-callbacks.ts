/**
 * Checking what the app's callbacks answer, before anything is sent or stored: the upload a
 * `createMultipartUpload` made, the URL and headers of a `signPart`, the parts a `listParts`
 * names (against the plan), the result of `completeMultipartUpload`; and the record kept to resume.
 * Each check throws a typed UploadError and leaves nothing half done. Pure.
 * @module
 */
import { UploadError } from '../errors'
import type { HeaderMap } from '../types'
import { s3PartCount, s3PartRange } from './s3-parts'
import type { S3Callbacks, S3CompletedPart, S3HeldPart, S3PartRequest, S3PlannedPart, S3RecordState, S3UploadRef } from './s3-types'

const CALLBACKS: readonly (keyof S3Callbacks)[] = ['createMultipartUpload', 'signPart', 'listParts', 'completeMultipartUpload', 'abortMultipartUpload']

/** A header field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Headers the transport owns: a signPart value for them is dropped. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['host', 'content-length'])

/**
 * `value` when it has the five callbacks as functions.
 * @throws TypeError naming the first one missing
 */
export function checkS3Callbacks(value: unknown): S3Callbacks {
  if (typeof value !== 'object' || value === null) throw new TypeError('resumable-upload: s3() takes an object with the five callbacks')
  for (const name of CALLBACKS) {
    if (typeof (value as Record<string, unknown>)[name] !== 'function') throw new TypeError(`resumable-upload: s3() needs a \`${name}\` function`)
  }
  return value as S3Callbacks
}

/**
 * The upload `createMultipartUpload` answered: non-empty `uploadId` and `key` strings.
 * @throws UploadError `callback-invalid` for anything else
 */
export function readCreated(value: unknown): S3UploadRef {
  const uploadId = field(value, 'uploadId')
  const key = field(value, 'key')
  if (!isCleanString(uploadId)) throw invalid('createMultipartUpload', 'a non-empty `uploadId` string', describe(value, 'uploadId'))
  if (!isCleanString(key)) throw invalid('createMultipartUpload', 'a non-empty `key` string', describe(value, 'key'))
  return { uploadId, key }
}

/**
 * The request sending `part` with what `signPart` answered: a `PUT` to its absolute http(s)
 * `url`, with its `headers` (names in lower case; `host` and `content-length` dropped, as the
 * transport sets them) and nothing else: never the Upload's own headers, which are meant for the
 * app's server, not for the bucket.
 * @throws UploadError `callback-invalid` for a missing or non-http(s) URL, a method other than
 *   PUT, headers that are not name-to-string pairs a request can carry, or a URL or headers that
 *   carry the `x-amz-checksum-*` of no bytes for a part that has some (S3 would refuse every
 *   attempt with `BadDigest`; the AWS SDK signs it in unless told not to)
 */
export function partRequest(signed: unknown, part: S3PlannedPart): S3PartRequest {
  const url = field(signed, 'url')
  if (typeof url !== 'string' || !isHttpUrl(url))
    throw invalid('signPart', 'an absolute http(s) `url`', typeof url === 'string' ? `\`url\`: ${urlKind(url)}` : describe(signed, 'url'))
  const method = field(signed, 'method')
  if (method !== undefined && (typeof method !== 'string' || method.toUpperCase() !== 'PUT'))
    throw invalid('signPart', 'no `method`, or PUT', describe(signed, 'method'))
  const headers = readHeaders(field(signed, 'headers'))
  const checksum = part.end > part.start ? emptyChecksum(url, headers) : undefined
  if (checksum !== undefined) {
    throw invalid(
      'signPart',
      `a URL S3 can take for part ${part.number}`,
      `one signed with \`${checksum}\` of no bytes, which S3 refuses for a part of ${part.end - part.start} (BadDigest). The AWS SDK for JavaScript (3.729 and later) signs that in by default: make the backend's client with \`new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' })\``,
    )
  }
  return { method: 'PUT', url, headers, body: { start: part.start, end: part.end }, partNumber: part.number }
}

/** Each checksum S3 takes, of no bytes (base64). */
const EMPTY_CHECKSUMS: Readonly<Record<string, string>> = {
  crc32: 'AAAAAA==',
  crc32c: 'AAAAAA==',
  crc64nvme: 'AAAAAAAAAAA=',
  sha1: '2jmj7l5rSw0yVb/vlWAYkK/YBwk=',
  sha256: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
}

/** The `x-amz-checksum-*` of no bytes a signed part carries in its query or headers, if any. */
function emptyChecksum(url: string, headers: HeaderMap): string | undefined {
  const query = new URL(url).searchParams
  for (const [algorithm, empty] of Object.entries(EMPTY_CHECKSUMS)) {
    const name = `x-amz-checksum-${algorithm}`
    if ((query.get(name) ?? headers[name]) === empty) return name
  }
  return undefined
}

/**
 * The parts `listParts` names, checked against the plan of a `size` byte source in parts of
 * `partSize`, ascending by number. `Size`, when given, must be the planned size of that part
 * (every part, the last included: a different size means another file or another plan).
 * @throws UploadError `callback-invalid` when the answer is not a list of `{ PartNumber, ETag,
 *   Size? }`; `offset-invalid` when it names a part outside the plan, a part twice, or a part of
 *   another size
 */
export function readListedParts(value: unknown, plan: { size: number; partSize: number }): S3HeldPart[] {
  if (!Array.isArray(value)) throw invalid('listParts', 'an array of parts', describe(value))
  const count = s3PartCount(plan.size, plan.partSize)
  const held = new Map<number, S3HeldPart>()
  for (const [index, item] of (value as unknown[]).entries()) {
    const number = field(item, 'PartNumber')
    const etag = field(item, 'ETag')
    const size = field(item, 'Size')
    if (typeof number !== 'number' || !Number.isSafeInteger(number))
      throw invalid('listParts', 'an integer `PartNumber` for every part', `${describe(item, 'PartNumber')} (item ${index + 1})`)
    if (!isCleanString(etag)) throw invalid('listParts', 'an `ETag` string for every part', `${describe(item, 'ETag')} (item ${index + 1})`)
    if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size)))
      throw invalid('listParts', 'no `Size`, or an integer', `${describe(item, 'Size')} (item ${index + 1})`)
    if (number < 1 || number > count) throw misfit(`names part ${number}, and this file has parts 1 to ${count}`)
    if (held.has(number)) throw misfit(`names part ${number} twice`)
    const range = s3PartRange(number, plan.size, plan.partSize)
    if (size !== undefined && size !== range.end - range.start)
      throw misfit(`says part ${number} has ${size} bytes, and it has ${range.end - range.start} in this file`)
    held.set(number, { number, etag })
  }
  return [...held.values()].sort((a, b) => a.number - b.number)
}

/**
 * The object's location `completeMultipartUpload` answered: nothing, or an object whose
 * `location`, when present, is an absolute http(s) URL.
 * @throws UploadError `callback-invalid` for anything else
 */
export function readCompleted(value: unknown): { location: string | undefined } {
  if (value === undefined || value === null) return { location: undefined }
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('completeMultipartUpload', 'nothing, or an object', describe(value))
  const location = field(value, 'location')
  if (location === undefined) return { location: undefined }
  if (typeof location !== 'string' || !isHttpUrl(location))
    throw invalid('completeMultipartUpload', 'no `location`, or an absolute http(s) URL', describe(value, 'location'))
  return { location }
}

/**
 * The parts to treat as held when resuming: `listParts` is the truth, and the record only narrows
 * it. A listed part the record names with another ETag holds other bytes than this upload sent
 * (another writer, or a resend that replaced it) and is sent again; a listed part the record does
 * not name is held (the record is written at most once a second and may lag); a recorded part
 * that is not listed is not held.
 */
export function resumeParts(listed: readonly S3HeldPart[], recorded: readonly S3HeldPart[] = []): S3HeldPart[] {
  const tags = new Map(recorded.map((part) => [part.number, part.etag]))
  return listed.filter((part) => {
    const tag = tags.get(part.number)
    return tag === undefined || sameETag(tag, part.etag)
  })
}

/** The `parts` of `completeMultipartUpload`: every held part's number and ETag, ascending. */
export function completionParts(parts: readonly S3HeldPart[]): S3CompletedPart[] {
  return [...parts].sort((a, b) => a.number - b.number).map(({ number, etag }) => ({ PartNumber: number, ETag: etag }))
}

/** Whether two ETags name the same bytes: S3 compares them without their quotes. */
export function sameETag(a: string, b: string): boolean {
  return a.replaceAll('"', '') === b.replaceAll('"', '')
}

/** The record to persist: a copy, parts ascending. */
export function s3RecordState(upload: S3UploadRef, partSize: number, parts: readonly S3HeldPart[]): S3RecordState {
  return {
    uploadId: upload.uploadId,
    key: upload.key,
    partSize,
    parts: [...parts].sort((a, b) => a.number - b.number).map(({ number, etag }) => ({ number, etag })),
  }
}

/**
 * A stored record read back, or undefined when it is not one (another version, or corrupted):
 * the upload then starts afresh instead of trusting it.
 */
export function readS3RecordState(value: unknown): S3RecordState | undefined {
  const uploadId = field(value, 'uploadId')
  const key = field(value, 'key')
  const partSize = field(value, 'partSize')
  const parts = field(value, 'parts')
  if (!isCleanString(uploadId) || !isCleanString(key) || typeof partSize !== 'number' || !Number.isSafeInteger(partSize) || partSize < 1) return undefined
  if (!Array.isArray(parts)) return undefined
  const read: S3HeldPart[] = []
  for (const part of parts as unknown[]) {
    const number = field(part, 'number')
    const etag = field(part, 'etag')
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1 || !isCleanString(etag)) return undefined
    read.push({ number, etag })
  }
  return s3RecordState({ uploadId, key }, partSize, read)
}

/**
 * The error for a callback that threw or rejected with `cause`: an UploadError as it is; `aborted`
 * when `signal` fired; otherwise `callback-failed`, retryable (the app's backend may be briefly
 * unreachable), naming the callback, with the cause kept.
 */
export function callbackError(name: keyof S3Callbacks, cause: unknown, signal?: AbortSignal): UploadError {
  if (cause instanceof UploadError) return cause
  if (signal?.aborted) return new UploadError('aborted', `${name} was aborted`, { cause, retryable: false })
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new UploadError('callback-failed', `${name} failed: ${reason}`, { cause, retryable: true })
}

function readHeaders(value: unknown): HeaderMap {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('signPart', 'no `headers`, or an object of strings', describe(value))
  const headers: HeaderMap = {}
  for (const [name, text] of Object.entries(value)) {
    if (!TOKEN.test(name) || typeof text !== 'string' || /[\r\n\0]/.test(text))
      throw invalid(
        'signPart',
        'header names and single-line string values',
        `a header ${TOKEN.test(name) ? JSON.stringify(name) : 'with a name that is not a token'} with ${describe(text)}`,
      )
    if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = text
  }
  return headers
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined
}

/** A non-empty string of at most 1 KiB without control characters (S3's ids, keys and ETags are). */
function isCleanString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 && !/[\u0000-\u001f\u007f]/.test(value)
}

/** What a URL that is not absolute http(s) is instead (its scheme, never the rest). */
function urlKind(value: string): string {
  try {
    return `a ${new URL(value).protocol} URL`
  } catch {
    return value.length === 0 ? 'an empty string' : 'no absolute URL'
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

/** `callback-invalid` for callback `name`: what it must answer, and what it answered instead (see {@link describe}). */
function invalid(name: keyof S3Callbacks, expected: string, answered: string): UploadError {
  return new UploadError('callback-invalid', `${name} must answer ${expected}; it answered ${answered}`, { retryable: false })
}

/**
 * The kind of `value` (or of its field `member`) in a few words, never the value itself: it may
 * be a presigned URL, a capability.
 */
function describe(value: unknown, member?: string): string {
  if (member !== undefined && typeof value === 'object' && value !== null && !Array.isArray(value)) return `\`${member}\`: ${describe(field(value, member))}`
  if (value === undefined || value === null) return String(value)
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `a string of ${value.length} character${value.length === 1 ? '' : 's'}`
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function misfit(text: string): UploadError {
  return new UploadError('offset-invalid', `listParts ${text}: the stored upload does not fit this file`, { retryable: false })
}
