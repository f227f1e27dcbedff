/**
 * A real S3 emulator for tests: s3rver 3.7.1 (the one that runs on Node 20) in-process on
 * 127.0.0.1, on a free port, with a temp directory and one bucket whose CORS rules let a browser
 * PUT parts and read their `ETag`.
 *
 * What s3rver does, measured (test/integration/s3-backend.test.ts proves each point):
 * - CreateMultipartUpload, UploadPart (answers `ETag: "<md5>"`) and CompleteMultipartUpload work;
 *   ListParts and AbortMultipartUpload answer `405 MethodNotAllowed`.
 * - V4 presigned URLs: the signature itself is NOT checked (any signature passes), but expiry is:
 *   past `X-Amz-Date` + `X-Amz-Expires` it answers `403 AccessDenied` "Request has expired".
 * - UploadPart to an unknown uploadId succeeds (it makes the folder); Complete ignores ETags and part
 *   sizes, and answers `500 InternalError` for an unknown uploadId. So the server here puts a gate
 *   in front of s3rver that answers UploadPart to an upload that does not exist with S3's
 *   `404 NoSuchUpload`, as S3 does. The test backend (s3-backend.ts) checks ETags and sizes on
 *   Complete. Both are this file's doing, not s3rver's.
 * - Each finished part is `<dir>/<bucket>/._S3rver_uploads/<uploadId>/<partNumber>` plus
 *   `<partNumber>.md5` (hex, written once the part's body ended), and a `key` file. A resend of a
 *   part overwrites it in place: cut short, it leaves the partial bytes beside the old `.md5`
 *   (S3 would keep the old part whole until the new one is complete).
 * - Error answers keep the CORS headers (s3rver's own error handler keeps `access-control-*`).
 * - s3rver authenticates CORS preflights: the `OPTIONS` of an expired presigned URL gets `403`, so
 *   a browser's fetch fails with a bare network error before the PUT. S3 and MinIO answer a
 *   preflight from the bucket's CORS rules alone; so does the gate (option `preflight`).
 *
 * The gate also records every UploadPart (to show parts went up in parallel) and can answer the
 * next parts with an S3 error (for retry tests), reading the body first as S3 does.
 */
import { S3Client } from '@aws-sdk/client-s3'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

// The SDK warns once per process that its 2027 releases will need Node 22; the pinned one runs here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** The bucket every test uses (s3rver refuses invalid bucket names such as `b`). */
export const S3_BUCKET = 'bars-bucket'

/** s3rver's built-in account. */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

/** The region the test client signs for (s3rver accepts any). */
export const S3_REGION = 'us-east-1'

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /** Origins allowed by the bucket's CORS rule. Default: `['*']`. */
  corsOrigins?: readonly string[]
  /** Whether the CORS rule exposes `ETag` (turn off to see what a browser does without it). Default: true. */
  exposeETag?: boolean
  /**
   * Who answers CORS preflights: `gate` answers them from the CORS rule alone, as S3 and MinIO do;
   * `s3rver` lets s3rver answer, which also checks the URL's expiry (an expired URL's preflight
   * gets `403`, so a browser sees only a network error). Default: `gate`.
   */
  preflight?: 'gate' | 's3rver'
}

/** One UploadPart request the gate saw. */
export interface PartRequestRecord {
  /** The upload it was for. */
  uploadId: string
  /** Its part number. */
  partNumber: number
  /** How many UploadPart requests were in flight when it arrived, itself included. */
  inFlight: number
  /** The status it was answered with; undefined while in flight or when the connection broke. */
  status: number | undefined
  /** Resolves once the exchange is over: answered, or its connection closed. */
  closed: Promise<void>
}

/** An S3 error the gate answers instead of s3rver. */
export interface S3Fault {
  /** HTTP status, e.g. 500. */
  status: number
  /** S3 error code, e.g. `InternalError`, `SlowDown`. */
  code: string
  /** S3 error message. */
  message: string
}

/** A running emulator. */
export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: the S3 endpoint (path-style). */
  endpoint: string
  /** The bucket. */
  bucket: string
  /** s3rver's directory. */
  directory: string
  /** An SDK client for the endpoint (checksums only when required, as s3rver knows none). */
  client: S3Client
  /** Every UploadPart request, in order of arrival. */
  partRequests: PartRequestRecord[]
  /** The most UploadPart requests in flight at once so far. */
  readonly maxPartsInFlight: number
  /** Resolves once `count` UploadPart requests have arrived (their headers, not their bodies). */
  partsArrived(count: number): Promise<void>
  /** Answers each of the next `count` UploadPart requests with `fault` (after reading its body). */
  failNextParts(count: number, fault: S3Fault): void
  /** The folder where s3rver keeps the parts of `uploadId`. */
  uploadDirectory(uploadId: string): string
  /**
   * Whether `uploadId` is a live multipart upload (its folder holds `key`, as the gate checks). After an
   * abort, s3rver may still finish writing a part it had taken, into a folder of that name without `key`.
   */
  uploadExists(uploadId: string): boolean
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
}

/** The bucket CORS rule for browser uploads: PUT (and GET/HEAD) from `origins`, any header, `ETag` exposed. */
export function corsConfiguration(origins: readonly string[], exposeETag = true): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('')
  const expose = exposeETag ? '<ExposeHeader>ETag</ExposeHeader>' : ''
  return (
    `<CORSConfiguration><CORSRule>${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>` +
    `<AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader>${expose}<MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>`
  )
}

