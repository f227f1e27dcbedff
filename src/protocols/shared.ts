/**
 * What the IETF and tus protocols share: typed results for failures, status classes, the
 * creation `Location` check and the "offset outside the sent range" rule. Pure functions.
 * @module
 */
import { UploadError, type UploadErrorCode, type UploadErrorOptions } from '../errors'
import type { HttpResponse, ProtocolResult } from '../types'
import { parseRetryAfter, resolveLocation } from './http-fields'
import { responseDetails } from './problem'

/** The upload resource no longer exists. */
export const GONE: ProtocolResult = { kind: 'gone' }

/** The upload resource was cancelled (or was already gone, which is what DELETE asked for). */
export const CANCELLED: ProtocolResult = { kind: 'cancelled' }

/** An error result. */
export function fail(code: UploadErrorCode, message: string, options: UploadErrorOptions = {}): ProtocolResult {
  return { kind: 'error', error: new UploadError(code, message, options) }
}

/** 2xx. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299
}

/** 404 or 410: the resource is gone. */
export function isGoneStatus(status: number): boolean {
  return status === 404 || status === 410
}

/**
 * An `http-status` error for `method` answered `response`: retryable for 408, 429 and 5xx (see
 * UploadError), with the server's `Retry-After` (a date needs `now`) and its problem details or
 * the start of its body.
 */
export function httpStatusError(method: string, response: HttpResponse, now: number | undefined): ProtocolResult {
  const retryAfter = parseRetryAfter(response.headers['retry-after'], now)
  return fail('http-status', `${method} answered ${response.status}`, { status: response.status, retryAfter, ...responseDetails(response) })
}

/**
 * The upload URL of a creation response's `Location`, resolved against the request URL, or the
 * error result when it is missing (`location-missing`), not http(s) (`location-refused`) or
 * malformed (`malformed-response`).
 */
export function createdLocation(location: string | undefined, requestUrl: string): { url: string } | { error: ProtocolResult } {
  if (location === undefined) return { error: fail('location-missing', 'the creation response has no Location') }
  const resolved = resolveLocation(location, requestUrl)
  if (resolved.ok) return { url: resolved.url }
  return {
    error:
      resolved.reason === 'refused'
        ? fail('location-refused', 'the creation response has a Location that is not an http(s) URL')
        : fail('malformed-response', 'the creation response has a malformed Location'),
  }
}

/** An `Upload-Offset` outside the bytes `[start, end]` a request carried: bytes would be skipped or repeated. */
export function offsetOutside(offset: number, start: number, end: number): ProtocolResult {
  return fail('offset-invalid', `the server's offset ${offset} is outside the sent range [${start}, ${end}]`)
}
