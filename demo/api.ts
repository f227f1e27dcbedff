/**
 * The demo page's backend, on the page's own origin under `/api/`: what an app's server does for
 * direct-to-storage uploads, against the emulators `npm run demo` starts.
 * - `POST /api/s3/multipart…`: the five S3 callbacks (test/support/s3-backend.ts: presigned
 *   `UploadPart` URLs with `@aws-sdk`), at the routes of test/support/s3-backend-client.ts.
 * - `GET /api/azure/sas?name=`: `{ url }`, the blob's URL in Azurite with a SAS (create, write, read; one hour).
 * - `POST /api/gcs/session` `{ name, type?, size? }`: `{ sessionUrl }`, a resumable session opened in the GCS emulator.
 * - `POST /api/gcs/cut`: the emulator cuts the next chunk's connection (the page's "Drop the connection").
 * - `GET /api/sha256?protocol=&ref=`: `{ sha256, size }` of the stored object, read back from the
 *   server that holds it (`ref`: the upload URL for ietf and tus, the object's location or key for
 *   s3, the blob or object name for azure and gcs); `404` while it holds none.
 * - `GET /api/config`: where the IETF and tus servers are; `GET /api/storage`: where the
 *   storage emulators are (a GCS session URI must be on an origin the page allows).
 * Nothing here checks who asks: the servers listen on 127.0.0.1 only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ReferenceServer } from '../test/server'
import type { Azurite } from '../test/support/azurite'
import type { GcsEmulator } from '../test/support/gcs-emulator'
import type { S3TestBackend } from '../test/support/s3-backend'
import type { S3TestServer } from '../test/support/s3-server'
import type { TusTestServer } from '../test/support/tus-server'

/** The servers the routes use. */
export interface DemoServices {
  /** The IETF reference server. */
  uploads: ReferenceServer
  /** The tus server (`@tus/server`). */
  tus: TusTestServer
  /** s3rver behind its gate. */
  s3: S3TestServer
  /** The presigning backend for `s3`. */
  s3Backend: S3TestBackend
  /** Azurite (blob service). */
  azurite: Azurite
  /** The GCS emulator. */
  gcs: GcsEmulator
}

/** The servers the page needs first (IETF and tus uploads, `/api/config`). */
export type PageServices = Pick<DemoServices, 'uploads' | 'tus'>

/** Where `/api/gcs/cut` cuts the next chunk: 260 KiB into its body. */
export const GCS_CUT_AFTER = 260 * 1024

/** What `/api/sha256` answers. */
export interface StoredDigest {
  /** SHA-256 (hex) of the stored bytes. */
  sha256: string
  /** Stored bytes. */
  size: number
}

/** An answer the routes give up with. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A request handler for `startStaticServer`: answers `/api/` requests once the servers they need
 * are up (`/api/config` waits for `page`, the others for every server in `services`), and returns
 * false for every other path.
 */
export function demoApi(page: Promise<PageServices>, services: Promise<DemoServices>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo')
    if (!url.pathname.startsWith('/api/')) return false
    const answered =
      req.method === 'GET' && url.pathname === '/api/config'
        ? page.then(({ uploads, tus }) => json(res, 200, { ietf: uploads.endpoint, tus: tus.endpoint }))
        : services.then((running) => answerApi(running, req, res, url))
    answered.catch((error: unknown) => {
      const status = error instanceof ApiError ? error.status : 500
      if (!res.headersSent) json(res, status, { error: { code: status === 500 ? 'Failed' : 'BadRequest', message: errorText(error) } })
      else res.destroy()
    })
    return true
  }
}

