/**
 * The tus resumable upload protocol 1.0.0 as a sans-I/O {@link Protocol}: core (HEAD, PATCH,
 * OPTIONS) plus the creation, creation-with-upload, creation-defer-length, expiration, checksum
 * and termination extensions. No fetch, no timers, no storage; the current time comes from an
 * injected clock. For checksums it names the digest it needs (`bodyDigest`); the Upload computes it
 * and the protocol formats it (`digestHeaders`): it never reads the source's bytes.
 *
 * Choices this module makes where tus leaves room (each is tested):
 * - The protocol keeps what OPTIONS told it (`server`). Before discovery it assumes only the core
 *   protocol and creation: no body on the creation request, no checksum.
 * - Creation sends the first chunk only when the server lists `creation-with-upload`. A 201 without
 *   `Upload-Offset` means none of that body was stored (offset 0): resending costs bytes, trusting
 *   an absent offset could lose them.
 * - Completion: a creation or PATCH whose `Upload-Offset` reaches the upload's length is `complete`.
 *   A 2xx to the last PATCH that stored only part of its body is a `mismatch` at the server's offset,
 *   so the rest is sent again.
 * - `Upload-Length` goes on PATCH only for an upload whose length is deferred (learned from its
 *   creation or from `Upload-Defer-Length: 1` on HEAD), on the first PATCH once the size is known.
 * - Metadata: `filename` and `filetype` come from the source's name and type unless the user's
 *   metadata has them. A key that is not visible ASCII without `,` makes `createRequest` throw.
 * - Integers (`Upload-Offset`, `Upload-Length`, `Tus-Max-Size`) are plain digits, at most 15 of
 *   them; anything else is malformed. An invalid optional `Tus-Max-Size` is ignored.
 * - HEAD answered 404, 410 or 403 is `gone` (tus allows 403 for an unknown upload); a PATCH
 *   answered 403 (a final concatenated upload) is a plain error. DELETE answered 404/410 is
 *   `cancelled`: the resource is gone, which is what DELETE asked for.
 * - `Cache-Control: no-store` on HEAD responses is the server's duty: the client neither sends it
 *   (browsers would need it allow-listed for CORS) nor requires it.
 * - 460 (checksum mismatch) is retryable: the Upload asks for the offset and sends the chunk again.
 * - 412, and a discovery whose `Tus-Version` lacks 1.0.0, fail for good, naming the server's versions.
 * - Every `http-status` error carries the server's problem details, or else the first 1 KiB of its body.
 * - An OPTIONS answered 4xx (other than 408/429) means a server without discovery: `discovered`
 *   with nothing learned. `X-HTTP-Method-Override` (option) covers PATCH and DELETE, as tus says;
 *   HEAD and OPTIONS are sent as they are.
 * @module
 */
import { isRetryableStatus } from '../errors'
import type { HeaderMap, HttpResponse, Protocol, ProtocolResult, RequestDescription, RequestKind, UploadLimits } from '../types'
import { parseHttpDate } from './http-fields'
import { responseDetails } from './problem'
import { CANCELLED, GONE, createdLocation, fail, httpStatusError, isSuccess, offsetOutside } from './shared'
import { parseNonNegativeInteger } from './structured-fields'
import { DIGEST_ALGORITHMS, checksumHeader, type TusChecksumAlgorithm } from './tus-checksum'
import {
  TUS_CONTENT_TYPE,
  TUS_VERSION,
  appendRequest,
  baseHeaders,
  checksumAlgorithm,
  createRequest,
  requestFor,
  type Context,
  type TusServerInfo,
} from './tus-requests'

export { TUS_CONTENT_TYPE, TUS_VERSION, type TusServerInfo }

/** Options of {@link tusProtocol}. */
export interface TusProtocolOptions {
  /**
   * Checksum each request body (`Upload-Checksum`) with this algorithm when the server lists the
   * `checksum` extension and the algorithm; `false` never. Default: the first of sha1, sha256 the
   * server lists.
   */
  checksum?: TusChecksumAlgorithm | false
  /** Send PATCH and DELETE as POST with `X-HTTP-Method-Override`. Default: false. */
  methodOverride?: boolean
  /**
   * The current time in ms since the epoch, for `Retry-After` dates. The Upload injects its clock.
   * Default: none, and then a `Retry-After` date gives no delay rather than a guessed one.
   */
  clock?: () => number
}

