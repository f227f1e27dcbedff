/**
 * The IETF "Resumable Uploads for HTTP" draft (draft-ietf-httpbis-resumable-upload, interop
 * version 8 by default) as a sans-I/O {@link Protocol}: request descriptions out, typed results
 * in. No fetch, no timers, no storage; the current time comes from an injected clock.
 *
 * Choices this module makes where the draft leaves room (each is tested):
 * - Creation is `POST` to the endpoint. `input.metadata` is not mapped onto headers: the draft
 *   has no metadata field, so metadata travels in the user's own headers (added by the Upload).
 * - `Content-Type` of an append is `application/partial-upload` from interop version 5 (draft -03)
 *   on, `application/offset+octet-stream` before.
 * - `Upload-Length` is sent when the size is known, and also when the request ends the upload
 *   (then the length is where its body ends), so the server learns it as soon as possible.
 * - A request body of zero bytes is described as `body: null`.
 * - A 2xx to a `?0` creation or append means the body was fully processed (§4.2.2, §4.4.2): when
 *   the response has no `Upload-Offset`, `offset` is where the request's body ended.
 * - `Upload-Complete: ?1` on a 4xx/5xx is the target resource refusing the finished upload:
 *   `upload-failed`, not retryable. On a 2xx or 3xx it is `complete`.
 * - A 2xx without `Upload-Complete` to a creation that sent `?1` is `complete`: the server does not
 *   speak the draft and took an ordinary upload (§11.1.1).
 * - 404/410 answer `gone` for HEAD and PATCH, and `cancelled` for DELETE (the resource is gone,
 *   which is what DELETE asked for). On creation they are plain `http-status` errors.
 * - A 104 whose `Location` cannot be used (malformed, not http(s)) is ignored; the final response
 *   carries the same `Location` and fails there with a typed error. A 104 with `Location` is read
 *   as `location` even when it also has `Upload-Offset`.
 * - Without a `clock`, `max-age` gives no `expiresAt` and a `Retry-After` date gives no `retryAfter`.
 * @module
 */
import { UploadError, type UploadErrorCode, type UploadErrorOptions } from '../errors'
import type {
  AppendInput,
  CreateInput,
  HeaderMap,
  HttpResponse,
  InterimResponse,
  InterimResult,
  Protocol,
  ProtocolResult,
  RequestDescription,
  RequestKind,
  UploadLimits,
} from '../types'
import { contentDisposition, fileContentType, parseRetryAfter, resolveLocation } from './http-fields'
import { expectedOffset } from './problem'
import { SF_INTEGER_MAX, parseBoolean, parseNonNegativeInteger, serializeBoolean, serializeInteger } from './structured-fields'
import { parseUploadLimit } from './upload-limit'

/** The interop version of the newest draft text this module follows (draft -09 to -12). */
export const IETF_INTEROP_VERSION = 8

/** The media type of append bodies from interop version 5 (draft -03) on. */
export const PARTIAL_UPLOAD_TYPE = 'application/partial-upload'