async function answerApi(services: DemoServices, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const route = `${req.method} ${url.pathname}`
  if (url.pathname.startsWith('/api/s3/')) {
    const { route: s3Route } = await import('../test/support/s3-backend-http')
    // The S3 routes are those of the test endpoint (/s3/multipart…), mounted under /api.
    req.url = url.pathname.slice('/api'.length)
    return s3Route(services.s3Backend, req, res)
  }
  if (route === 'GET /api/storage') return json(res, 200, { s3: services.s3.endpoint, azure: services.azurite.accountUrl, gcs: services.gcs.url })
  if (route === 'GET /api/azure/sas') return json(res, 200, { url: services.azurite.sasUrl(objectName(url.searchParams.get('name'))) })
  if (route === 'POST /api/gcs/session') {
    const { name, type, size } = (await readJson(req)) as { name?: string; type?: string; size?: number }
    const options = { ...(type ? { contentType: type } : {}), ...(Number.isSafeInteger(size) ? { size } : {}) }
    return json(res, 200, { sessionUrl: await services.gcs.openSession(objectName(name), options) })
  }
  if (route === 'POST /api/gcs/cut') {
    // The emulator's fault injection (the page's "Drop the connection" with GCS): the next chunk
    // loses its connection after 260 KiB, of which the emulator keeps the whole 256 KiB unit.
    services.gcs.cutNext(GCS_CUT_AFTER)
    return json(res, 200, { afterBytes: GCS_CUT_AFTER })
  }
  if (route === 'GET /api/sha256') {
    const digest = await storedDigest(services, url.searchParams.get('protocol') ?? '', url.searchParams.get('ref') ?? '')
    return digest ? json(res, 200, digest) : json(res, 404, { error: { code: 'NotStored', message: 'no stored object for this upload' } })
  }
  json(res, 404, { error: { code: 'NotFound', message: route } })
}

/** The SHA-256 and size of what `protocol`'s server holds for `ref`, read back from that server. */
export async function storedDigest(services: DemoServices, protocol: string, ref: string): Promise<StoredDigest | undefined> {
  switch (protocol) {
    case 'ietf': {
      const upload = await services.uploads.upload(services.uploads.uploadIdFromUrl(ref))
      return upload?.complete ? { sha256: upload.sha256, size: upload.offset } : undefined
    }
    case 'tus': {
      const stored = await services.tus.stored(services.tus.idOf(ref))
      return stored && stored.size === stored.length ? { sha256: stored.sha256, size: stored.length } : undefined
    }
    case 's3': {
      const found = await services.s3Backend.sha256Of(s3Key(services.s3.bucket, ref)).catch(() => undefined)
      return found && { sha256: found.sha256, size: found.size }
    }
    case 'azure': {
      const found = await services.azurite.sha256Of(objectName(ref)).catch(() => undefined)
      return found && { sha256: found.sha256, size: found.length }
    }
    case 'gcs': {
      const name = objectName(ref)
      const sha256 = services.gcs.sha256Of(name)
      return sha256 === undefined ? undefined : { sha256, size: Number(services.gcs.object(name)?.size) }
    }
    default:
      throw new ApiError(400, `unknown protocol: ${protocol}`)
  }
}

/** The object key in an S3 location (`<endpoint>/<bucket>/<key>`), or `ref` itself when it is a key. */
function s3Key(bucket: string, ref: string): string {
  if (!/^https?:\/\//.test(ref)) return objectName(ref)
  const path = new URL(ref).pathname.split('/').map(decodeURIComponent)
  if (path[1] !== bucket) throw new ApiError(400, `not an object of bucket ${bucket}: ${ref}`)
  return objectName(path.slice(2).join('/'))
}

/** A blob, object or key name: no empty, `.` or `..` segment, no control character (s3rver keeps objects as files). */
function objectName(name: string | null | undefined): string {
  const valid = typeof name === 'string' && name.length <= 1024 && !/\p{Cc}/u.test(name) && name.split('/').every((part) => !['', '.', '..'].includes(part))
  if (!valid) throw new ApiError(400, `not an object name: ${String(name)}`)
  return name
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 65_536) throw new ApiError(413, 'body too large')
    chunks.push(chunk)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
  } catch {
    throw new ApiError(400, 'the body is not JSON')
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message.split('\n', 1)[0]! : String(error)
}