/** The tus {@link Protocol}, which also tells what it learned about the server. */
export interface TusProtocol extends Protocol {
  /** What the last successful discovery (OPTIONS) told; undefined before one. */
  readonly server: TusServerInfo | undefined
  /** tus reads responses synchronously: the whole protocol is one lazy chunk already. */
  interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult
}

/**
 * Creates the tus 1.0 protocol. Use one per Upload: it remembers the server's capabilities and
 * which uploads have a deferred length.
 *
 * @param options checksum (default: one the server lists, sha1 first), methodOverride (default
 *   false), clock (default none)
 * @example
 * const protocol = tusProtocol({ checksum: 'sha256' })
 * const upload = new Upload(file, { endpoint: 'https://tus.example.com/files/', protocol })
 * // or simply: new Upload(file, { endpoint, protocol: 'tus' })
 */
export function tusProtocol(options: TusProtocolOptions = {}): TusProtocol {
  const ctx: Context = {
    checksum: options.checksum,
    methodOverride: options.methodOverride ?? false,
    clock: options.clock,
    server: undefined,
    deferred: new Set(),
  }
  return {
    name: 'tus',
    version: TUS_VERSION,
    earlyLocation: false,
    get server() {
      return ctx.server
    },
    discoverRequest: (endpoint) => ({ method: 'OPTIONS', url: endpoint, headers: {}, body: null, intent: { kind: 'discover' } }),
    createRequest: (input) => createRequest(ctx, input),
    offsetRequest: (url) => requestFor(ctx, 'HEAD', url, baseHeaders(), null, { kind: 'offset' }),
    appendRequest: (input) => appendRequest(ctx, input),
    cancelRequest: (url) => requestFor(ctx, 'DELETE', url, baseHeaders(), null, { kind: 'cancel' }),
    bodyDigest: (request) => {
      const algorithm = checksumAlgorithm(ctx, request)
      return algorithm === undefined ? undefined : DIGEST_ALGORITHMS[algorithm]
    },
    digestHeaders: (request, _, digest): HeaderMap => {
      const algorithm = checksumAlgorithm(ctx, request)
      return algorithm === undefined ? {} : { 'upload-checksum': checksumHeader(algorithm, digest) }
    },
    interpretInterim: () => ({ kind: 'ignored' }),
    interpret: (kind, request, response) => interpret(ctx, kind, request, response),
  }
}

// ---------------------------------------------------------------------------------------------
// Responses

function interpret(ctx: Context, kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const { status } = response
  if (!isSuccess(status)) return interpretFailure(ctx, kind, request, response)
  switch (kind) {
    case 'discover':
      return interpretDiscover(ctx, response)
    case 'create':
      return interpretCreate(ctx, request, response)
    case 'offset':
      return interpretOffset(ctx, request, response)
    case 'append':
      return interpretAppend(ctx, request, response)
    case 'cancel':
      return CANCELLED
  }
}

function interpretDiscover(ctx: Context, response: HttpResponse): ProtocolResult {
  const headers = response.headers
  const versions = parseList(headers['tus-version'])
  if (versions.length > 0 && !versions.includes(TUS_VERSION)) return versionError(response)
  const maxSize = parseTusInteger(headers['tus-max-size'])
  ctx.server = {
    versions,
    extensions: parseList(headers['tus-extension']),
    checksumAlgorithms: parseList(headers['tus-checksum-algorithm']).map((name) => name.toLowerCase()),
    maxSize,
  }
  return { kind: 'discovered', limits: maxSize === undefined ? {} : { maxSize } }
}

function interpretCreate(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const resolved = createdLocation(response.headers.location, request.url)
  if ('error' in resolved) return resolved.error
  const intent = request.intent
  const sent = intent.kind === 'create' ? intent.end : 0
  const rawOffset = response.headers['upload-offset']
  const offset = rawOffset === undefined ? 0 : parseTusInteger(rawOffset)
  if (offset === undefined) return fail('malformed-response', 'the creation response has an invalid Upload-Offset')
  if (offset > sent) return fail('offset-invalid', `the server claims ${offset} bytes of a ${sent}-byte creation body`)
  const length = intent.kind === 'create' && intent.declaresLength ? intent.length : undefined
  if (length === undefined) ctx.deferred.add(resolved.url)
  if (offset === length) return { kind: 'complete', url: resolved.url, response, offset }
  return { kind: 'created', url: resolved.url, offset, limits: limitsOf(response) }
}

