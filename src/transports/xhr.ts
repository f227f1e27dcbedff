/**
 * The XMLHttpRequest transport, the browser default: the only browser API that reports upload
 * progress. It never sees 1xx responses.
 * @module
 */
import type { HttpResponse, RequestBody, SendOptions, Transport, TransportRequest } from '../types'
import { headersFromText } from './header-text'
import { redirectRefused, wasRedirected } from './redirects'
import { collectToBlob, ownedBytes } from './request-body'
import { DEFAULT_RESPONSE_BODY_LIMIT } from './body-limit'
import { isAsyncIterable } from './streams'
import { abortedError, networkError, onAbort } from './transport-errors'

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
export function xhrTransport(options: XhrTransportOptions = {}): Transport {
  const limit = options.responseBodyLimit ?? DEFAULT_RESPONSE_BODY_LIMIT
  const withCredentials = options.withCredentials ?? false
  return {
    name: 'xhr',
    seesInterimResponses: false,
    reportsUploadProgress: true,
    async send(request: TransportRequest, sendOptions: SendOptions): Promise<HttpResponse> {
      const { signal } = sendOptions
      if (signal.aborted) throw abortedError(signal)
      const body = await xhrBody(request.body)
      if (signal.aborted) throw abortedError(signal)
      return sendXhr(request, body, sendOptions, { limit, withCredentials })
    },
  }
}

type XhrBody = Blob | Uint8Array<ArrayBuffer> | null

async function xhrBody(body: RequestBody | null): Promise<XhrBody> {
  if (body === null) return null
  if (body instanceof Uint8Array) return ownedBytes(body)
  if (isAsyncIterable(body)) return collectToBlob(body)
  return body
}

interface XhrSettings {
  limit: number
  withCredentials: boolean
}

function sendXhr(request: TransportRequest, body: XhrBody, options: SendOptions, settings: XhrSettings): Promise<HttpResponse> {
  const { signal } = options
  return new Promise<HttpResponse>((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    let settled = false
    const removeAbort = onAbort(signal, () => {
      finish(() => reject(abortedError(signal)))
      xhr.abort()
    })
    function finish(outcome: () => void): void {
      if (settled) return
      settled = true
      removeAbort()
      outcome()
    }
    const respond = (): void => {
      if (wasRedirected(request.url, xhr.responseURL)) return finish(() => reject(redirectRefused(request.url, xhr.responseURL)))
      const response = readXhr(xhr, settings.limit)
      finish(() => resolve(response))
    }
    xhr.open(request.method, request.url)
    xhr.withCredentials = settings.withCredentials
    for (const [name, value] of Object.entries(request.headers)) {
      // The browser sets Content-Length itself and refuses to let a page set it.
      if (name.toLowerCase() !== 'content-length') xhr.setRequestHeader(name, value)
    }
    const onUploadProgress = options.onUploadProgress
    // Only listen when asked: an upload listener alone makes a cross-origin request preflighted.
    if (onUploadProgress) xhr.upload.onprogress = (event) => onUploadProgress(event.loaded)
    xhr.onprogress = () => {
      if (xhr.readyState >= 3 && xhr.responseText.length > settings.limit) {
        respond()
        xhr.abort()
      }
    }
    xhr.onload = () => (xhr.status === 0 ? finish(() => reject(networkError(undefined))) : respond())
    xhr.onerror = () => finish(() => reject(networkError(new Error('XMLHttpRequest failed'))))
    xhr.ontimeout = xhr.onerror
    xhr.onabort = () => finish(() => reject(signal.aborted ? abortedError(signal) : networkError(undefined)))
    xhr.send(body)
  })
}

function readXhr(xhr: XMLHttpRequest, limit: number): HttpResponse {
  return {
    status: xhr.status,
    headers: headersFromText(xhr.getAllResponseHeaders()),
    body: xhr.responseText.slice(0, limit),
  }
}
