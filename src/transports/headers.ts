/**
 * Helpers shared by the transports: header maps, capped response text, request-body shapes and
 * the two transport errors. Browser-safe (no `node:` imports).
 * @module
 */
import { UploadError } from '../errors'
import type { HeaderMap, RequestBody } from '../types'

/** Default cap on the response body text a transport keeps: 1 MiB. */
export const DEFAULT_RESPONSE_BODY_LIMIT = 1024 * 1024

/** Size of the pieces a body is cut into when a transport writes it (and reports progress). */
export const WRITE_CHUNK_SIZE = 64 * 1024

/**
 * Adds one header field to a map: lower-cases the name and joins a repeated field with `, `.
 * @param map the map to change
 * @param name field name, any case
 * @param value field value
 */
export function addHeader(map: HeaderMap, name: string, value: string): void {
  const key = name.toLowerCase()
  const previous = map[key]
  map[key] = previous === undefined ? value : `${previous}, ${value}`
}

/**
 * Builds a header map from Node's `rawHeaders` (`[name, value, name, value, …]`), which keeps
 * every repeated field (unlike `IncomingMessage.headers`, which drops repeats of some fields).
 * @param raw alternating names and values
 */
export function headersFromRaw(raw: readonly string[]): HeaderMap {
  const map: HeaderMap = {}
  for (let i = 0; i + 1 < raw.length; i += 2) addHeader(map, raw[i] as string, raw[i + 1] as string)
  return map
}

/**
 * Builds a header map from `XMLHttpRequest.getAllResponseHeaders()` text (`name: value` lines).
 * @param text the CRLF-separated header block
 */
export function headersFromText(text: string): HeaderMap {
  const map: HeaderMap = {}
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    addHeader(map, line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return map
}

/**
 * Builds a header map from a fetch `Headers` object.
 * @param headers the response headers
 */
export function headersFromFetch(headers: Headers): HeaderMap {
  const map: HeaderMap = {}
  headers.forEach((value, name) => addHeader(map, name, value))
  return map
}

/**
 * A copy of `headers` without the named fields (names compared in lower case).
 * @param headers the request headers
 * @param names lower-case names to drop
 */
export function withoutHeaders(headers: HeaderMap, ...names: string[]): HeaderMap {
  const copy: HeaderMap = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!names.includes(name.toLowerCase())) copy[name] = value
  }
  return copy
}

/** Statuses that send the request elsewhere (with a `Location`). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * Whether a response is a redirect: a 301, 302, 303, 307 or 308 that names a `Location`.
 * @param status the response status
 * @param location its `Location` field, if any
 */
export function isRedirect(status: number, location: string | null | undefined): boolean {
  return REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== ''
}

/**
 * The `redirect-refused` error (not retryable): the transports never follow a redirect, so the
 * user's headers and bytes never reach an origin the Upload did not allow, and no answer from
 * there is trusted. The message names the target's origin only (an upload URL is a capability).
 * @param requestUrl the URL the request went to
 * @param target where the redirect points (absolute or relative), when the transport can see it
 * @param status the redirect's status, when the transport can see it
 */
export function redirectRefused(requestUrl: string, target?: string, status?: number): UploadError {
  let where = 'another URL'
  try {
    if (target !== undefined) where = new URL(target, requestUrl).origin
  } catch {
    where = 'an invalid URL'
  }
  const what = status === undefined ? 'a redirect' : `a ${status} redirect`
  return new UploadError('redirect-refused', `the server answered with ${what} to ${where}; redirects are never followed (use the final URL as the endpoint)`, {
    retryable: false,
    ...(status === undefined ? {} : { status }),
  })
}

/**
 * Whether a browser followed a redirect: the response's URL (`responseURL`, without fragment) is
 * not the request's.
 * @param requestUrl the URL the request went to
 * @param responseUrl the URL the answer came from ('' when unknown)
 */
export function wasRedirected(requestUrl: string, responseUrl: string): boolean {
  if (responseUrl === '') return false
  try {
    const asked = new URL(requestUrl)
    asked.hash = ''
    return asked.href !== new URL(responseUrl).href
  } catch {
    return true
  }
}

/**
 * Collects response bytes up to a cap, counts and drops the rest, then decodes them as UTF-8.
 * A multi-byte character cut by the cap decodes as U+FFFD.
 */
