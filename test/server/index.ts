/**
 * Reference server for the IETF "Resumable Uploads for HTTP" draft, with fault injection.
 *
 * ```ts
 * const server = await startReferenceServer({ limits: { maxSize: 1 << 30 } })
 * // POST/PUT server.endpoint with Upload-Complete; HEAD/PATCH/DELETE the Location
 * server.faults.add({ type: 'destroy', afterBytes: 1000, match: { kind: 'append' } })
 * await server.close()
 * ```
 *
 * Choices where the draft leaves room:
 * - Append to a completed upload: an empty `?1` PATCH at the final offset replays the final
 *   response (200 + JSON, for a client that lost it); anything else gets 400 `completed-upload`
 *   with `Upload-Complete: ?1` and `Upload-Offset`.
 * - `progressInterimEvery` 104s (with `Upload-Offset`, never `Location`) are sent during creation
 *   bodies as well as appends, and only when the request named an interop version.
 * - `min-size`: below it (or with no deducible length) a `?1` creation is stored as a plain upload
 *   (no 104) and a `?0` creation gets 400 `below-min-size`.
 * - A body running past the upload length or `max-size` deactivates the upload (410 afterwards);
 *   one running past `max-append-size` keeps the bytes up to the limit and answers 413 with
 *   `Upload-Offset`. A short chunked `?0` body below `min-append-size` is kept and answered 413.
 * - `max-age` applies until completion; a completed upload does not expire.
 * - Responses sent before the body was read carry `Connection: close`; the server drains the body
 *   for up to `lingerMs` so the client reads the response instead of a reset.
 * - Node's parser rejects (400/431, without CORS headers) what never reaches a handler.
 * - `Location` names the origin the client addressed (its `Host`, or the `Forwarded` /
 *   `X-Forwarded-Host` and `-Proto` a reverse proxy added), so the server works behind a proxy.
 *
 * Hardening (the server is also run by hand and by the demo): CORS headers only for the
 * `cors.origins` allow-list (none by default, credentials only with `cors.credentials`); the
 * `/__control/` routes only with `control: true`, and then only for non-browser clients and
 * listed origins; at most `maxUploads` open uploads (503 + `Retry-After` beyond); connections idle
 * for `idleTimeoutMs` are closed, while a whole request may take as long as it keeps sending.
 * @module
 */
import { ReferenceServer } from './server'
import type { ReferenceServerOptions } from './types'

export { PUBLIC_DEFAULTS, ReferenceServer, ServerStartError } from './server'
export { validateFault } from './faults'
export { DEFAULT_INTEROP_VERSIONS, PROBLEM_TYPES } from './protocol'
export { CORS_EXPOSED_HEADERS, CORS_ALLOWED_METHODS } from './cors'
export type {
  ActiveFault,
  CorsOptions,
  DestroyFault,
  Fault,
  FaultableKind,
  FaultMatch,
  HeadersFault,
  ReferenceServerOptions,
  RequestEvent,
  RequestKind,
  ServerEvents,
  ServerStats,
  StallFault,
  StatusFault,
  UploadInfo,
  UploadLimits,
  UploadStats,
} from './types'

/**
 * Starts a reference server on 127.0.0.1 (port 0 = a random free port). Uploads live in
 * `options.dir`, or in a fresh temporary directory that `close()` removes.
 */
export function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  return ReferenceServer.start(options)
}
