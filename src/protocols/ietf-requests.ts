/**
 * The IETF draft's requests: creation and append descriptions, and the completeness field of
 * each interop version. Part of the IETF protocol (./ietf), split out by size: this is what a
 * browser loads before the first byte, the response side (./ietf-responses) comes later.
 * @module
 */
import type { AppendInput, CreateInput, HeaderMap, HttpMethod, RequestDescription } from '../types'
import { contentDisposition, fileContentType } from './request-fields'
import { SF_INTEGER_MAX } from './sf-serialize'

/** The media type of append bodies from interop version 5 (draft -03) on. */
export const PARTIAL_UPLOAD_TYPE = 'application/partial-upload'

/** What one IETF protocol object keeps. */
export interface Context {
  readonly interopVersion: number
  readonly contentDisposition: boolean
  readonly clock: (() => number) | undefined
  /** Upload URLs whose length the server does not know yet (the creation did not state it). */
  readonly deferred: Set<string>
}

/** The `Content-Type` of an append body for an interop version. */
export function appendContentType(interopVersion: number): string {
  return interopVersion >= 5 ? PARTIAL_UPLOAD_TYPE : 'application/offset+octet-stream'
}

/** The fields every request carries: `Upload-Draft-Interop-Version`. */
export function baseHeaders(ctx: Context): HeaderMap {
  return { 'upload-draft-interop-version': String(ctx.interopVersion) }
}

/**
 * Throws for a range that contradicts itself or the size (checklist 7: consistent lengths): not
 * offsets of at most 15 digits, ending before it starts or past the size, a completing request
 * that does not end at the size, a creation that does not start at 0.
 */
function checkRange(start: number, end: number, size: number | undefined, complete: boolean, creation: boolean): void {
  const isOffset = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= SF_INTEGER_MAX
  const last = size ?? end
  if (!isOffset(start) || !isOffset(end) || !isOffset(last) || end < start || end > last || (complete && end !== last) || (creation && start !== 0)) {
    throw new RangeError(`invalid byte range [${start}, ${end}) for a ${complete ? 'completing ' : ''}${creation ? 'creation' : 'append'}, size ${size}`)
  }
}

/**
 * A creation or append request of the bytes `[offset, end)`: the interop version, the completeness
 * field (interop 3 writes `Upload-Incomplete`, the inverted boolean, later ones `Upload-Complete`;
 * always explicit) and, when `declare` says so, `Upload-Length` (the size, else the end of a
 * completing request), on top of `headers`.
 */
function request(
  ctx: Context,
  method: HttpMethod,
  url: string,
  { offset, end, size, complete }: Omit<AppendInput, 'url'>,
  declare: boolean,
  headers: HeaderMap,
): RequestDescription {
  checkRange(offset, end, size, complete, method === 'POST')
  const v3 = ctx.interopVersion === 3
  Object.assign(headers, baseHeaders(ctx), { [v3 ? 'upload-incomplete' : 'upload-complete']: v3 !== complete ? '?1' : '?0' })
  const length = size ?? (complete ? end : undefined)
  const declaresLength = declare && length !== undefined
  // Every offset passed checkRange: an integer of at most 15 digits, an SF Integer as it is.
  if (declaresLength) headers['upload-length'] = String(length)
  const facts = { end, complete, length, declaresLength }
  const intent = method === 'POST' ? ({ kind: 'create', ...facts } as const) : ({ kind: 'append', offset, ...facts } as const)
  return { method, url, headers, body: end > offset ? { start: offset, end } : null, intent }
}

/** The creation request (POST): the length whenever it is known, and the file's type and name. */
export function createRequest(ctx: Context, input: CreateInput): RequestDescription {
  const headers: HeaderMap = { 'content-type': fileContentType(input.type) }
  if (ctx.contentDisposition && input.name) headers['content-disposition'] = contentDisposition(input.name)
  return request(ctx, 'POST', input.endpoint, { ...input, offset: input.body?.start ?? 0, end: input.body?.end ?? 0 }, true, headers)
}

/**
 * The append request (PATCH). It states the length only while the server does not know it: the
 * creation did not state it, or the input has no size and ends the upload (tusd answers `400`
 * to a repeated one).
 */
export function appendRequest(ctx: Context, input: AppendInput): RequestDescription {
  const declare = ctx.deferred.has(input.url) || (input.size === undefined && input.complete)
  const headers = { 'content-type': appendContentType(ctx.interopVersion), 'upload-offset': String(input.offset) }
  return request(ctx, 'PATCH', input.url, input, declare, headers)
}