/** Options of {@link ietfProtocol}. */
export interface IetfProtocolOptions {
  /**
   * `Upload-Draft-Interop-Version` sent on every request and required on every 104.
   * An integer from 3 (draft -01, the first with `Upload-Complete`). Default: 8.
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

interface Context {
  readonly interopVersion: number
  readonly contentDisposition: boolean
  readonly clock: (() => number) | undefined
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
export function ietfProtocol(options: IetfProtocolOptions = {}): Protocol {
  const interopVersion = options.interopVersion ?? IETF_INTEROP_VERSION
  if (!Number.isInteger(interopVersion) || interopVersion < 3 || interopVersion > SF_INTEGER_MAX) {
    throw new RangeError(`interopVersion must be an integer from 3: ${interopVersion}`)
  }
  const ctx: Context = { interopVersion, contentDisposition: options.contentDisposition ?? true, clock: options.clock }
  return {
    name: 'ietf',
    version: String(interopVersion),
    earlyLocation: true,
    createRequest: (input) => createRequest(ctx, input),
    offsetRequest: (url) => ({ method: 'HEAD', url, headers: baseHeaders(ctx), body: null }),
    appendRequest: (input) => appendRequest(ctx, input),
    cancelRequest: (url) => ({ method: 'DELETE', url, headers: baseHeaders(ctx), body: null }),
    interpretInterim: (request, response) => interpretInterim(ctx, request, response),
    interpret: (kind, request, response) => interpret(ctx, kind, request, response),
  }
}

/** The `Content-Type` of an append body for an interop version. */
export function appendContentType(interopVersion: number): string {
  return interopVersion >= 5 ? PARTIAL_UPLOAD_TYPE : 'application/offset+octet-stream'
}

// ---------------------------------------------------------------------------------------------
// Requests

function baseHeaders(ctx: Context): HeaderMap {
  return { 'upload-draft-interop-version': String(ctx.interopVersion) }
}

/** Throws for a range that contradicts itself or the size (checklist 7: consistent lengths). */
function checkRange(start: number, end: number, size: number | undefined, complete: boolean): void {
  const isOffset = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= SF_INTEGER_MAX
  if (!isOffset(start) || !isOffset(end) || end < start) throw new RangeError(`invalid byte range [${start}, ${end})`)
  if (size === undefined) return
  if (!isOffset(size) || end > size) throw new RangeError(`byte range [${start}, ${end}) does not fit size ${size}`)
  if (complete && end !== size) throw new RangeError(`a completing request must end at the size ${size}, not ${end}`)
}

/** Adds `Upload-Length`: the size when known, else the end of a completing request. */
function addLength(headers: HeaderMap, size: number | undefined, complete: boolean, end: number): void {
  const length = size ?? (complete ? end : undefined)
  if (length !== undefined) headers['upload-length'] = serializeInteger(length)
}

function createRequest(ctx: Context, input: CreateInput): RequestDescription {
  const start = input.body?.start ?? 0
  const end = input.body?.end ?? 0
  if (start !== 0) throw new RangeError(`a creation request starts at offset 0, not ${start}`)
  checkRange(start, end, input.size, input.complete)
  const headers: HeaderMap = {
    ...baseHeaders(ctx),
    'upload-complete': serializeBoolean(input.complete),
    'content-type': fileContentType(input.type),
  }
  addLength(headers, input.size, input.complete, end)
  if (ctx.contentDisposition && input.name) headers['content-disposition'] = contentDisposition(input.name)
  return { method: 'POST', url: input.endpoint, headers, body: end > start ? { start, end } : null }
}

function appendRequest(ctx: Context, input: AppendInput): RequestDescription {
  checkRange(input.offset, input.end, input.size, input.complete)
  const headers: HeaderMap = {
    ...baseHeaders(ctx),
    'content-type': appendContentType(ctx.interopVersion),
    'upload-offset': serializeInteger(input.offset),
    'upload-complete': serializeBoolean(input.complete),
  }
  addLength(headers, input.size, input.complete, input.end)
  const body = input.end > input.offset ? { start: input.offset, end: input.end } : null
  return { method: 'PATCH', url: input.url, headers, body }
}

// ---------------------------------------------------------------------------------------------
// Interim responses

const IGNORED: InterimResult = { kind: 'ignored' }

/** A creation carries content and no `Upload-Offset`; an append carries `Upload-Offset`. */
function isCreation(request: RequestDescription): boolean {
  const carriesContent = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH'
  return carriesContent && request.headers['upload-offset'] === undefined
}

function isAppend(request: RequestDescription): boolean {
  return request.method === 'PATCH' && request.headers['upload-offset'] !== undefined
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
    return resolved.ok ? { kind: 'location', url: resolved.url, limits: limitsOf(ctx, response.headers) } : IGNORED
  }
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  if (offset === undefined || !(isCreation(request) || isAppend(request))) return IGNORED
  return { kind: 'progress', offset }
}

// ---------------------------------------------------------------------------------------------
// Final responses

const GONE: ProtocolResult = { kind: 'gone' }
const CANCELLED: ProtocolResult = { kind: 'cancelled' }

