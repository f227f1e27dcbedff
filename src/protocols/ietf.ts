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
 *
 * This module and ./ietf-requests build requests, all a browser needs before the first byte.
 * Reading responses (./ietf-responses, with the structured-field parser, problem details and
 * `Upload-Limit`) is loaded by dynamic import: `warm()` starts the load, `interpret` awaits it.
 * `interpretInterim` is synchronous: it reads 104s once that code is loaded and ignores them
 * before. Only transports that see 1xx responses (node-http) ever call it, and the Node entry
 * installs that code up front ({@link installIetfResponses}), so no 104 is missed there.
 * @module
 */
import type { HttpResponse, InterimResult, Protocol, ProtocolResult, RequestDescription, RequestKind } from '../types'
import { PARTIAL_UPLOAD_TYPE, appendContentType, appendRequest, baseHeaders, createRequest, type Context } from './ietf-requests'
import type * as ResponsesModule from './ietf-responses'
import { SF_INTEGER_MAX } from './sf-serialize'
import { loadOnce } from '../utils'

/** The interop version of the newest draft text this module follows (draft -09 to -12). */
export const IETF_INTEROP_VERSION = 8

export { PARTIAL_UPLOAD_TYPE, appendContentType }

/** The IETF protocol object: `interpret` loads the response reader on first use (see `warm`). */
export interface IetfProtocol extends Protocol {
  /** Reads the final response to `request`, once the response reader is loaded. */
  interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse): Promise<ProtocolResult>
  /** Starts loading the response reader (./ietf-responses) without waiting for it. */
  warm(): void
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

/** The module that reads the draft's responses (./ietf-responses). */
export type IetfResponses = typeof ResponsesModule

let responses: IetfResponses | undefined

/** Loads the response reader, once for every IETF protocol object (again after a failed load). */
const load = loadOnce(() => import('./ietf-responses').then((module) => (responses = module)))

/**
 * Hands every IETF protocol object the response reader up front, so that `interpretInterim`
 * reads a 104 from the very first request. The Node entry does it (node-http sees 1xx responses;
 * browsers never do, and load the reader after the first byte).
 * @param module the ./ietf-responses module
 */
export function installIetfResponses(module: IetfResponses): void {
  responses = module
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
 * const result = await protocol.interpret('offset', request, response) // { kind: 'offset', offset, … }
 */
export function ietfProtocol(options: IetfProtocolOptions = {}): IetfProtocol {
  const interopVersion = options.interopVersion ?? IETF_INTEROP_VERSION
  if (!Number.isInteger(interopVersion) || interopVersion < 3 || interopVersion > SF_INTEGER_MAX) {
    throw new RangeError(`interopVersion must be an integer from 3: ${interopVersion}`)
  }
  const ctx: Context = { interopVersion, contentDisposition: options.contentDisposition ?? true, clock: options.clock, deferred: new Set() }
  const bodiless = (method: 'HEAD' | 'DELETE', url: string, kind: 'offset' | 'cancel'): RequestDescription => ({
    method,
    url,
    headers: baseHeaders(ctx),
    body: null,
    intent: { kind },
  })
  return {
    name: 'ietf',
    version: String(interopVersion),
    earlyLocation: true,
    createRequest: (input) => createRequest(ctx, input),
    offsetRequest: (url) => bodiless('HEAD', url, 'offset'),
    appendRequest: (input) => appendRequest(ctx, input),
    cancelRequest: (url) => bodiless('DELETE', url, 'cancel'),
    interpretInterim: (request, response): InterimResult => responses?.interpretInterim(ctx, request, response) ?? { kind: 'ignored' },
    interpret: async (kind, request, response) => (await load()).interpret(ctx, kind, request, response),
    // `warm` does not wait: a failed load is reported by the `interpret` that loads again.
    warm: () => void load().catch(() => {}),
  }
}