/** An SDK client for `endpoint` (path-style; checksums only when required, as s3rver knows none). */
export function s3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: S3_REGION,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  })
}

/** An S3 error document, as S3 writes one. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>gate</RequestId></Error>`
}

/** Starts s3rver behind the gate. Call `stop()` when done. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'resumable-upload-s3-'))
  const bucketConfig = { name: S3_BUCKET, configs: [corsConfiguration(options.corsOrigins ?? ['*'], options.exposeETag ?? true)] }
  const s3rver = new S3rver({ silent: true, directory, configureBuckets: [bucketConfig] })
  await s3rver.configureBuckets()
  const s3rverHandler = s3rver.callback()
  const uploadDirectory = (uploadId: string): string => join(directory, S3_BUCKET, '._S3rver_uploads', uploadId)
  const origins = options.corsOrigins ?? ['*']
  // A path segment cannot name another folder: s3rver's upload ids are hex.
  const uploadExists = (uploadId: string): boolean => /^[\w-]+$/.test(uploadId) && existsSync(join(uploadDirectory(uploadId), 'key'))
  const gate = createGate(uploadExists, options.preflight === 's3rver' ? undefined : origins)
  const server = createServer((req, res) => {
    if (!gate.handle(req, res)) s3rverHandler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = s3Client(endpoint)
  return {
    endpoint,
    bucket: S3_BUCKET,
    directory,
    client,
    partRequests: gate.requests,
    get maxPartsInFlight() {
      return gate.maxInFlight()
    },
    partsArrived: gate.arrived,
    failNextParts: gate.failNext,
    uploadDirectory,
    uploadExists,
    stop: () => stop(server, s3rver, client, directory),
  }
}

async function stop(server: Server, s3rver: S3rver, client: S3Client, directory: string): Promise<void> {
  client.destroy()
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  // s3rver's logger is closed by its own listen()'s 'close' handler, which this server bypasses.
  const { logger } = s3rver as unknown as { logger?: { exceptions?: { unhandle(): void }; close(): void } }
  logger?.exceptions?.unhandle()
  logger?.close()
  await rm(directory, { recursive: true, force: true })
}

interface Gate {
  requests: PartRequestRecord[]
  arrived(count: number): Promise<void>
  maxInFlight(): number
  failNext(count: number, fault: S3Fault): void
  /** Answers the request itself (true) or leaves it to s3rver (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean
}

/** The gate; `corsOrigins` set means it answers CORS preflights for them itself. */
function createGate(uploadExists: (uploadId: string) => boolean, corsOrigins: readonly string[] | undefined): Gate {
  const requests: PartRequestRecord[] = []
  const faults: S3Fault[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  let inFlight = 0
  let maxInFlight = 0
  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (
      corsOrigins !== undefined &&
      req.method === 'OPTIONS' &&
      req.headers.origin !== undefined &&
      req.headers['access-control-request-method'] !== undefined
    ) {
      answerPreflight(req, res, corsOrigins)
      return true
    }
    const query = new URL(req.url ?? '/', 'http://gate').searchParams
    const uploadId = query.get('uploadId')
    const partNumber = Number(query.get('partNumber'))
    if (req.method !== 'PUT' || uploadId === null || !query.has('partNumber')) return false
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    let close = () => {}
    const closed = new Promise<void>((resolve) => (close = resolve))
    const record: PartRequestRecord = { uploadId, partNumber, inFlight, status: undefined, closed }
    requests.push(record)
    for (const waiter of waiters.filter((candidate) => candidate.count <= requests.length)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
    res.on('close', () => {
      inFlight--
      if (res.writableFinished) record.status = res.statusCode
      close()
    })
    const fault = uploadExists(uploadId) ? faults.shift() : { status: 404, code: 'NoSuchUpload', message: 'The specified upload does not exist.' }
    if (fault === undefined) return false
    req.resume()
    req.on('end', () => answerFault(req, res, fault))
    return true
  }
  const failNext = (count: number, fault: S3Fault): void => {
    for (let index = 0; index < count; index++) faults.push(fault)
  }
  const arrived = (count: number): Promise<void> => (count <= requests.length ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve })))
  return { requests, arrived, maxInFlight: () => maxInFlight, failNext, handle }
}

/** A CORS preflight answered from the rule of {@link corsConfiguration}, with no authentication (as S3 does). */
function answerPreflight(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): void {
  const origin = req.headers.origin ?? ''
  const method = String(req.headers['access-control-request-method']).toUpperCase()
  const allowed = (origins.includes('*') || origins.includes(origin)) && ['PUT', 'GET', 'HEAD'].includes(method)
  const requested = req.headers['access-control-request-headers']
  res.writeHead(allowed ? 200 : 403, {
    ...(allowed ? { 'access-control-allow-origin': origins.includes('*') ? '*' : origin, 'access-control-allow-methods': 'PUT, GET, HEAD' } : {}),
    ...(allowed && requested !== undefined ? { 'access-control-allow-headers': requested } : {}),
    'access-control-max-age': '600',
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    'content-length': '0',
  })
  res.end()
}

function answerFault(req: IncomingMessage, res: ServerResponse, fault: S3Fault): void {
  const body = s3ErrorXml(fault.code, fault.message)
  const origin = req.headers.origin
  res.writeHead(fault.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    ...(origin === undefined ? {} : { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'ETag', vary: 'Origin' }),
  })
  res.end(body)
}
