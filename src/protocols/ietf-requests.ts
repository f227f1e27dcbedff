/**
 * The IETF draft's requests: creation and append descriptions, and the completeness field of
 * each interop version. Part of the IETF protocol (./ietf), split out by size.
 * @module
 */
import type { AppendInput, CreateInput, HeaderMap, RequestDescription } from '../types'
import { contentDisposition, fileContentType } from './http-fields'
import { SF_INTEGER_MAX, parseBoolean, serializeBoolean, serializeInteger } from './structured-fields'

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

export function baseHeaders(ctx: Context): HeaderMap {
  return { 'upload-draft-interop-version': String(ctx.interopVersion) }
}

/** Throws for a range that contradicts itself or the size (checklist 7: consistent lengths). */
export function checkRange(start: number, end: number, size: number | undefined, complete: boolean): void {
  const isOffset = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= SF_INTEGER_MAX
  if (!isOffset(start) || !isOffset(end) || end < start) throw new RangeError(`invalid byte range [${start}, ${end})`)
  if (size === undefined) return
  if (!isOffset(size) || end > size) throw new RangeError(`byte range [${start}, ${end}) does not fit size ${size}`)
  if (complete && end !== size) throw new RangeError(`a completing request must end at the size ${size}, not ${end}`)
}

/** The upload's length as a request knows it: the size, else the end of a completing request. */
export function knownLength(size: number | undefined, complete: boolean, end: number): number | undefined {
  return size ?? (complete ? end : undefined)
}

/** The completeness field of the interop version: `Upload-Incomplete` (inverted) at 3, else `Upload-Complete`. */
export function completionField(ctx: Context, complete: boolean): HeaderMap {
  return ctx.interopVersion === 3 ? { 'upload-incomplete': serializeBoolean(!complete) } : { 'upload-complete': serializeBoolean(complete) }
}

/** A response's completeness, read from the interop version's field; undefined when absent or invalid. */
export function completionOf(ctx: Context, headers: HeaderMap): boolean | undefined {
  if (ctx.interopVersion !== 3) return parseBoolean(headers['upload-complete'])
  const incomplete = parseBoolean(headers['upload-incomplete'])
  return incomplete === undefined ? undefined : !incomplete
}

/** The creation request (POST). */
export function createRequest(ctx: Context, input: CreateInput): RequestDescription {
  const start = input.body?.start ?? 0
  const end = input.body?.end ?? 0
  if (start !== 0) throw new RangeError(`a creation request starts at offset 0, not ${start}`)
  checkRange(start, end, input.size, input.complete)
  const headers: HeaderMap = {
    ...baseHeaders(ctx),
    ...completionField(ctx, input.complete),
    'content-type': fileContentType(input.type),
  }
  const length = knownLength(input.size, input.complete, end)
  if (length !== undefined) headers['upload-length'] = serializeInteger(length)
  if (ctx.contentDisposition && input.name) headers['content-disposition'] = contentDisposition(input.name)
  const intent = { kind: 'create', end, complete: input.complete, length, declaresLength: length !== undefined } as const
  return { method: 'POST', url: input.endpoint, headers, body: end > start ? { start, end } : null, intent }
}

/** The append request (PATCH). */
export function appendRequest(ctx: Context, input: AppendInput): RequestDescription {
  checkRange(input.offset, input.end, input.size, input.complete)
  const headers: HeaderMap = {
    ...baseHeaders(ctx),
    'content-type': appendContentType(ctx.interopVersion),
    'upload-offset': serializeInteger(input.offset),
    ...completionField(ctx, input.complete),
  }
  const length = knownLength(input.size, input.complete, input.end)
  // Only while the server does not know the length: tusd answers 400 to a repeated one.
  const undeclared = ctx.deferred.has(input.url) || (input.size === undefined && input.complete)
  const declaresLength = length !== undefined && undeclared
  if (declaresLength) headers['upload-length'] = serializeInteger(length)
  const body = input.end > input.offset ? { start: input.offset, end: input.end } : null
  const { offset, end, complete } = input
  return { method: 'PATCH', url: input.url, headers, body, intent: { kind: 'append', offset, end, complete, length, declaresLength } }
}
