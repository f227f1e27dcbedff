/**
 * The Node transport: `node:http` / `node:https`. The only transport that sees 1xx responses, so
 * the 104's `Location` reaches the caller while the body is still being sent.
 * @module
 */
import * as http from 'node:http'
import * as https from 'node:https'
import { UploadError } from '../errors'
import type { HttpResponse, SendOptions, Transport, TransportRequest } from '../types'
import { headersFromRaw } from './header-map'
import { isRedirect, redirectRefused } from './redirects'
import { CappedText, DEFAULT_RESPONSE_BODY_LIMIT } from './response-text'
import { iterateBody } from './streams'
import { abortedError, networkError, onAbort } from './transport-errors'

/** Options of {@link nodeHttpTransport}. */
export interface NodeHttpTransportOptions {
  /**
   * Agents for `http:` and `https:` URLs. Default: keep-alive agents owned by the transport
   * (released by {@link NodeHttpTransport.close}).
   */
  agent?: { http?: http.Agent; https?: https.Agent }
  /** Most response-body bytes kept as text; the rest is read and dropped. Default 1 MiB. */
  responseBodyLimit?: number
  /** Least number of newly written bytes between two `onUploadProgress` calls. Default 64 KiB. */
  progressInterval?: number
}

/** A {@link Transport} over `node:http`, with a way to release its own keep-alive sockets. */
export interface NodeHttpTransport extends Transport {
  /** Destroys the sockets of the agents this transport created (not of agents passed in). */
  close(): void
}

interface Settings {
  agents: { http: http.Agent; https: https.Agent }
  limit: number
  progressInterval: number
}

/**
 * Creates the Node transport (the Node default). It calls `flushHeaders()` before writing the body
 * so a 104 can arrive at once, reports every 1xx through `onInterim`, streams the body with
 * backpressure, sets Content-Length from `bodyLength`, and reports bytes the socket accepted.
 * It never follows a redirect: one fails with `redirect-refused`.
 * @param options agents (default: keep-alive agents), responseBodyLimit (default 1 MiB),
 *   progressInterval (default 64 KiB)
 */
export function nodeHttpTransport(options: NodeHttpTransportOptions = {}): NodeHttpTransport {
  const own: http.Agent[] = []
  const make = <A extends http.Agent>(agent: A): A => (own.push(agent), agent)
  const settings: Settings = {
    agents: {
      http: options.agent?.http ?? make(new http.Agent({ keepAlive: true })),
      https: options.agent?.https ?? make(new https.Agent({ keepAlive: true })),
    },
    limit: options.responseBodyLimit ?? DEFAULT_RESPONSE_BODY_LIMIT,
    progressInterval: options.progressInterval ?? 64 * 1024,
  }
  return {
    name: 'node-http',
    seesInterimResponses: true,
    reportsUploadProgress: true,
    send: (request, sendOptions) => send(settings, request, sendOptions),
    close: () => own.forEach((agent) => agent.destroy()),
  }
}

function send(settings: Settings, request: TransportRequest, options: SendOptions): Promise<HttpResponse> {
  const { signal } = options
  if (signal.aborted) return Promise.reject(abortedError(signal))
  let url: URL
  try {
    url = parseUrl(request.url)
  } catch (error) {
    return Promise.reject(error)
  }
  return new Promise<HttpResponse>((resolve, reject) => {
    const secure = url.protocol === 'https:'
    const agent = secure ? settings.agents.https : settings.agents.http
    const req = (secure ? https : http).request(url, { method: request.method, headers: requestHeaders(request), agent })
    let settled = false
    const removeAbort = onAbort(signal, () => fail(abortedError(signal)))
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      removeAbort()
      return true
    }
    const fail = (error: unknown): void => {
      if (!settle()) return
      req.destroy()
      reject(error)
    }
    const noResponse = (cause: unknown): void => fail(signal.aborted ? abortedError(signal) : networkError(cause))
    const guard = (fn: () => void): void => {
      try {
        fn()
      } catch (error) {
        fail(error)
      }
    }
    const progress = progressReporter(settings.progressInterval, options.onUploadProgress, guard)
    let bodyEnded = false
    req.on('information', (info) => {
      const interim = { status: info.statusCode, headers: headersFromRaw(info.rawHeaders) }
      guard(() => options.onInterim?.(interim))
    })
    req.on('error', noResponse)
    req.on('finish', progress.flush)
    req.on('response', (res) => {
      readResponse(res, settings.limit).then((response) => {
        progress.flush()
        // The server answered before the whole body went out: stop sending it.
        if (!bodyEnded) req.destroy()
        if (!settle()) return
        if (isRedirect(response.status, response.headers.location)) reject(redirectRefused(request.url, response.headers.location, response.status))
        else resolve(response)
      }, noResponse)
    })
    req.flushHeaders()
    writeBody(req, request, progress.add).then(() => void (bodyEnded = true), fail)
  })
}

