/**
 * The parts of the draft the server needs as data: interop versions, header parsing and the
 * `Upload-Limit` field. Every `Upload-*` header goes through the strict structured-field helpers.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { parseBoolean, parseNonNegativeInteger, serializeBoolean, serializeDictionary } from '../../src/protocols/structured-fields'
import type { UploadLimits } from './types'

/** Interop versions answered by default (draft -01 … -12). */
export const DEFAULT_INTEROP_VERSIONS: readonly number[] = [3, 4, 5, 6, 7, 8]

/** The reason phrase of the interim response. */
export const INTERIM_STATUS_LINE = 'HTTP/1.1 104 Upload Resumption Supported'

/** The media type of PATCH content (required from interop version 6 on). */
export const PARTIAL_UPLOAD_TYPE = 'application/partial-upload'

/** Problem types (RFC 9457) the server uses. */
export const PROBLEM_TYPES = {
  mismatchingOffset: 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset',
  inconsistentLength: 'https://iana.org/assignments/http-problem-types#inconsistent-upload-length',
  completedUpload: 'https://iana.org/assignments/http-problem-types#completed-upload',
  malformedField: 'urn:resumable-upload:reference-server:malformed-field',
  limitExceeded: 'urn:resumable-upload:reference-server:upload-limit-exceeded',
  belowMinSize: 'urn:resumable-upload:reference-server:below-min-size',
} as const

/** The interop version a request speaks. */
export interface Interop {
  /** The version whose rules apply. */
  version: number
  /** Whether the request carried the header; the draft forbids 104s when it did not. */
  announced: boolean
}

/** Marks a header that is present but not valid for its structured-field type. */
export const INVALID: unique symbol = Symbol('invalid field')

/** A header value: absent, invalid, or parsed. */
export type Field<T> = T | undefined | typeof INVALID

function headerText(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** Reads a header that must be a non-negative SF Integer (`Upload-Offset`, `Upload-Length`). */
export function integerField(req: IncomingMessage, name: string): Field<number> {
  const text = headerText(req, name)
  if (text === undefined) return undefined
  const value = parseNonNegativeInteger(text)
  return value === undefined || !Number.isSafeInteger(value) ? INVALID : value
}

/** Reads a header that must be an SF Boolean (`Upload-Complete`). */
export function booleanField(req: IncomingMessage, name: string): Field<boolean> {
  const text = headerText(req, name)
  if (text === undefined) return undefined
  return parseBoolean(text) ?? INVALID
}

/** The name of the completeness field: `Upload-Incomplete` at interop 3 (draft -01), `Upload-Complete` after. */
export function completionFieldName(version: number): 'Upload-Incomplete' | 'Upload-Complete' {
  return version === 3 ? 'Upload-Incomplete' : 'Upload-Complete'
}

/**
 * Whether the request completes the upload, read from its version's field (interop 3:
 * `Upload-Incomplete`, inverted). Like tusd, the field is required: an absent one is `undefined`.
 */
export function completeField(req: IncomingMessage, version: number): Field<boolean> {
  const value = booleanField(req, completionFieldName(version).toLowerCase())
  return version === 3 && typeof value === 'boolean' ? !value : value
}

/**
 * Response headers as the version spells them: at interop 3 `Upload-Complete: ?b` becomes
 * `Upload-Incomplete: ?!b`, so handlers can write the newest spelling everywhere.
 */
export function spellCompletion(headers: Record<string, string>, version: number): Record<string, string> {
  const value = headers['Upload-Complete']
  if (version !== 3 || value === undefined) return headers
  const { 'Upload-Complete': _complete, ...rest } = headers
  return { ...rest, 'Upload-Incomplete': serializeBoolean(parseBoolean(value) !== true) }
}

/**
 * Whether creation and append answers carry the completion field and the final answer is the
 * target resource's. Before draft -06 (interop ≤ 6) they need not: tusd answers `201`/`204` with
 * `Upload-Offset` only, and an upload is complete when that offset reaches its length.
 */
export function answersWithCompletion(version: number): boolean {
  return version >= 7
}

/**
 * Whether an append may repeat an `Upload-Length` the server already knows. Interop 7/8 allow a
 * consistent one; tusd (≤ 6) answers `400` to any `Upload-Length` unless the length was deferred.
 */
export function acceptsRepeatedLength(version: number): boolean {
  return version >= 7
}

/** tusd's answer to a request whose interop version it does not speak: it is then a tus request without `Tus-Resumable`. */
export const TUSD_UNSUPPORTED_VERSION = {
  status: 412,
  body: 'ERR_UNSUPPORTED_VERSION: missing, invalid or unsupported Tus-Resumable header\n',
  headers: { 'Tus-Resumable': '1.0.0', 'Content-Type': 'text/plain; charset=utf-8' },
} as const

/**
 * The request's interop version, or `undefined` when it names one the server does not answer.
 * No header at all means the newest version, without 104s.
 */
export function resolveInterop(req: IncomingMessage, supported: readonly number[]): Interop | undefined {
  const value = integerField(req, 'upload-draft-interop-version')
  if (value === undefined) return { version: Math.max(...supported), announced: false }
  if (value === INVALID || !supported.includes(value)) return undefined
  return { version: value, announced: true }
}

/** Whether PATCH content must be `application/partial-upload` (draft -04 and later, interop 6+). */
export function requiresPartialUploadType(version: number): boolean {
  return version >= 6
}

/** The `Upload-Limit` key for the lifetime: `expires` up to interop 6 (draft -05), then `max-age`. */
export function maxAgeKey(version: number): 'expires' | 'max-age' {
  return version <= 6 ? 'expires' : 'max-age'
}

/** `Content-Length` of the request: a number, `undefined` when absent (chunked or no body). */
export function contentLength(req: IncomingMessage): number | undefined {
  const text = req.headers['content-length']
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined
}

/** Whether the request announces a body (Node has already rejected malformed framing). */
export function declaresBody(req: IncomingMessage): boolean {
  const length = contentLength(req)
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length > 0)
}

/**
 * Serializes `Upload-Limit` for the given interop version. `remainingAge` (seconds) replaces the
 * configured `maxAge` for an existing upload, so the value counts down. "No limits" is `min-size=0`.
 */
export function formatUploadLimit(limits: UploadLimits, version: number, remainingAge?: number): string {
  const entries: Record<string, number> = {}
  if (limits.maxSize !== undefined) entries['max-size'] = limits.maxSize
  if (limits.minSize !== undefined) entries['min-size'] = limits.minSize
  if (limits.maxAppendSize !== undefined) entries['max-append-size'] = limits.maxAppendSize
  if (limits.minAppendSize !== undefined) entries['min-append-size'] = limits.minAppendSize
  const age = remainingAge ?? limits.maxAge
  if (age !== undefined) entries[maxAgeKey(version)] = Math.max(0, age)
  if (Object.keys(entries).length === 0) entries['min-size'] = 0
  return serializeDictionary(entries)
}

/** The filename of a `Content-Disposition` value (`filename*=UTF-8''…` wins over `filename=`). */
export function filenameOf(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined
  const extended = /;\s*filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition)
  if (extended?.[1] !== undefined) {
    try {
      return decodeURIComponent(extended[1].trim())
    } catch {
      // fall through to the plain parameter
    }
  }
  const quoted = /;\s*filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(disposition)
  if (quoted?.[1] !== undefined) return quoted[1].replace(/\\(.)/g, '$1')
  const token = /;\s*filename\s*=\s*([^;\s]+)/i.exec(disposition)
  return token?.[1]
}
