/**
 * The IETF "Resumable Uploads for HTTP" draft (draft-ietf-httpbis-resumable-upload, interop
 * version 8 by default) as a sans-I/O {@link Protocol}: request descriptions out, typed results
 * in. No fetch, no timers, no storage; the current time comes from an injected clock.
 *
 * Choices this module makes where the draft leaves room (each is tested):
 * - Creation is `POST` to the endpoint. `input.metadata` is not mapped onto headers: the draft
 *   has no metadata field, so metadata travels in the user's own headers (added by the Upload).
 * - `Content-Type` of an append is `application/partial-upload` from interop version 5 (draft -03)
 *   on, `application/offset+octet-stream` before (tusd requires the new type only from 6 on).
 * - Completeness: interop 3 (draft -01) writes and reads `Upload-Incomplete`, the inverted boolean,
 *   and never `Upload-Complete`; 4 and later the reverse. Requests always carry the field
 *   explicitly (`Upload-Incomplete: ?0` to complete: tusd takes an absent field as "incomplete").
 *   An interop-3 HEAD answer without `Upload-Incomplete` is complete, as draft -01 defines it.
 * - `Upload-Length` (every version, the interoperable rule of the digest §14): on creation when the
 *   size is known or the request ends the upload; on an append only while the server does not know
 *   the length, that is when the creation did not state it (learned from the creation request, or
 *   from a HEAD answer without `Upload-Length`), and then only once the length is known. tusd
 *   answers `400` to an append that repeats a known length. Interop 7/8 allow the repetition but
 *   do not need it, so the same rule is kept there. An append whose input has no size and ends
 *   the upload also states its end as the length (the length cannot have been known before).
 * - A request body of zero bytes is described as `body: null`.
 * - A 2xx to a `?0` creation or append means the body was fully processed (§4.2.2, §4.4.2): when
 *   the response has no `Upload-Offset`, `offset` is where the request's body ended. An
 *   `Upload-Offset` beyond that end (or, for an append, before its start) is `offset-invalid`;
 *   a 104 progress offset outside the sent range is ignored.
 * - `Upload-Complete: ?1` on a 4xx/5xx is the target resource refusing the finished upload:
 *   `upload-failed`, not retryable. On a 2xx or 3xx it is `complete`.
 * - Interop ≤ 6 (the completion field became required in draft -06): a 2xx without the completion
 *   field to a completing append is `complete` when its `Upload-Offset` is absent or is where the
 *   body ended (tusd answers `204` with `Upload-Offset`), and a `mismatch` at the server's offset
 *   when it is below (the rest is sent again).
 * - A 2xx without the completion field to a creation that sent "complete": with an `Upload-Offset`
 *   it is a draft server (tusd at ≤ 6): `complete` when the offset is where the body ended,
 *   `created` (at that offset) when below. Without `Upload-Offset` the server does not speak the
 *   draft and took an ordinary upload (§11.1.1): `complete`.
 * - A server that does not speak the requested interop version may treat the request as not
 *   resumable (tusd: `412` about `Tus-Resumable`, and a tus answer to HEAD): any `412`, and a 2xx
 *   HEAD answer with `Tus-Resumable` and no completion field, is `version-unsupported`.
 * - Every `http-status` (and `upload-failed`, `version-unsupported`) error carries the server's
 *   problem details, or else the first 1 KiB of its body.
 * - 404/410 answer `gone` for HEAD and PATCH, and `cancelled` for DELETE (the resource is gone,
 *   which is what DELETE asked for). On creation they are plain `http-status` errors.
 * - A 104 whose `Location` cannot be used (malformed, not http(s)) is ignored; the final response
 *   carries the same `Location` and fails there with a typed error. A 104 with `Location` is read
 *   as `location` even when it also has `Upload-Offset`.
 * - Without a `clock`, `max-age` gives no `expiresAt` and a `Retry-After` date gives no `retryAfter`.
 * @module
 */
