/**
 * Reading GCS resumable upload answers: `308 Resume Incomplete` with or without `Range`, the
 * final `200`/`201` with the object's JSON, `404`/`410` for a session that is gone, `499` for a
 * cancelled one, and errors. Part of the GCS protocol (./gcs). Pure: the current time is an argument.
 * @module
 */
import type { HttpResponse, ProtocolResult, RequestDescription, RequestKind } from '../types'
import { CANCELLED, GONE, fail, httpStatusError, isGoneStatus, offsetOutside } from './shared'

/** The object resource GCS answers a finished upload with (the fields this SDK reads; all optional). */
export interface GcsObject {
  /** Bucket name. */
  bucket?: string
  /** Object name. */
  name?: string
  /** Size in bytes, as a decimal string. */
  size?: string
  /** Base64 MD5 of the data. */
  md5Hash?: string
  /** Base64 big-endian CRC32C of the data. */
  crc32c?: string
  /** Object generation. */
  generation?: string
  /** Any other member GCS sends. */
  [member: string]: unknown
}

/**
 * The bytes a `308` says the session holds: `Range: bytes=0-n` is n+1; no `Range` is 0. Undefined
 * for anything else (a range not starting at 0, a list, a suffix, digits past 15).
 * @example
 * heldBytes(undefined) // 0
 * heldBytes('bytes=0-262143') // 262144
 * heldBytes('bytes=5-9') // undefined
 */
export function heldBytes(range: string | undefined): number | undefined {
  if (range === undefined) return 0
  const match = /^[ \t]*bytes=0-(\d{1,15})[ \t]*$/.exec(range)
  return match ? Number(match[1]) + 1 : undefined
}

/**
 * The object JSON of a finished upload's answer, or undefined when its body is not a JSON object.
 * @example
 * const { response } = await upload.start()
 * parseGcsObject(response)?.md5Hash
 */
export function parseGcsObject(response: HttpResponse): GcsObject | undefined {
  try {
    const value: unknown = JSON.parse(response.body)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as GcsObject) : undefined
  } catch {
    return undefined
  }
}

/** The object's `size` as a number, when the answer states one (the Upload checks it is the source's length). */
function objectSize(response: HttpResponse): number | undefined {
  const size = parseGcsObject(response)?.size
  return typeof size === 'string' && /^\d{1,15}$/.test(size) ? Number(size) : undefined
}

/** What {@link interpret} knows besides the request and its answer. */
export interface Reading {
  /** The time for `Retry-After` dates, ms since the epoch. */
  now?: number | undefined
  /** The upload's length as the protocol knows it for the request's session URI, when it does. */
  total?: number | undefined
  /** Whether a gone session can be replaced (`sessionUrl` is a function): then `gone`, else `upload-gone`. */
  restartable?: boolean
}

/** Reads the final answer to `request`. */
export function interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse, { now, total, restartable }: Reading = {}): ProtocolResult {
  const { status } = response
  if (kind === 'cancel')
    return status === 499 || isGoneStatus(status) || (status >= 200 && status <= 299) ? CANCELLED : httpStatusError('DELETE', response, now)
  if (status === 200 || status === 201) return { kind: 'complete', url: request.url, response, offset: objectSize(response) }
  if (status === 308) return incomplete(request, response, total)
  if (isGoneStatus(status)) {
    // A session just obtained that is gone, or a fixed session URI: a new creation would find it gone again.
    if (kind !== 'create' && restartable === true) return GONE
    const why = kind === 'create' ? 'a session just obtained' : 'and `sessionUrl` is a string, so no new session can be opened'
    return fail('upload-gone', `the GCS session answered ${status}: it expired or was cancelled (${why})`, { status, retryable: false })
  }
  // A chunk that does not start where the session is: ask for its offset (bounded by the session's mismatch count).
  if (kind === 'append' && status === 400) return { kind: 'mismatch', offset: undefined }
  return httpStatusError(request.method, response, now)
}

/** A `308 Resume Incomplete`: the session holds the bytes its `Range` names (none without one). */
function incomplete(request: RequestDescription, response: HttpResponse, total: number | undefined): ProtocolResult {
  const held = heldBytes(response.headers.range)
  if (held === undefined) return fail('malformed-response', 'the GCS session answered a Range that is not bytes=0-n', { status: 308, retryable: false })
  const intent = request.intent
  const length = intent.kind === 'create' || intent.kind === 'append' ? intent.length : total
  if (length !== undefined && held > length)
    return fail('offset-invalid', `the GCS session holds ${held} bytes of a ${length}-byte upload`, { retryable: false })
  if (intent.kind === 'create') return { kind: 'created', url: request.url, offset: held, limits: {} }
  if (intent.kind !== 'append') return { kind: 'offset', offset: held, complete: false, length: undefined, limits: {} }
  const { offset: start, end } = intent
  if (held < start || held > end) return offsetOutside(held, start, end)
  // GCS keeps only whole 256 KiB units of a chunk: the rest of a last chunk goes again from there.
  if (intent.complete) return { kind: 'mismatch', offset: held }
  return { kind: 'appended', offset: held, limits: {} }
}