function interpret(ctx: Context, kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult {
  switch (kind) {
    case 'create':
      return interpretCreate(ctx, request, response)
    case 'offset':
      return interpretOffset(ctx, response)
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
  const complete = parseBoolean(response.headers['upload-complete'])
  const location = response.headers.location
  const resolved = location === undefined ? undefined : resolveLocation(location, request.url)
  const completeUrl = resolved?.ok ? resolved.url : undefined
  if (complete === true) return completion(response, completeUrl)
  if (!isSuccess(response.status)) return failure(ctx, 'create', request, response)
  // §11.1.1: a server that ignores Upload-Complete handled a `?1` creation as an ordinary upload.
  if (complete === undefined && request.headers['upload-complete'] === '?1') return completion(response, completeUrl)
  if (resolved === undefined) return fail('location-missing', 'the creation response has no Location')
  if (!resolved.ok) {
    return resolved.reason === 'refused'
      ? fail('location-refused', 'the creation response has a Location that is not an http(s) URL')
      : fail('malformed-response', 'the creation response has a malformed Location')
  }
  const offset = parseNonNegativeInteger(response.headers['upload-offset']) ?? bodyEnd(request)
  return { kind: 'created', url: resolved.url, offset, limits: limitsOf(ctx, response.headers) }
}

function interpretOffset(ctx: Context, response: HttpResponse): ProtocolResult {
  if (isGoneStatus(response.status)) return GONE
  if (!isSuccess(response.status)) return statusError(ctx, 'HEAD', response)
  const offset = parseNonNegativeInteger(response.headers['upload-offset'])
  const complete = parseBoolean(response.headers['upload-complete'])
  if (offset === undefined) return fail('malformed-response', 'the offset response has no valid Upload-Offset')
  if (complete === undefined) return fail('malformed-response', 'the offset response has no valid Upload-Complete')
  const length = parseNonNegativeInteger(response.headers['upload-length'])
  if (length !== undefined && offset > length) {
    return fail('offset-invalid', `the server's offset ${offset} is past its Upload-Length ${length}`)
  }
  return { kind: 'offset', offset, complete, length, limits: limitsOf(ctx, response.headers) }
}

function interpretAppend(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  if (parseBoolean(response.headers['upload-complete']) === true) return completion(response, request.url)
  if (!isSuccess(response.status)) return failure(ctx, 'append', request, response)
  const offset = parseNonNegativeInteger(response.headers['upload-offset']) ?? bodyEnd(request)
  return { kind: 'appended', offset, limits: limitsOf(ctx, response.headers) }
}

/** The answer of the target resource (`Upload-Complete: ?1`): done, or a refusal (§4.2.1). */
function completion(response: HttpResponse, url: string | undefined): ProtocolResult {
  if (response.status < 400) return { kind: 'complete', url, response }
  return fail('upload-failed', `the server completed the upload with status ${response.status}`, {
    status: response.status,
    retryable: false,
  })
}

/** A non-2xx answer to a creation or an append without `Upload-Complete: ?1` (Retry heuristics). */
function failure(ctx: Context, kind: 'create' | 'append', request: RequestDescription, response: HttpResponse): ProtocolResult {
  const { status, headers } = response
  if (status === 409) return { kind: 'mismatch', offset: parseNonNegativeInteger(headers['upload-offset']) ?? expectedOffset(response) }
  if (status === 413) return { kind: 'too-large', limits: limitsOf(ctx, headers) }
  if (kind === 'append' && isGoneStatus(status)) return GONE
  return statusError(ctx, request.method, response)
}

/** An `http-status` error; retryable for 408, 429 and 5xx, with the server's `Retry-After`. */
function statusError(ctx: Context, method: string, response: HttpResponse): ProtocolResult {
  const retryAfter = parseRetryAfter(response.headers['retry-after'], ctx.clock?.())
  return fail('http-status', `${method} answered ${response.status}`, { status: response.status, retryAfter })
}

function fail(code: UploadErrorCode, message: string, options: UploadErrorOptions = {}): ProtocolResult {
  return { kind: 'error', error: new UploadError(code, message, options) }
}

function limitsOf(ctx: Context, headers: HeaderMap): UploadLimits {
  return parseUploadLimit(headers['upload-limit'], { receivedAt: ctx.clock?.(), interopVersion: ctx.interopVersion })
}

/** Where the request's body ended: its `Upload-Offset` (0 for a creation) plus its length. */
function bodyEnd(request: RequestDescription): number {
  const start = parseNonNegativeInteger(request.headers['upload-offset']) ?? 0
  return request.body === null ? start : start + (request.body.end - request.body.start)
}

function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299
}

function isGoneStatus(status: number): boolean {
  return status === 404 || status === 410
}
