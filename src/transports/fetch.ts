/**
 * The fetch transport, for browsers and Node (global fetch). It never sees 1xx responses and cannot
 * report upload progress.
 * @module
 */
import { UploadError } from '../errors'
import type { HttpResponse, SendOptions, Transport, TransportRequest } from '../types'
import { headersFromFetch, withoutHeaders } from './header-map'
import { isRedirect, redirectRefused } from './redirects'
import { collectToBlob, isAsyncIterable, ownedBytes } from './request-body'
import { DEFAULT_RESPONSE_BODY_LIMIT, readCappedText } from './response-text'
import { toReadableStream } from './streams'
import { abortedError, networkError } from './transport-errors'

/** Options of {@link fetchTransport}. */
export interface FetchTransportOptions {
  /** Most response-body bytes kept as text; the rest is read and dropped. Default 1 MiB. */
  responseBodyLimit?: number
  /**
   * Send AsyncIterable bodies as a streaming request body (`duplex: 'half'`). Default: true in
   * Node; false elsewhere, because browsers stream request bodies only over HTTP/2 (over HTTP/1.1
   * Chromium fails with ERR_ALPN_NEGOTIATION_FAILED), so the body is collected into a Blob first.
   */
  streamBodies?: boolean
  /** `credentials` of each request. Default `'same-origin'`. */
  credentials?: RequestCredentials
  /** The fetch function. Default: the global `fetch`, looked up on each request. */
  fetch?: typeof fetch
}

type StreamingRequestInit = RequestInit & { duplex?: 'half' }

/**
 * Creates the fetch transport. Blob and Uint8Array bodies are sent as they are. `onUploadProgress`
 * is called once, with `bodyLength`, when the response arrives. Redirects are never followed
 * (`redirect: 'manual'`): a redirect fails with `redirect-refused` before anything is sent to its
 * target. Browsers hide a redirect's target (an `opaqueredirect` response), so there every
 * redirect is refused, whatever its origin; Node is told the target, and refuses it as well.
 * @param options responseBodyLimit (default 1 MiB), streamBodies (default: true in Node only),
 *   credentials (default 'same-origin'), fetch (default global fetch)
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  const limit = options.responseBodyLimit ?? DEFAULT_RESPONSE_BODY_LIMIT
  const streamBodies = options.streamBodies ?? isNode()
  const credentials = options.credentials ?? 'same-origin'
  return {
    name: 'fetch',
    seesInterimResponses: false,
    reportsUploadProgress: false,
    async send(request: TransportRequest, sendOptions: SendOptions): Promise<HttpResponse> {
      const { signal } = sendOptions
      if (signal.aborted) throw abortedError(signal)
      const doFetch = options.fetch ?? globalThis.fetch
      const response = await failure(signal, async () => {
        const init = await requestInit(request, streamBodies)
        return doFetch(request.url, { ...init, signal, credentials, redirect: 'manual' })
      })
      if (response.type === 'opaqueredirect' || isRedirect(response.status, response.headers.get('location'))) {
        await response.body?.cancel().catch(() => undefined)
        const location = response.headers.get('location') ?? undefined
        throw redirectRefused(request.url, location, response.type === 'opaqueredirect' ? undefined : response.status)
      }
      sendOptions.onUploadProgress?.(request.bodyLength)
      const body = await failure(signal, () => readCappedText(response.body, limit))
      return { status: response.status, headers: headersFromFetch(response.headers), body }
    },
  }
}

async function requestInit(request: TransportRequest, streamBodies: boolean): Promise<StreamingRequestInit> {
  // Browsers refuse to let a page set Content-Length; fetch derives it from the body.
  const headers = withoutHeaders(request.headers, 'content-length')
  const init: StreamingRequestInit = { method: request.method, headers }
  const { body } = request
  if (body === null) return init
  if (body instanceof Uint8Array) init.body = ownedBytes(body)
  else if (!isAsyncIterable(body)) init.body = body
  else if (!streamBodies) init.body = await collectToBlob(body)
  else {
    init.body = toReadableStream(body)
    init.duplex = 'half'
    // Without it undici sends chunked; with it undici checks the body has exactly this length.
    headers['content-length'] = String(request.bodyLength)
  }
  return init
}

/** Runs `step`, turning its failure into `aborted`, the body's own UploadError, or `network`. */
async function failure<T>(signal: AbortSignal, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    if (signal.aborted) throw abortedError(signal)
    throw findUploadError(error) ?? networkError(error)
  }
}

/** An UploadError at `error` or in its cause chain (fetch wraps a failing body's error). */
function findUploadError(error: unknown): UploadError | undefined {
  for (let e = error, depth = 0; depth < 5 && e instanceof Error; e = e.cause, depth++) {
    if (e instanceof UploadError) return e
  }
  return undefined
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process
  return typeof proc?.versions?.node === 'string'
}