function interpretOffset(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const headers = response.headers
  const offset = parseTusInteger(headers['upload-offset'])
  if (offset === undefined) return fail('malformed-response', 'the offset response has no valid Upload-Offset')
  const length = parseTusInteger(headers['upload-length'])
  if (length === undefined && headers['upload-length'] !== undefined) return fail('malformed-response', 'the offset response has an invalid Upload-Length')
  if (length !== undefined && offset > length) return fail('offset-invalid', `the server's offset ${offset} is past its Upload-Length ${length}`)
  if (length !== undefined) ctx.deferred.delete(request.url)
  else if (headers['upload-defer-length']?.trim() === '1') ctx.deferred.add(request.url)
  return { kind: 'offset', offset, complete: offset === length, length, limits: limitsOf(response) }
}

function interpretAppend(ctx: Context, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const offset = parseTusInteger(response.headers['upload-offset'])
  if (offset === undefined) return fail('malformed-response', 'the append response has no valid Upload-Offset')
  const intent = request.intent
  if (intent.kind !== 'append') return fail('malformed-response', 'an append answer to a request that is not an append')
  const { offset: start, end, length } = intent
  if (offset < start || offset > end) return offsetOutside(offset, start, end)
  if (intent.declaresLength) ctx.deferred.delete(request.url)
  if (offset === length) return { kind: 'complete', url: request.url, response, offset }
  // The last bytes went out but not all were stored: send the rest from the server's offset.
  if (end === length) return { kind: 'mismatch', offset }
  return { kind: 'appended', offset, limits: limitsOf(response) }
}

function interpretFailure(ctx: Context, kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult {
  const { status } = response
  if (status === 412) return versionError(response)
  const gone = status === 404 || status === 410
  if (kind === 'cancel' && gone) return CANCELLED
  if ((kind === 'offset' || kind === 'append') && (gone || (kind === 'offset' && status === 403))) return GONE
  if (kind === 'append' && status === 409) return { kind: 'mismatch', offset: undefined }
  if ((kind === 'create' || kind === 'append') && status === 413) return { kind: 'too-large', limits: {} }
  if (kind === 'append' && status === 460) {
    return fail('http-status', 'the server found the checksum of the sent bytes wrong (460)', { status, retryable: true, ...responseDetails(response) })
  }
  // A server without OPTIONS support: go on with what every tus server has.
  if (kind === 'discover' && status >= 400 && status < 500 && !isRetryableStatus(status)) return { kind: 'discovered', limits: {} }
  return httpStatusError(request.method, response, ctx.clock?.())
}

/** The server does not speak tus 1.0.0: names the versions its `Tus-Version` lists. */
function versionError(response: HttpResponse): ProtocolResult {
  const versions = parseList(response.headers['tus-version'])
  const supported = versions.length > 0 ? versions.join(', ') : 'unknown versions'
  return fail('http-status', `the server does not speak tus ${TUS_VERSION} (it supports ${supported})`, {
    status: response.status,
    retryable: false,
    ...responseDetails(response),
  })
}

// ---------------------------------------------------------------------------------------------
// Fields

/**
 * A tus integer header: plain decimal digits (optional surrounding spaces), at most 15 of them.
 * Undefined for anything else, including signs, fractions, lists and parameters.
 * @example
 * parseTusInteger('70') // 70
 * parseTusInteger('70;x') // undefined
 */
export function parseTusInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^[ \t]*\d+[ \t]*$/.test(value)) return undefined
  return parseNonNegativeInteger(value.trim())
}

/** A comma-separated list (`Tus-Version`, `Tus-Extension`, …), trimmed, without empty members. */
function parseList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** `Upload-Expires` as `expiresAt`; an unreadable date is left out. */
function limitsOf(response: HttpResponse): UploadLimits {
  const expires = response.headers['upload-expires']
  const expiresAt = expires === undefined ? undefined : parseHttpDate(expires)
  return expiresAt === undefined ? {} : { expiresAt }
}
