/**
 * The XMLHttpRequest transport, the browser default: the only browser API that reports upload
 * progress. It never sees 1xx responses. Reading the answer (headers, redirects) loads with the
 * first request, from xhr-response.ts, while its body is sent.
 * @module
 */
import type { HttpResponse, RequestBody, SendOptions, Transport, TransportRequest } from '../types'
import { DEFAULT_RESPONSE_BODY_LIMIT } from './body-limit'
import { collectToBlob, isAsyncIterable, ownedBytes } from './request-body'
import { loadOnce } from '../utils'
import { abortedError, networkError, onAbort } from './transport-errors'
import type * as XhrResponse from './xhr-response'
import type { XhrAnswer } from './xhr-response'

/** Options of {@link xhrTransport}. */
export interface XhrTransportOptions {
  /**
   * Most response-body characters kept (XHR exposes only decoded text, so this counts UTF-16 code
   * units, not bytes). When the response grows past it the request is aborted and the kept text
   * returned. Default 1 MiB (1,048,576).
   */
  responseBodyLimit?: number
  /** Send cookies and HTTP auth on cross-origin requests. Default false. */
  withCredentials?: boolean
}

/**
 * Creates the XMLHttpRequest transport. Blob and Uint8Array bodies are sent as they are; an
 * AsyncIterable body is first collected into a Blob (held in memory), as XHR cannot stream a
 * request body. `upload.onprogress` drives `onUploadProgress`.
 *
 * XHR follows redirects by itself and cannot be told not to. A response that comes from another
 * URL than the request's (`responseURL`) is never trusted: the request fails with
 * `redirect-refused`. By then the browser has sent the request to the redirect's target.
 * @param options responseBodyLimit (default 1 MiB), withCredentials (default false)
 */
export function xhrTransport({ responseBodyLimit = DEFAULT_RESPONSE_BODY_LIMIT, withCredentials = false }: XhrTransportOptions = {}): Transport {
  return {
    name: 'xhr',
    seesInterimResponses: false,
    reportsUploadProgress: true,
    async send(request: TransportRequest, options: SendOptions): Promise<HttpResponse> {
      const { signal } = options
      if (signal.aborted) throw abortedError(signal)
      const body = await xhrBody(request.body)
      if (signal.aborted) throw abortedError(signal)
      const answering = sendXhr(request, body, options, responseBodyLimit, withCredentials)
      // Loads while the body goes out; awaited (its failure seen) only once the answer is in.
      const reader = responseReader()
      reader.catch(() => undefined)
      const answer = await answering
      return (await reader).readXhrAnswer(request.url, answer)
    },
  }
}

/** The module that reads answers; one that cannot load is a retryable `network` error, and the next request loads again. */
const responseReader: () => Promise<typeof XhrResponse> = loadOnce(() => import('./xhr-response'), 'the XHR response reader')

async function xhrBody(body: RequestBody | null): Promise<Blob | Uint8Array<ArrayBuffer> | null> {
  return body instanceof Uint8Array ? ownedBytes(body) : isAsyncIterable(body) ? collectToBlob(body) : body
}

function sendXhr(
  request: TransportRequest,
  body: XMLHttpRequestBodyInit | null,
  options: SendOptions,
  limit: number,
  withCredentials: boolean,
): Promise<XhrAnswer> {
  const { signal, onUploadProgress } = options
  return new Promise<XhrAnswer>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    let settled = false
    const removeAbort = onAbort(signal, () => {
      fail(abortedError(signal))
      xhr.abort()
    })
    const fail = (error: unknown): void => finish(() => reject(error))
    function finish(outcome: () => void): void {
      if (settled) return
      settled = true
      removeAbort()
      outcome()
    }
    // Copied at once: an abort (past the limit) clears what the request holds.
    const respond = (): void => {
      const answer = { status: xhr.status, headers: xhr.getAllResponseHeaders(), body: xhr.responseText.slice(0, limit), url: xhr.responseURL }
      finish(() => resolve(answer))
    }
    xhr.open(request.method, request.url)
    xhr.withCredentials = withCredentials
    for (const [name, value] of Object.entries(request.headers)) {
      // The browser sets Content-Length itself and refuses to let a page set it.
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value)
    }
    // Only listen when asked: an upload listener alone makes a cross-origin request preflighted.
    if (onUploadProgress) xhr.upload.onprogress = (event) => onUploadProgress(event.loaded)
    xhr.onprogress = () => {
      if (xhr.readyState >= 3 && xhr.responseText.length > limit) {
        respond()
        xhr.abort()
      }
    }
    xhr.onload = () => (xhr.status === 0 ? fail(networkError(undefined)) : respond())
    xhr.onerror = xhr.ontimeout = () => fail(networkError(new Error('XMLHttpRequest failed')))
    xhr.onabort = () => fail(signal.aborted ? abortedError(signal) : networkError(undefined))
    xhr.send(body)
  })
}