import type { HeaderMap, HttpResponse, InterimResponse, InterimResult, Protocol, ProtocolResult, RequestDescription, RequestKind, UploadLimits } from '../types'
import { resolveLocation } from './http-fields'
import { PARTIAL_UPLOAD_TYPE, appendContentType, appendRequest, baseHeaders, completionOf, createRequest, type Context } from './ietf-requests'
import { expectedOffset, responseDetails } from './problem'
import { CANCELLED, GONE, createdLocation, fail, httpStatusError, isGoneStatus, isSuccess, offsetOutside } from './shared'
import { SF_INTEGER_MAX, parseNonNegativeInteger } from './structured-fields'
import { parseUploadLimit } from './upload-limit'

/** The interop version of the newest draft text this module follows (draft -09 to -12). */
export const IETF_INTEROP_VERSION = 8

export { PARTIAL_UPLOAD_TYPE, appendContentType }

/** The IETF protocol object: `interpret` answers synchronously. */
export interface IetfProtocol extends Protocol {
  /** Reads the final response to `request`. */
  interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult
}

/** Options of {@link ietfProtocol}. */
export interface IetfProtocolOptions {
  /**
   * `Upload-Draft-Interop-Version` sent on every request and required on every 104.
   * An integer from 3 (draft -01, which spells completeness `Upload-Incomplete`). Default: 8.
   */
  interopVersion?: number
  /** Send `Content-Disposition: inline; filename=…` on creation when the file has a name. Default: true. */
  contentDisposition?: boolean
  /**
   * The current time in ms since the epoch, read when a response is interpreted (for `max-age`
   * and `Retry-After` dates). The Upload injects its clock. Default: none, and then those two
   * time-dependent values are left out rather than guessed.
   */
  clock?: () => number
}

/**
 * Creates the IETF draft protocol.
 *
 * @param options interop version (default 8), Content-Disposition (default true), clock (default none)
 * @throws RangeError when `interopVersion` is not an integer from 3 to 999999999999999
 * @example
 * const protocol = ietfProtocol({ clock: () => Date.now() })
 * const request = protocol.offsetRequest('https://example.com/upload/c35e2cd29')
 * // { method: 'HEAD', url: …, headers: { 'upload-draft-interop-version': '8' }, body: null }
 * const result = protocol.interpret('offset', request, response) // { kind: 'offset', offset, … }
 */
export function ietfProtocol(options: IetfProtocolOptions = {}): IetfProtocol {
  const interopVersion = options.interopVersion ?? IETF_INTEROP_VERSION
  if (!Number.isInteger(interopVersion) || interopVersion < 3 || interopVersion > SF_INTEGER_MAX) {
    throw new RangeError(`interopVersion must be an integer from 3: ${interopVersion}`)
  }
  const ctx: Context = { interopVersion, contentDisposition: options.contentDisposition ?? true, clock: options.clock, deferred: new Set() }
  return {
    name: 'ietf',
    version: String(interopVersion),
    earlyLocation: true,
    createRequest: (input) => createRequest(ctx, input),
    offsetRequest: (url) => ({ method: 'HEAD', url, headers: baseHeaders(ctx), body: null, intent: { kind: 'offset' } }),
    appendRequest: (input) => appendRequest(ctx, input),
    cancelRequest: (url) => ({ method: 'DELETE', url, headers: baseHeaders(ctx), body: null, intent: { kind: 'cancel' } }),
    interpretInterim: (request, response) => interpretInterim(ctx, request, response),
    interpret: (kind, request, response) => interpret(ctx, kind, request, response),
  }
}
/** Whether a creation or append ends the upload. */
function requestCompletes(request: RequestDescription): boolean {
  const intent = request.intent
  return (intent.kind === 'create' || intent.kind === 'append') && intent.complete
}

// ---------------------------------------------------------------------------------------------
// Interim responses

const IGNORED: InterimResult = { kind: 'ignored' }

function isCreation(request: RequestDescription): boolean {
  return request.intent.kind === 'create'
}

function isAppend(request: RequestDescription): boolean {
  return request.intent.kind === 'append'
}

