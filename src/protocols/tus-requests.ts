/**
 * tus requests: creation and append descriptions, method override, and which checksum a body
 * gets. Part of the tus protocol (./tus), split out by size.
 * @module
 */
import type { AppendInput, CreateInput, HeaderMap, HttpMethod, RequestDescription, RequestIntent } from '../types'
import { chooseChecksum, type TusChecksumAlgorithm } from './tus-checksum'
import { encodeMetadata } from './tus-metadata'

/** The protocol version this module speaks, sent as `Tus-Resumable`. */
export const TUS_VERSION = '1.0.0'

/** The media type of PATCH bodies (and of creation-with-upload bodies). */
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream'

/** What OPTIONS told about the server. */
export interface TusServerInfo {
  /** `Tus-Version`, in the server's order of preference. */
  versions: string[]
  /** `Tus-Extension`. */
  extensions: string[]
  /** `Tus-Checksum-Algorithm`, lower case. */
  checksumAlgorithms: string[]
  /** `Tus-Max-Size`, when the server sent a valid one. */
  maxSize: number | undefined
}

/** What one tus protocol object keeps. */
export interface Context {
  readonly checksum: TusChecksumAlgorithm | false | undefined
  readonly methodOverride: boolean
  readonly clock: (() => number) | undefined
  server: TusServerInfo | undefined
  /** Upload URLs whose length the server does not know yet. */
  readonly deferred: Set<string>
}

export function baseHeaders(): HeaderMap {
  return { 'tus-resumable': TUS_VERSION }
}

/** A request, sent as POST with `X-HTTP-Method-Override` when asked to and tus allows it. */
export function requestFor(
  ctx: Context,
  method: HttpMethod,
  url: string,
  headers: HeaderMap,
  body: RequestDescription['body'],
  intent: RequestIntent,
): RequestDescription {
  if (ctx.methodOverride && (method === 'PATCH' || method === 'DELETE')) {
    return { method: 'POST', url, headers: { ...headers, 'x-http-method-override': method }, body, intent }
  }
  return { method, url, headers, body, intent }
}

/** Throws for a range that contradicts itself or the size. */
export function checkRange(start: number, end: number, size: number | undefined, complete: boolean): void {
  const valid = Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start
  if (!valid || (size !== undefined && (!Number.isSafeInteger(size) || end > size))) {
    throw new RangeError(`byte range [${start}, ${end}) does not fit size ${size}`)
  }
  if (complete && size !== undefined && end !== size) throw new RangeError(`a completing request must end at the size ${size}, not ${end}`)
}

/** The creation request (POST). */
export function createRequest(ctx: Context, input: CreateInput): RequestDescription {
  const start = input.body?.start ?? 0
  const end = input.body?.end ?? 0
  if (start !== 0) throw new RangeError(`a creation request starts at offset 0, not ${start}`)
  checkRange(start, end, input.size, input.complete)
  const headers = baseHeaders()
  const length = input.size ?? (input.complete ? end : undefined)
  if (length === undefined) headers['upload-defer-length'] = '1'
  else headers['upload-length'] = String(length)
  const metadata = encodeMetadata({
    ...(input.name ? { filename: input.name } : {}),
    ...(input.type ? { filetype: input.type } : {}),
    ...input.metadata,
  })
  if (metadata !== undefined) headers['upload-metadata'] = metadata
  const withUpload = end > 0 && ctx.server?.extensions.includes('creation-with-upload') === true
  if (withUpload) headers['content-type'] = TUS_CONTENT_TYPE
  const sent = withUpload ? end : 0
  const intent = { kind: 'create', end: sent, complete: input.complete, length, declaresLength: length !== undefined } as const
  return { method: 'POST', url: input.endpoint, headers, body: withUpload ? { start, end } : null, intent }
}

/** The append request (PATCH). */
export function appendRequest(ctx: Context, input: AppendInput): RequestDescription {
  checkRange(input.offset, input.end, input.size, input.complete)
  const headers: HeaderMap = { ...baseHeaders(), 'content-type': TUS_CONTENT_TYPE, 'upload-offset': String(input.offset) }
  const length = input.size ?? (input.complete ? input.end : undefined)
  // creation-defer-length: the length goes on the first PATCH after it is known, and only then.
  const declaresLength = length !== undefined && ctx.deferred.has(input.url)
  if (declaresLength) headers['upload-length'] = String(length)
  const body = input.end > input.offset ? { start: input.offset, end: input.end } : null
  const { offset, end, complete } = input
  return requestFor(ctx, 'PATCH', input.url, headers, body, { kind: 'append', offset, end, complete, length, declaresLength })
}

/** The checksum algorithm for a request's body, when the server listed the checksum extension and an algorithm we have. */
export function checksumAlgorithm(ctx: Context, request: RequestDescription): TusChecksumAlgorithm | undefined {
  const server = ctx.server
  return server && request.body !== null ? chooseChecksum(ctx.checksum, server.extensions, server.checksumAlgorithms) : undefined
}
