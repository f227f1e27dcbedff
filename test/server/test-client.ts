/**
 * A raw HTTP/1.1 client for tests against the reference server: it records every interim (1xx)
 * response and gives control over when the body is written.
 * @module
 */
import { createHash } from 'node:crypto'
import type { EventEmitter } from 'node:events'
import { request, type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import type { ReferenceServer } from './server'
import type { RequestEvent, RequestKind, ServerEvents } from './types'

/** An interim response seen before the final one. */
export interface Interim {
  status: number
  statusMessage: string
  headers: IncomingHttpHeaders
}

/** A complete response. */
export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: string
  /** 1xx responses seen before it (100 Continue included). */
  interim: Interim[]
}

/** A request description. */
export interface RawRequestOptions {
  method: string
  url: string
  headers?: OutgoingHttpHeaders
  /** The body; written at once unless `waitForInterim` or `chunkSize` say otherwise. */
  body?: Uint8Array | string
  /** Send the headers, wait for the first 1xx, then write the body. */
  waitForInterim?: boolean
  /** Write the body in pieces of this many bytes, each after the previous one was flushed. */
  chunkSize?: number
}

/** A request in flight, for tests that steer it. */
export interface OpenRequest {
  req: ClientRequest
  interim: Interim[]
  /** The first 1xx response. */
  firstInterim: Promise<Interim>
  /** The final response (rejects on a network error before it). */
  response: Promise<RawResponse>
  /** Resolves when the connection closed, with the error if it broke. */
  closed: Promise<Error | undefined>
}

/** Starts a request (headers flushed at once) without writing a body. Each uses its own connection. */
export function openRequest(options: Omit<RawRequestOptions, 'body' | 'chunkSize' | 'waitForInterim'>): OpenRequest {
  const req = request(options.url, { method: options.method, headers: options.headers, agent: false })
  const interim: Interim[] = []
  let error: Error | undefined
  const firstInterim = new Promise<Interim>((resolve, reject) => {
    req.once('information', (info) => resolve({ status: info.statusCode, statusMessage: info.statusMessage, headers: info.headers }))
    req.once('error', reject)
  })
  req.on('information', (info) => interim.push({ status: info.statusCode, statusMessage: info.statusMessage, headers: info.headers }))
  const response = new Promise<RawResponse>((resolve, reject) => {
    req.on('error', (failure) => {
      error = failure
      reject(failure)
    })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), interim }))
    })
  })
  const closed = new Promise<Error | undefined>((resolve) => req.on('close', () => resolve(error)))
  // Callers that only await `closed` must not see an unhandled rejection.
  firstInterim.catch(() => undefined)
  response.catch(() => undefined)
  req.flushHeaders()
  return { req, interim, firstInterim, response, closed }
}

function writeChunk(req: ClientRequest, chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => req.write(chunk, (error) => (error ? reject(error) : resolve())))
}

/** Writes `body` in pieces of `chunkSize` bytes. */
export async function writeBody(req: ClientRequest, body: Uint8Array | string, chunkSize = Infinity): Promise<void> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  for (let start = 0; start < bytes.length; start += chunkSize) {
    await writeChunk(req, bytes.subarray(start, Math.min(bytes.length, start + chunkSize)))
  }
}

/** Sends a request and returns the final response with every interim response. */
export async function rawRequest(options: RawRequestOptions): Promise<RawResponse> {
  const open = openRequest(options)
  if (options.body !== undefined && options.waitForInterim) await open.firstInterim
  if (options.body !== undefined) {
    // The server may answer early and close; the response still arrives and is what counts.
    await writeBody(open.req, options.body, options.chunkSize).catch(() => undefined)
  }
  open.req.end()
  return open.response
}

/** Hex SHA-256 of bytes. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Deterministic pseudo-random bytes (so failures reproduce). */
export function testBytes(size: number, seed = 1): Buffer {
  const bytes = Buffer.alloc(size)
  let state = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    bytes[i] = state & 0xff
  }
  return bytes
}

/** Parses a JSON response body. */
export function jsonBody(response: RawResponse): Record<string, unknown> {
  return JSON.parse(response.body) as Record<string, unknown>
}

/** Headers every draft request carries: the newest interop version. */
export const INTEROP_8 = { 'Upload-Draft-Interop-Version': '8' } as const

/** Careful creation: an empty `Upload-Complete: ?0` POST; returns the response (201 with Location). */
export function createEmpty(endpoint: string, headers: OutgoingHttpHeaders = {}): Promise<RawResponse> {
  return rawRequest({ method: 'POST', url: endpoint, headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Length': 0, ...headers } })
}

/** Careful creation that must succeed; returns the upload URL. */
export async function createUploadUrl(endpoint: string, headers: OutgoingHttpHeaders = {}): Promise<string> {
  const response = await createEmpty(endpoint, headers)
  const location = response.headers.location
  if (response.status !== 201 || location === undefined) throw new Error(`creation failed: ${response.status} ${response.body}`)
  return location
}

/** A PATCH appending `body` at `offset`. */
export function patch(url: string, offset: number, body: Uint8Array | string, complete: boolean, headers: OutgoingHttpHeaders = {}): Promise<RawResponse> {
  return rawRequest({
    method: 'PATCH',
    url,
    headers: {
      ...INTEROP_8,
      'Upload-Offset': offset,
      'Upload-Complete': complete ? '?1' : '?0',
      'Content-Type': 'application/partial-upload',
      'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
      ...headers,
    },
    body,
  })
}

/** A HEAD (offset retrieval). */
export function head(url: string, headers: OutgoingHttpHeaders = {}): Promise<RawResponse> {
  return rawRequest({ method: 'HEAD', url, headers: { ...INTEROP_8, ...headers } })
}

/** Resolves when the server starts handling the next request of `kind`. */
export function nextRequest(events: EventEmitter<ServerEvents>, kind: RequestKind): Promise<RequestEvent> {
  return new Promise((resolve) => {
    const listener = (event: RequestEvent): void => {
      if (event.kind !== kind) return
      events.off('request', listener)
      resolve(event)
    }
    events.on('request', listener)
  })
}

/** Resolves with the first interim response (already seen or still to come) that satisfies `predicate`. */
export function interimWhere(open: OpenRequest, predicate: (interim: Interim) => boolean): Promise<Interim> {
  const seen = open.interim.find(predicate)
  if (seen) return Promise.resolve(seen)
  return new Promise((resolve, reject) => {
    const listener = (info: { statusCode: number; statusMessage: string; headers: IncomingHttpHeaders }): void => {
      const interim = { status: info.statusCode, statusMessage: info.statusMessage, headers: info.headers }
      if (!predicate(interim)) return
      open.req.off('information', listener)
      resolve(interim)
    }
    open.req.on('information', listener)
    open.req.once('close', () => reject(new Error('closed before the interim response')))
  })
}

/** Length and SHA-256 of bytes, to compare with {@link stored}. */
export function summary(bytes: Uint8Array | string): { offset: number; sha256: string } {
  return { offset: typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length, sha256: sha256(bytes) }
}

/** Length and SHA-256 of what the server stored for an upload URL (or id). */
export async function stored(server: ReferenceServer, urlOrId: string): Promise<{ offset: number; sha256: string } | undefined> {
  const id = /^[0-9a-f]{32}$/.test(urlOrId) ? urlOrId : server.uploadIdFromUrl(urlOrId)
  const info = await server.upload(id)
  return info && { offset: info.offset, sha256: info.sha256 }
}
