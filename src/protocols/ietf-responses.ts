/**
 * Reading the IETF draft's responses: final responses (`interpret`) and 104 interim responses
 * (`interpretInterim`). Part of the IETF protocol (./ietf, which documents the choices made
 * here), loaded by dynamic import once the first request is on its way, so that none of it
 * (structured-field parsing, problem details, `Upload-Limit`) delays the first byte.
 * @module
 */
import type { HeaderMap, HttpResponse, InterimResponse, InterimResult, ProtocolResult, RequestDescription, RequestKind, UploadLimits } from '../types'
import { resolveLocation } from './http-fields'
import type { Context } from './ietf-requests'
import { expectedOffset, responseDetails } from './problem'
import { CANCELLED, GONE, createdLocation, fail, httpStatusError, isGoneStatus, isSuccess, offsetOutside } from './shared'
import { parseBoolean, parseNonNegativeInteger } from './structured-fields'
import { parseUploadLimit } from './upload-limit'

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

export function interpretInterim(ctx: Context, request: RequestDescription, response: InterimResponse): InterimResult {
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

export function interpret(ctx: Context, kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult {
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

/** A response's completeness, read from the interop version's field; undefined when absent or invalid. */
function completionOf(ctx: Context, headers: HeaderMap): boolean | undefined {
  if (ctx.interopVersion !== 3) return parseBoolean(headers['upload-complete'])
  const incomplete = parseBoolean(headers['upload-incomplete'])
  return incomplete === undefined ? undefined : !incomplete
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
