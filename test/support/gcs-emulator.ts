/**
 * A Google Cloud Storage emulator for the JSON API resumable upload, in test code: no GCS
 * emulator can be installed here. It is written from Google's documentation ("Resumable uploads",
 * "Perform resumable uploads"), not from GCS itself; where GCS behaviour is not documented the
 * choice is named below. It listens on 127.0.0.1.
 *
 * - `POST /upload/storage/v1/b/<bucket>/o?uploadType=resumable&name=<object>` (the name may come in
 *   a JSON body instead; `X-Upload-Content-Type` and `X-Upload-Content-Length` are honoured) →
 *   `200` with `Location: <same path>&upload_id=<id>`, the session URI.
 * - `PUT <session URI>` with `Content-Range: bytes a-b/total` (or `a-b/*`): a chunk. It must start at
 *   the persisted offset (else `400`). A chunk that ends the upload (b+1 = total) finalizes it:
 *   `200` (or `finalStatus`) with the object's JSON (kind, id, bucket, name, size, md5Hash,
 *   contentType, generation, timeCreated; no crc32c). Any other chunk, and any chunk cut short,
 *   keeps only whole 256 KiB units of what arrived (`keepUnits` can keep fewer, e.g. at random) and
 *   answers `308` with `Range: bytes=0-n` (no `Range` while nothing is held).
 * - `PUT <session URI>` with `Content-Range: bytes *\/total` (or `*\/*`) and no body: a status query,
 *   `308` as above; with a total that the session holds entirely it finalizes the object (`200`).
 *   A `PUT` without `Content-Range` is a whole upload in one request.
 * - A finished session answers any `PUT` with `200` and the object again.
 * - `DELETE <session URI>` cancels: `499`, and the session answers `410` afterwards.
 * - `expire(id, status)` makes a session answer `404` or `410`, as an expired one (a week old) does.
 * - CORS: preflights are answered for any origin; answers carry `Access-Control-Allow-Origin` and
 *   `Access-Control-Expose-Headers` (default `Range, Location, X-GUploader-UploadID, Content-Type`).
 *   Real GCS takes both from the bucket's CORS configuration (`origin`, `method`, `responseHeader`):
 *   a browser client can read the `308`'s `Range` only when the bucket lists `Range` in
 *   `responseHeader`, and GCS answers the session URI's requests for the origin that initiated the
 *   session.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { sha256 } from './files'
import { answer, drainThen, putChunk, readAll, type Context } from './gcs-emulator-put'
import { EmulatedSession, type StoredObject } from './gcs-emulator-session'

export { UNIT as GCS_UNIT, type StoredObject } from './gcs-emulator-session'

/** What {@link GcsEmulatorOptions.keepUnits} is told about a chunk. */
export interface ChunkArrival {
  /** Where the chunk starts (the persisted offset). */
  offset: number
  /** Body bytes that arrived. */
  received: number
  /** Whole 256 KiB units among them. */
  units: number
  /** The connection was cut before the body ended. */
  interrupted: boolean
}

/** Options of {@link startGcsEmulator}. */
export interface GcsEmulatorOptions {
  /** How many whole units of a non-final or interrupted chunk to keep. Default: all of them. */
  keepUnits?: (arrival: ChunkArrival) => number
  /** The status of a finishing answer. Default: 200. */
  finalStatus?: 200 | 201
  /** `Access-Control-Expose-Headers`. Default: Range, Location, X-GUploader-UploadID, Content-Type. */
  exposeHeaders?: readonly string[]
}

/** A request the emulator answered (or lost). */
export interface GcsRequestLog {
  method: string
  /** `Content-Range`, when sent. */
  contentRange: string | undefined
  /** Body bytes that arrived. */
  bodyBytes: number
  /** The answer's status; undefined when the connection was cut. */
  status: number | undefined
  /** The answer's `Range`, when it had one. */
  range: string | undefined
  /** `Authorization`, when sent (a client must never send its app's credentials to GCS). */
  authorization: string | undefined
}

