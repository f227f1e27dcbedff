/**
 * Google Cloud Storage resumable uploads (JSON API, `uploadType=resumable`; also signed URLs
 * opened with `x-goog-resumable: start`) as a sans-I/O {@link Protocol} for the one-offset
 * session: request descriptions out, typed results in. No fetch, no timers, no storage.
 *
 * The app's backend opens the session (it holds the credentials); the client only ever talks to
 * the session URI, which is a capability and lives for a week. GCS has no parallel parts: one
 * chunk is in flight at a time (`concurrency` does nothing here).
 *
 * Choices this module makes where GCS leaves room (each is tested):
 * - The Upload needs no `endpoint`: records name `gcs:`. "create" is a status query (empty `PUT`,
 *   `Content-Range: bytes *\/total`) to the session URI from {@link GcsProtocol.endpointFor}
 *   (asked once per source, again only after that session was gone), never a chunk: the URI is
 *   known before any byte goes, so the query costs one round trip and nothing else; it tells a
 *   fresh session (`308` without `Range`) from one that already holds bytes (a backend that
 *   hands out the same session again: the Upload goes on from there), finalizes an empty file
 *   (`*\/0`), and can be repeated after a cut. Its `308` is `created` at the offset its `Range`
 *   names; a `404`/`410` there is `upload-gone` (a session just opened is gone).
 * - Records are keyed by the file's fingerprint and `gcs:`: an app that uploads one file to
 *   several objects passes its own `fingerprint` (or `store: false`).
 * - "offset" is the same status query, `Content-Range: bytes *\/total`; the total comes from the
 *   caller, else from an earlier request for that URI, else `*` (resume after a reload).
 * - "append" is a chunk `PUT` with `Content-Range: bytes a-b/total`, `a-b/*` while a stream's
 *   length is unknown; an empty last chunk of a stream is `bytes *\/total`. A chunk other than the
 *   last must be whole 256 KiB units (`appendRequest` throws a RangeError otherwise): the Upload
 *   ends each chunk with {@link GcsProtocol.alignChunkEnd}, so a `chunkSize` (or an adaptive size)
 *   that is not a multiple of 256 KiB is rounded down to one, and is at least one unit.
 * - `308` with `Range: bytes=0-n` holds n+1 bytes; without `Range`, none. GCS may keep fewer bytes
 *   than a chunk carried (whole 256 KiB units): a non-final chunk is `appended` at the held
 *   offset, a last chunk not wholly held is a `mismatch` at it (the rest goes again). A `Range`
 *   past the upload's length, past the chunk's end or before its start is `offset-invalid`; one that
 *   is not `bytes=0-n` is `malformed-response`.
 * - `200`/`201` is `complete`; its body (the object's JSON, see {@link parseGcsObject}) is the
 *   result's `response`, and its `size`, when stated, is the offset the Upload checks.
 * - `404`/`410` on a status query or chunk is `gone` when `sessionUrl` is a function
 *   ({@link GcsProtocol.restartable}): the Upload opens a new session, as often as its
 *   `maxRestarts`; with a string it is `upload-gone` (the same URI would be gone again).
 * - `400` to a chunk (a start the session does not hold) is a `mismatch`: ask the offset again.
 * - `408`, `429` and `5xx` are retryable `http-status` errors with `Retry-After`.
 * - Cancel is `DELETE` on the session URI; GCS answers `499`, and `404`/`410` mean already gone.
 * - The Upload's `headers` option never goes to GCS (its origins are the protocol's own, see
 *   {@link GcsProtocol.origins}); the session URI is the only credential.
 * @module
 */
import type { AppendInput, HttpResponse, Protocol, ProtocolResult, RequestDescription, RequestKind, Source } from '../types'
import { alignChunkEnd, chunkRequest, statusRequest, type Context } from './gcs-requests'
import { interpret } from './gcs-responses'
import { isGoneStatus } from './shared'
import { GCS_ORIGIN, httpOrigin, resolveSessionUrl, type GcsSessionUrl } from './gcs-session-url'

export { GCS_CHUNK_UNIT, alignChunkEnd } from './gcs-requests'
export { heldBytes, parseGcsObject, type GcsObject } from './gcs-responses'
export { GCS_ORIGIN, type GcsFile, type GcsSessionUrl } from './gcs-session-url'

/** Options of {@link gcs}. */
export interface GcsOptions {
  /**
   * The resumable upload session URI the app's backend opened (`POST
   * https://storage.googleapis.com/upload/storage/v1/b/<bucket>/o?uploadType=resumable&name=…`,
   * answered with it in `Location`; or a signed URL sent `x-goog-resumable: start`), or a function
   * that opens one for a file. Only a function lets a session that expired be replaced.
   */
  sessionUrl: GcsSessionUrl
  /**
   * Origins a session URI may be on. Default: `https://storage.googleapis.com`, plus the origin of
   * a string `sessionUrl`.
   */
  allowedOrigins?: readonly string[]
  /**
   * The current time in ms since the epoch, for `Retry-After` dates. Default: none, and then a
   * `Retry-After` date gives no delay rather than a guessed one.
   */
  clock?: () => number
}