function interpretInterim(ctx: Context, request: RequestDescription, response: InterimResponse): InterimResult {
  if (response.status !== 104) return IGNORED
  // App. B: a 104 without our interop version is from a server speaking another draft.
  if (parseNonNegativeInteger(response.headers['upload-draft-interop-version']) !== ctx.interopVersion) return IGNORED
  const location = response.headers.location
  if (location !== undefined) {
    // §5: a 104 to an append MUST NOT carry Location; one that does is not trusted at all.
    if (!isCreation(request)) return IGNORED
    const resolved = resolveLocation(location, request.url)
    if (!resolved.ok) return IGNORED
    rememberLength(ctx, request, resolved.url)
    return { kind: 'location', url: resolved.url, limits: limitsOf(ctx, response.headers) }
  }
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  if (offset === undefined || !(isCreation(request) || isAppend(request))) return IGNORED
  // An acknowledgement of bytes this request did not carry is not one.
  if (offset < bodyStart(request) || offset > bodyEnd(request)) return IGNORED
  return { kind: 'progress', offset }
}

// ---------------------------------------------------------------------------------------------
// Final responses

function interpret(ctx: Context, kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult {
  switch (kind) {
    case 'create':
      return interpretCreate(ctx, request, response)
    case 'offset':
      return interpretOffset(ctx, request, response)
    case 'append':
      return interpretAppend(ctx, request, response)
    case 'cancel':
      return isSuccess(response.status) || isGoneStatus(response.status) ? CANCELLED : statusError(ctx, 'DELETE', response)
    case 'discover':
      // Feature detection (OPTIONS): a resource that supports creation answers with Upload-Limit.
      return isSuccess(response.status) ? { kind: 'discovered', limits: limitsOf(ctx, response.headers) } : statusError(ctx, 'OPTIONS', response)
  }
}

function interpretCreate(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const complete = completionOf(ctx, response.headers)
  const location = response.headers.location
  const resolved = location === undefined ? undefined : resolveLocation(location, request.url)
  const completeUrl = resolved?.ok ? resolved.url : undefined
  if (complete === true) return completion(response, completeUrl)
  if (!isSuccess(response.status)) return failure(ctx, 'create', request, response)
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  if (offset !== undefined && offset > bodyEnd(request)) return beyondSent(offset, request)
  if (complete === undefined && requestCompletes(request)) {
    // §11.1.1: without Upload-Offset the server took an ordinary upload; with it (tusd at ≤ 6), it is
    // complete once every byte is stored.
    if (offset === undefined || offset === bodyEnd(request)) return completion(response, completeUrl)
  }
  const created = createdLocation(location, request.url)
  if ('error' in created) return created.error
  rememberLength(ctx, request, created.url)
  return { kind: 'created', url: created.url, offset: offset ?? bodyEnd(request), limits: limitsOf(ctx, response.headers) }
}

function interpretOffset(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  if (isGoneStatus(response.status)) return GONE
  if (!isSuccess(response.status)) return statusError(ctx, 'HEAD', response)
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  let complete = completionOf(ctx, response.headers)
  if (complete === undefined && response.headers['tus-resumable'] !== undefined) return versionUnsupported(ctx, response)
  if (offset === undefined) return fail('malformed-response', 'the offset response has no valid Upload-Offset')
  // Draft -01: an upload without `Upload-Incomplete: ?1` is complete.
  if (ctx.interopVersion === 3 && response.headers['upload-incomplete'] === undefined) complete = true
  if (complete === undefined) return fail('malformed-response', `the offset response has no valid ${completionName(ctx)}`)
  const length = parseNonNegativeInteger(response.headers['upload-length'])
  if (length !== undefined && offset > length) {
    return fail('offset-invalid', `the server's offset ${offset} is past its Upload-Length ${length}`)
  }
  if (length === undefined && !complete) ctx.deferred.add(request.url)
  else ctx.deferred.delete(request.url)
  return { kind: 'offset', offset, complete, length, limits: limitsOf(ctx, response.headers) }
}

function interpretAppend(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const complete = completionOf(ctx, response.headers)
  if (complete === true) return completion(response, request.url)
  if (!isSuccess(response.status)) return failure(ctx, 'append', request, response)
  const end = bodyEnd(request)
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  if (offset !== undefined && (offset > end || offset < bodyStart(request))) return beyondSent(offset, request)
  if (request.intent.kind === 'append' && request.intent.declaresLength) ctx.deferred.delete(request.url)
  if (complete === undefined && ctx.interopVersion <= 6 && requestCompletes(request)) {
    // Before draft -06 the final answer needs no completion field (tusd: 204 with Upload-Offset).
    if (offset === undefined || offset === end) return completion(response, request.url)
    return { kind: 'mismatch', offset }
  }
  return { kind: 'appended', offset: offset ?? end, limits: limitsOf(ctx, response.headers) }
}

/** The answer of the target resource (`Upload-Complete: ?1`): done, or a refusal (§4.2.1). */
function completion(response: HttpResponse, url: string | undefined): ProtocolResult {
  if (response.status < 400) return { kind: 'complete', url, response, offset: parseNonNegativeInteger(response.headers['upload-offset']) }
  return fail('upload-failed', `the server completed the upload with status ${response.status}`, {
    status: response.status,
    retryable: false,
    ...responseDetails(response),
  })
}

/** An `Upload-Offset` outside the bytes the request carried: bytes would be skipped or repeated. */
function beyondSent(offset: number, request: RequestDescription): ProtocolResult {
  return offsetOutside(offset, bodyStart(request), bodyEnd(request))
}

/** Remembers that the server does not know the length of the upload a creation made. */
function rememberLength(ctx: Context, creation: RequestDescription, url: string): void {
  if (creation.intent.kind === 'create' && !creation.intent.declaresLength) ctx.deferred.add(url)
}

/** The server answered as if the request were not a resumable upload of this interop version. */
function versionUnsupported(ctx: Context, response: HttpResponse): ProtocolResult {
  const version = ctx.interopVersion
  return fail(
    'version-unsupported',
    `the server does not speak interop version ${version} of the resumable upload draft: it answered ${response.status} as if the request were not a resumable upload; set the \`interopVersion\` option to a version it speaks`,
    { status: response.status, retryable: false, ...responseDetails(response) },
  )
}

function completionName(ctx: Context): string {
  return ctx.interopVersion === 3 ? 'Upload-Incomplete' : 'Upload-Complete'
}

/** A non-2xx answer to a creation or an append without `Upload-Complete: ?1` (Retry heuristics). */
function failure(ctx: Context, kind: 'create' | 'append', request: RequestDescription, response: HttpResponse): ProtocolResult {
  const { status, headers } = response
  if (status === 409) return { kind: 'mismatch', offset: parseNonNegativeInteger(headers['upload-offset']) ?? expectedOffset(response) }
  if (status === 413) return { kind: 'too-large', limits: limitsOf(ctx, headers) }
  if (kind === 'append' && isGoneStatus(status)) return GONE
  return statusError(ctx, request.method, response)
}

/**
 * An `http-status` error; retryable for 408, 429 and 5xx, with the server's `Retry-After`. A `412`
 * is a server that does not speak this interop version (tusd's answer about `Tus-Resumable`).
 */
function statusError(ctx: Context, method: string, response: HttpResponse): ProtocolResult {
  if (response.status === 412) return versionUnsupported(ctx, response)
  return httpStatusError(method, response, ctx.clock?.())
}

function limitsOf(ctx: Context, headers: HeaderMap): UploadLimits {
  return parseUploadLimit(headers['upload-limit'], { receivedAt: ctx.clock?.(), interopVersion: ctx.interopVersion })
}

/** Where the request's body started: the append's offset, 0 for a creation. */
function bodyStart(request: RequestDescription): number {
  return request.intent.kind === 'append' ? request.intent.offset : 0
}

/** Where the request's body ended. */
function bodyEnd(request: RequestDescription): number {
  const intent = request.intent
  return intent.kind === 'append' || intent.kind === 'create' ? intent.end : 0
}