/** A running emulator. */
export interface GcsEmulator {
  /** Its origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** Every request, in order of arrival. */
  requests: GcsRequestLog[]
  /** Opens a session as an app's backend would (`POST …?uploadType=resumable`); resolves with the session URI. */
  openSession(name: string, options?: { bucket?: string; contentType?: string; size?: number }): Promise<string>
  /** The session with this upload id or session URI. */
  session(idOrUrl: string): EmulatedSession | undefined
  /** Makes a session answer `status` from now on (an expired session). */
  expire(idOrUrl: string, status?: 404 | 410): void
  /** The next chunk PUT loses its connection after `afterBytes` body bytes. */
  cutNext(afterBytes: number): void
  /** The next PUT is answered `status` (e.g. 503, 429 with `retry-after`) and changes nothing. */
  failNext(status: number, headers?: Record<string, string>): void
  /**
   * Chunks starting at `offset` or later wait, unread and unanswered, until the function returned
   * is called; then their connections close and nothing of them is kept.
   */
  holdFrom(offset: number): () => void
  /** The most `PUT`s to session URIs that were in flight at once. */
  readonly maxInFlight: number
  /** The stored object's bytes, or undefined. */
  objectBytes(name: string, bucket?: string): Buffer | undefined
  /** SHA-256 (hex) of the stored object, or undefined. */
  sha256Of(name: string, bucket?: string): string | undefined
  /** The stored object's resource, or undefined. */
  object(name: string, bucket?: string): StoredObject | undefined
  /** Stops listening and closes connections. */
  close(): Promise<void>
}

/** The default bucket of {@link GcsEmulator.openSession}. */
export const GCS_BUCKET = 'uploads'

const UPLOAD_PATH = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/