export class CappedText {
  private readonly parts: Uint8Array[] = []
  private kept = 0

  /** @param limit most bytes to keep */
  constructor(private readonly limit: number) {}

  /** Keeps what fits under the cap from `chunk`. */
  push(chunk: Uint8Array): void {
    const room = this.limit - this.kept
    if (room <= 0) return
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
    this.parts.push(part)
    this.kept += part.length
  }

  /** The kept bytes as text. */
  text(): string {
    const decoder = new TextDecoder()
    let text = ''
    for (const part of this.parts) text += decoder.decode(part, { stream: true })
    return text + decoder.decode()
  }
}

/**
 * Reads a web ReadableStream of bytes to its end, keeping text up to `limit` bytes.
 * @param stream the response body, or null for none
 * @param limit most bytes to keep
 */
export async function readCappedText(
  stream: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<string> {
  if (stream === null) return ''
  const capped = new CappedText(limit)
  for await (const chunk of iterateStream(stream)) capped.push(chunk)
  return capped.text()
}

/**
 * The error a transport rejects with when its signal fired.
 * @param signal the fired signal; its reason becomes the cause
 */
export function abortedError(signal: AbortSignal): UploadError {
  return new UploadError('aborted', 'The request was aborted.', { cause: signal.reason })
}

/**
 * The error a transport rejects with when no final response arrived.
 * @param cause the underlying error
 * @param message a sentence for people (default: "No response from the server.")
 */
export function networkError(cause: unknown, message = 'No response from the server.'): UploadError {
  return new UploadError('network', message, { cause })
}

/** Whether `value` is an AsyncIterable (and not a Blob or a Uint8Array). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  )
}

/**
 * Iterates a web ReadableStream through a reader (older browsers lack its async iterator).
 * Stopping early cancels the stream.
 * @param stream the stream to read
 */
export async function* iterateStream<T>(stream: ReadableStream<T>): AsyncGenerator<T, void, undefined> {
  const reader = stream.getReader()
  let done = false
  try {
    for (;;) {
      const result = await reader.read()
      if (result.done) {
        done = true
        return
      }
      yield result.value
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}

/**
 * Any request body as a sequence of byte chunks of at most `pieceSize` bytes (subarrays, no copies).
 * @param body Blob, Uint8Array or AsyncIterable
 * @param pieceSize largest piece to yield (default {@link WRITE_CHUNK_SIZE})
 */
export async function* iterateBody(
  body: RequestBody,
  pieceSize = WRITE_CHUNK_SIZE,
): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
    body instanceof Uint8Array ? [body] : isAsyncIterable(body) ? body : iterateStream(body.stream())
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += pieceSize) yield chunk.subarray(at, at + pieceSize)
  }
}

/**
 * A Uint8Array typed as backed by an ArrayBuffer, as Blob and fetch require; copies only when the
 * bytes live in a SharedArrayBuffer.
 * @param bytes the view
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
}

/**
 * Collects an AsyncIterable body into a Blob, for transports that cannot stream a request body.
 * This holds the whole body in memory (as the Blob's parts).
 * @param body the chunks
 * @param type media type of the Blob (default none)
 */
export async function collectToBlob(body: AsyncIterable<Uint8Array>, type = ''): Promise<Blob> {
  const parts: BlobPart[] = []
  for await (const chunk of body) parts.push(ownedBytes(chunk))
  return new Blob(parts, { type })
}

/**
 * Wraps an AsyncIterable in a pull-based ReadableStream: one chunk is read per pull, so the
 * consumer's backpressure reaches the iterable. Cancelling the stream ends the iterator.
 * @param body the chunks
 */
export function toReadableStream(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let iterator: AsyncIterator<Uint8Array> | undefined
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      async pull(controller) {
        iterator ??= body[Symbol.asyncIterator]()
        const next = await iterator.next()
        if (next.done) controller.close()
        else controller.enqueue(ownedBytes(next.value))
      },
      async cancel(reason) {
        await iterator?.return?.(reason)
      },
    },
    { highWaterMark: 0 },
  )
}

/**
 * Adds an abort listener and returns the function that removes it.
 * @param signal the signal
 * @param onAbort called once when it fires
 */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}