/** The GCS {@link Protocol}, with what the Upload needs to obtain a session and plan chunks. */
export interface GcsProtocol extends Protocol {
  /** `gcs`. */
  readonly name: 'gcs'
  /** `gcs:`, the endpoint the Upload's records and fingerprints name (no `endpoint` option is needed). */
  readonly endpoint: 'gcs:'
  /** Whether a gone session can be replaced (`sessionUrl` is a function). */
  readonly restartable: boolean
  /**
   * Origins a session URI may be on (see {@link GcsOptions.allowedOrigins}): the Upload trusts
   * them for upload URLs and stored records, and sends them none of its `headers`.
   */
  readonly origins: readonly string[]
  /**
   * The session URI for a source, which is where its creation (the first status query) goes: the
   * string option, or what the function answers. The function is asked once per source (a
   * creation retried after a network error reuses its answer) and again once that session was
   * gone. Rejects with an UploadError (see resolveSessionUrl in ./gcs-session-url).
   */
  endpointFor(source: Pick<Source, 'name' | 'type' | 'size'>, metadata: Record<string, string>): Promise<string>
  /** The status query; `size` is the upload's length when known (`*` when neither it nor an earlier request names it). */
  offsetRequest(url: string, size?: number): RequestDescription
  /** The end of the next chunk, aligned to 256 KiB unless it is the last (see {@link alignChunkEnd}). */
  alignChunkEnd(offset: number, end: number, size: number | undefined): number
  /** GCS answers synchronously. */
  interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult
}

/**
 * Creates the GCS resumable upload protocol. Use one per Upload.
 *
 * @param options the session URI or a function opening one, allowed origins, clock
 * @throws TypeError when `sessionUrl` is neither a string nor a function; RangeError when a string
 *   `sessionUrl` or an `allowedOrigins` entry is not an absolute http(s) URL
 * @example
 * const protocol = gcs({ sessionUrl: (file) => fetch('/gcs-session', { method: 'POST', body: file.name }).then((r) => r.text()) })
 * const upload = new Upload(file, { protocol, chunkSize: 8 * 1024 * 1024 })
 */
export function gcs(options: GcsOptions): GcsProtocol {
  const { sessionUrl, clock } = options
  if (typeof sessionUrl !== 'string' && typeof sessionUrl !== 'function') throw new TypeError('resumable-upload: gcs() needs a `sessionUrl` string or function')
  const origins = new Set<string>()
  for (const value of [...(options.allowedOrigins ?? [GCS_ORIGIN]), ...(typeof sessionUrl === 'string' ? [sessionUrl] : [])]) {
    const origin = httpOrigin(value)
    if (origin === undefined) throw new RangeError(`resumable-upload: gcs() takes absolute http(s) URLs: ${String(value)}`)
    origins.add(origin)
  }
  const ctx: Context = { sizes: new Map() }
  const restartable = typeof sessionUrl === 'function'
  // The session URI each source was given (a retried creation reuses it), and the URIs found gone.
  const opened = new WeakMap<object, Promise<string>>()
  const gone = new Set<string>()
  return {
    name: 'gcs',
    version: '1',
    endpoint: 'gcs:',
    earlyLocation: false,
    restartable,
    origins: [...origins],
    async endpointFor(source, metadata) {
      const known = await opened.get(source)?.catch(() => undefined)
      if (known !== undefined && !gone.has(known)) return known
      const next = resolveSessionUrl(sessionUrl, { name: source.name, type: source.type, size: source.size, metadata }, origins)
      opened.set(source, next)
      return next
    },
    // `endpoint` is the session URI from endpointFor; any body offered is left out (see above).
    createRequest: (input) => statusRequest(ctx, input.endpoint, 'create', input.size),
    offsetRequest: (url, size) => statusRequest(ctx, url, 'offset', size),
    appendRequest: (input: AppendInput) => chunkRequest(ctx, input),
    cancelRequest: (url) => ({ method: 'DELETE', url, headers: {}, body: null, intent: { kind: 'cancel' } }),
    alignChunkEnd,
    interpretInterim: () => ({ kind: 'ignored' }),
    interpret(kind, request, response) {
      if (kind !== 'cancel' && isGoneStatus(response.status)) gone.add(request.url)
      return interpret(kind, request, response, { now: clock?.(), total: ctx.sizes.get(request.url), restartable })
    },
  }
}