/** Starts the emulator on 127.0.0.1 on a free port. */
export async function startGcsEmulator(options: GcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const sessions = new Map<string, EmulatedSession>()
  const objects = new Map<string, { data: Buffer; object: StoredObject }>()
  const requests: GcsRequestLog[] = []
  const cuts: number[] = []
  const expose = (options.exposeHeaders ?? ['Range', 'Location', 'X-GUploader-UploadID', 'Content-Type']).join(', ')
  const idOf = (idOrUrl: string): string => (idOrUrl.includes('upload_id=') ? (new URL(idOrUrl).searchParams.get('upload_id') ?? '') : idOrUrl)
  const failures: Array<{ status: number; headers: Record<string, string> }> = []
  const context: Context = { sessions, objects, requests, cuts, failures, options, inFlight: 0, maxInFlight: 0 }
  const server = createServer((req, res) => {
    if (req.headers.origin !== undefined) {
      res.setHeader('access-control-allow-origin', req.headers.origin)
      res.setHeader('access-control-expose-headers', expose)
      res.setHeader('vary', 'Origin')
    }
    route(context, req, res).catch((error: unknown) => {
      if (!res.headersSent) answer(res, 500, { 'content-type': 'text/plain' }, String(error))
    })
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stored = (name: string, bucket = GCS_BUCKET): { data: Buffer; object: StoredObject } | undefined => objects.get(`${bucket}/${name}`)
  return {
    url,
    requests,
    async openSession(name, { bucket = GCS_BUCKET, contentType, size } = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (contentType !== undefined) headers['x-upload-content-type'] = contentType
      if (size !== undefined) headers['x-upload-content-length'] = String(size)
      const target = `${url}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}`
      const response = await fetch(target, { method: 'POST', headers, body: '{}' })
      const location = response.headers.get('location')
      if (response.status !== 200 || location === null) throw new Error(`session initiation answered ${response.status}`)
      return location
    },
    session: (idOrUrl) => sessions.get(idOf(idOrUrl)),
    expire(idOrUrl, status = 404) {
      const session = sessions.get(idOf(idOrUrl))
      if (session) session.goneStatus = status
    },
    cutNext: (afterBytes) => void cuts.push(afterBytes),
    failNext: (status, headers = {}) => void failures.push({ status, headers }),
    holdFrom(offset) {
      let release = (): void => undefined
      context.hold = { from: offset, released: new Promise<void>((resolve) => (release = resolve)) }
      return () => {
        context.hold = undefined
        release()
      }
    },
    get maxInFlight() {
      return context.maxInFlight
    },
    objectBytes: (name, bucket) => stored(name, bucket)?.data,
    sha256Of: (name, bucket) => {
      const found = stored(name, bucket)
      return found && sha256(found.data)
    },
    object: (name, bucket) => stored(name, bucket)?.object,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

async function route(ctx: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = new URL(req.url ?? '/', 'http://emulator')
  const path = UPLOAD_PATH.exec(target.pathname)
  const { authorization, 'content-range': contentRange } = req.headers
  const log: GcsRequestLog = { method: req.method ?? 'GET', contentRange, bodyBytes: 0, status: undefined, range: undefined, authorization }
  ctx.requests.push(log)
  res.on('finish', () => {
    log.status = res.statusCode
    log.range = res.getHeader('range') as string | undefined
  })
  if (req.method === 'OPTIONS') return preflight(req, res)
  const bucket = path?.[1]
  const id = target.searchParams.get('upload_id')
  if (bucket === undefined || target.searchParams.get('uploadType') !== 'resumable') return drainThen(req, res, log, 404, 'no such route')
  if (id === null)
    return req.method === 'POST' ? initiate(ctx, req, res, log, target, decodeURIComponent(bucket)) : drainThen(req, res, log, 405, 'POST to initiate')
  const session = ctx.sessions.get(id)
  if (!session) return drainThen(req, res, log, 404, 'no such upload session')
  if (session.goneStatus !== undefined) return drainThen(req, res, log, session.goneStatus, 'the upload session is gone')
  if (req.method === 'DELETE') {
    session.goneStatus = 410
    return drainThen(req, res, log, 499, '')
  }
  if (req.method !== 'PUT') return drainThen(req, res, log, 405, 'PUT chunks to the session URI')
  ctx.maxInFlight = Math.max(ctx.maxInFlight, ++ctx.inFlight)
  res.once('close', () => ctx.inFlight--)
  const failure = ctx.failures.shift()
  if (failure) {
    await readAll(req, log)
    return answer(res, failure.status, failure.headers, '')
  }
  return putChunk(ctx, session, req, res, log)
}

async function initiate(ctx: Context, req: IncomingMessage, res: ServerResponse, log: GcsRequestLog, target: URL, bucket: string): Promise<void> {
  const body = await readAll(req, log)
  let name = target.searchParams.get('name') ?? undefined
  if (name === undefined && body.length > 0) name = (JSON.parse(body.toString('utf8')) as { name?: string }).name
  if (name === undefined || name === '') return answer(res, 400, { 'content-type': 'text/plain' }, 'an object name is required')
  const lengthField = req.headers['x-upload-content-length']
  const length = typeof lengthField === 'string' && /^\d+$/.test(lengthField) ? Number(lengthField) : undefined
  const type = req.headers['x-upload-content-type']
  const id = randomUUID().replaceAll('-', '')
  ctx.sessions.set(id, new EmulatedSession(id, bucket, name, typeof type === 'string' ? type : 'application/octet-stream', length))
  const location = `http://${req.headers.host}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`
  answer(res, 200, { location, 'x-guploader-uploadid': id }, '')
}

function preflight(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('access-control-allow-methods', 'POST, PUT, DELETE')
  const asked = req.headers['access-control-request-headers']
  if (typeof asked === 'string') res.setHeader('access-control-allow-headers', asked)
  res.setHeader('access-control-max-age', '600')
  answer(res, 204, {}, '')
}