function parseUrl(input: string): URL {
  let url: URL
  try {
    url = new URL(input)
  } catch (cause) {
    throw new UploadError('network', 'The URL is not valid.', { cause, retryable: false })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UploadError('network', 'Only http and https URLs are supported.', { retryable: false })
  }
  return url
}

function requestHeaders(request: TransportRequest): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...request.headers }
  delete headers['content-length']
  delete headers['transfer-encoding']
  const bodyless = request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE'
  if (request.body !== null || request.bodyLength > 0 || !bodyless) {
    headers['content-length'] = String(request.bodyLength)
  }
  return headers
}

/**
 * Writes the body piece by piece, waiting for 'drain' whenever the socket's buffer is full. A body
 * longer or shorter than `bodyLength` fails with `source-error` (the server would wait forever).
 */
async function writeBody(req: http.ClientRequest, request: TransportRequest, onWritten: (bytes: number) => void): Promise<void> {
  if (request.body !== null) {
    const pieces = iterateBody(request.body)
    let written = 0
    for (;;) {
      const next = await nextPiece(pieces)
      if (next.done) break
      if (req.destroyed) return void (await pieces.return())
      const piece = next.value
      written += piece.length
      if (written > request.bodyLength) break
      const flushed = req.write(piece, (error) => {
        if (!error) onWritten(piece.length)
      })
      if (!flushed) await drained(req)
    }
    if (written !== request.bodyLength) {
      await pieces.return()
      throw new UploadError('source-error', `The request body is not the ${request.bodyLength} bytes announced.`)
    }
  }
  if (!req.destroyed) req.end()
}

async function nextPiece(pieces: AsyncGenerator<Uint8Array, void, undefined>): Promise<IteratorResult<Uint8Array>> {
  try {
    return await pieces.next()
  } catch (cause) {
    if (cause instanceof UploadError) throw cause
    throw new UploadError('source-error', 'The request body could not be read.', { cause })
  }
}

function drained(req: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('drain', done)
      req.off('close', done)
      resolve()
    }
    req.on('drain', done)
    req.on('close', done)
  })
}

interface ProgressReporter {
  add: (bytes: number) => void
  flush: () => void
}

function progressReporter(interval: number, report: ((bytesSent: number) => void) | undefined, guard: (fn: () => void) => void): ProgressReporter {
  let sent = 0
  let reported = 0
  const flush = (): void => {
    if (report === undefined || sent === reported) return
    reported = sent
    guard(() => report(sent))
  }
  return {
    add(bytes) {
      sent += bytes
      if (sent - reported >= interval) flush()
    },
    flush,
  }
}

/** Reads a response body, keeping text up to `limit` bytes and draining the rest. */
function readResponse(res: http.IncomingMessage, limit: number): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const text = new CappedText(limit)
    res.on('data', (chunk: Buffer) => text.push(chunk))
    res.on('error', reject)
    res.on('aborted', () => reject(new Error('The response was cut off.')))
    res.on('end', () => {
      resolve({ status: res.statusCode ?? 0, headers: headersFromRaw(res.rawHeaders), body: text.text() })
    })
  })
}
