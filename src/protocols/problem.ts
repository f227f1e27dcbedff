/**
 * RFC 9457 problem details (`application/problem+json`), read strictly: only the members a
 * protocol needs, each with its exact JSON type.
 * @module
 */
import type { HttpResponse } from '../types'

/** The problem type a server uses for an offset mismatch (draft §7.1). */
export const MISMATCHING_OFFSET_PROBLEM = 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset'

/**
 * The members of the problem document in `response`, or undefined when its media type is not
 * `application/problem+json` (or `application/json`) or its body is not a JSON object.
 */
export function parseProblem(response: HttpResponse): Record<string, unknown> | undefined {
  const mediaType = (response.headers['content-type'] ?? '').split(';')[0]?.trim()
  if (!/^application\/(?:problem\+)?json$/i.test(mediaType ?? '')) return undefined
  try {
    const body: unknown = JSON.parse(response.body)
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * The `expected-offset` of a mismatching-upload-offset problem in `response`, when it is a
 * non-negative safe integer; undefined otherwise (also when the problem has another `type`).
 */
export function expectedOffset(response: HttpResponse): number | undefined {
  const problem = parseProblem(response)
  const value = problem?.['expected-offset']
  if (typeof problem?.type === 'string' && problem.type !== MISMATCHING_OFFSET_PROBLEM) return undefined
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/** Most bytes of a response body an error keeps when the body is not problem details. */
export const ERROR_BODY_MAX_BYTES = 1024

/** What an `http-status` error carries about the server's answer (see {@link responseDetails}). */
export interface ResponseDetails {
  /** The problem details object, when the response carried one. */
  problem?: Record<string, unknown>
  /** Otherwise the start of the body, at most {@link ERROR_BODY_MAX_BYTES} bytes of UTF-8. */
  body?: string
}

/**
 * The server's own account of a failed request, for an error: its problem details (an
 * `application/problem+json` or `application/json` object), or else the start of its body, cut
 * to at most 1 KiB of UTF-8 without splitting a character. Nothing for an empty body.
 * @example
 * responseDetails({ status: 412, headers: { 'content-type': 'text/plain' }, body: 'ERR_UNSUPPORTED_VERSION: …' })
 * // { body: 'ERR_UNSUPPORTED_VERSION: …' }
 */
export function responseDetails(response: HttpResponse): ResponseDetails {
  const problem = parseProblem(response)
  if (problem !== undefined) return { problem }
  return response.body === '' ? {} : { body: truncateUtf8(response.body, ERROR_BODY_MAX_BYTES) }
}

/** `text` cut to at most `maxBytes` bytes of UTF-8, ending on a whole character. */
function truncateUtf8(text: string, maxBytes: number): string {
  // Each UTF-16 code unit is at most 3 UTF-8 bytes: a short string needs no encoding.
  if (text.length * 3 <= maxBytes) return text
  // A streaming decode holds back a character the cut split, instead of decoding half of it.
  return new TextDecoder().decode(new TextEncoder().encode(text).subarray(0, maxBytes), { stream: true })
}
