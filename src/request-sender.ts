/**
 * Sends one request for the Upload: adds the user's headers (only to trusted origins), links the
 * request to the Upload's abort signals, aborts it when it stalls, and turns a failure raised by a
 * callback (an interim response the Upload refuses) into that request's error.
 * @module
 */
import { UploadError } from './errors'
import type { HeadersOption } from './options'
import type { HeaderMap, HttpResponse, InterimResponse, RequestDescription, SourceChunk, Transport } from './types'
import { aborted, toUploadError } from './utils'

/** What the Upload gives each request. */
export interface SendHooks {
  /** Signals that abort the request (pause, abort). */
  signals: AbortSignal[]
  /** Body bytes sent so far in this request. */
  onProgress?: (sent: number) => void
  /** A 1xx arrived; throwing fails the request with that error. */
  onInterim?: (interim: InterimResponse) => void
  /** Whether an abort means "stopped on purpose" (paused or aborted), not a network failure. */
  stopped: () => boolean
}

/** Sends requests through one transport. */
export class RequestSender {
  readonly #headers: HeadersOption | undefined
  readonly #trusted: (url: string) => boolean
  readonly #stallTimeout: number

  /**
   * @param transport the transport
   * @param headers the user's headers option
   * @param trusted whether a URL's origin may receive the user's headers
   * @param stallTimeout ms without progress before a request is aborted (0: never)
   */
  constructor(
    readonly transport: Transport,
    headers: HeadersOption | undefined,
    trusted: (url: string) => boolean,
    stallTimeout: number,
  ) {
    this.#headers = headers
    this.#trusted = trusted
    this.#stallTimeout = stallTimeout
  }

  /** Sends `request` with `chunk` as its body and `extraHeaders` (e.g. a checksum) on top. */
  async send(request: RequestDescription, chunk: SourceChunk | undefined, extraHeaders: HeaderMap, hooks: SendHooks): Promise<HttpResponse> {
    const controller = new AbortController()
    const signal = controller.signal
    let failure: UploadError | undefined
    const fail = (error: UploadError): void => {
      failure ??= error
      controller.abort()
    }
    const stop = (): void => controller.abort()
    for (const hook of hooks.signals) {
      if (hook.aborted) stop()
      // Removed in `finally`; a signal aborts once.
      else hook.addEventListener('abort', stop)
    }
    // Aborts the request when no progress came for stallTimeout ms. Without progress reports
    // (fetch) only body-less requests can be watched for stalls.
    let timer: ReturnType<typeof setTimeout> | undefined
    const ms = this.#stallTimeout
    const arm = (): void => {
      clearTimeout(timer)
      if (ms > 0 && (chunk === undefined || this.transport.reportsUploadProgress))
        timer = setTimeout(() => fail(new UploadError('timeout', 'the request made no progress')), ms)
    }
    try {
      const headers = { ...(await this.#userHeaders(request)), ...request.headers, ...extraHeaders }
      arm()
      return await this.transport.send(
        { method: request.method, url: request.url, headers, body: chunk?.body ?? null, bodyLength: chunk?.length ?? 0 },
        {
          signal,
          onUploadProgress: (sent) => {
            arm()
            hooks.onProgress?.(sent)
          },
          onInterim: (interim) => {
            // Interim responses already parsed when the request failed (a flood of 104s) are not read.
            if (signal.aborted) return
            try {
              hooks.onInterim?.(interim)
            } catch (error) {
              fail(toUploadError(error))
            }
          },
        },
      )
    } catch (error) {
      throw failure ?? (hooks.stopped() ? aborted('aborted', error) : error)
    } finally {
      clearTimeout(timer)
      for (const hook of hooks.signals) hook.removeEventListener('abort', stop)
    }
  }

  /** The user's headers for this request: none for an origin that is not trusted. */
  async #userHeaders(request: RequestDescription): Promise<HeaderMap> {
    const option = this.#headers
    // Credentials go only to trusted origins; a refused Location never gets a request at all.
    if (option === undefined || !this.#trusted(request.url)) return {}
    const headers = typeof option === 'function' ? await option(request) : option
    return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
  }
}
