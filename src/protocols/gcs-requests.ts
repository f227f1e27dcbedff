/**
 * Google Cloud Storage resumable upload requests: `Content-Range` values, the 256 KiB chunk
 * unit (a planned chunk aligned to it), and the request descriptions. Part of the GCS protocol (./gcs), split out by size. Pure.
 * @module
 */
import type { AppendInput, HeaderMap, RequestDescription } from '../types'

/** GCS stores a non-final chunk only in whole units of 256 KiB (262,144 bytes). */
export const GCS_CHUNK_UNIT = 256 * 1024

/** What one GCS protocol object keeps: the upload's size per session URI, for status queries. */
export interface Context {
  /** The size each session URI's upload was described with (a status query must name it). */
  readonly sizes: Map<string, number>
}

/**
 * The end of a chunk `[offset, end)` GCS accepts: the planned end when it reaches the known
 * `size` (the last chunk may be any length), else the chunk shortened to whole 256 KiB units, at
 * least one unit (never past `size`). `Infinity` (the rest of a stream) stays as it is.
 * @example
 * alignChunkEnd(0, 1_000_000, 5_000_000) // 786432 (3 units)
 * alignChunkEnd(4_980_736, 5_000_000, 5_000_000) // 5000000 (the last chunk)
 */
export function alignChunkEnd(offset: number, end: number, size: number | undefined): number {
  if (end === Infinity || (size !== undefined && end >= size)) return end
  const units = Math.max(1, Math.floor((end - offset) / GCS_CHUNK_UNIT))
  return Math.min(offset + units * GCS_CHUNK_UNIT, size ?? Infinity)
}

/** `Content-Range` of a status query: `bytes *\/total`, or `bytes *\/*` while the total is unknown. */
export function statusRange(total: number | undefined): string {
  return `bytes */${total ?? '*'}`
}

/** `Content-Range` of a chunk `[offset, end)`: `bytes a-b/total`, `a-b/*` while the total is unknown. */
export function chunkRange(offset: number, end: number, total: number | undefined): string {
  return end > offset ? `bytes ${offset}-${end - 1}/${total ?? '*'}` : statusRange(total)
}

/** Throws for a byte range that contradicts itself or the size, or a non-final chunk not in whole units. */
function checkChunk({ offset, end, size, complete }: Omit<AppendInput, 'url'>): void {
  const isOffset = (n: number): boolean => Number.isSafeInteger(n) && n >= 0
  if (!isOffset(offset) || !isOffset(end) || end < offset || (size !== undefined && (!isOffset(size) || end > size))) {
    throw new RangeError(`invalid byte range [${offset}, ${end}) for size ${size}`)
  }
  if (complete && size !== undefined && end !== size) throw new RangeError(`a completing chunk must end at the size ${size}, not ${end}`)
  if (!complete && (end - offset) % GCS_CHUNK_UNIT !== 0) {
    throw new RangeError(`a GCS chunk other than the last must be a multiple of 256 KiB: [${offset}, ${end})`)
  }
}

/**
 * The status query: an empty PUT with `Content-Range: bytes *\/total`. It is also the creation
 * request (see ./gcs): the answer names the bytes the session holds, and `*\/total` finalizes a
 * session that holds them all (an empty file, a stream whose last chunk said `/*`).
 */
export function statusRequest(ctx: Context, url: string, kind: 'create' | 'offset', size: number | undefined): RequestDescription {
  const total = size ?? ctx.sizes.get(url)
  if (total !== undefined) ctx.sizes.set(url, total)
  const headers: HeaderMap = { 'content-range': statusRange(total) }
  const intent =
    kind === 'create' ? ({ kind, end: 0, complete: total === 0, length: total, declaresLength: total !== undefined } as const) : ({ kind } as const)
  return { method: 'PUT', url, headers, body: null, intent }
}

/** A chunk PUT of `[offset, end)` to the session URI, the total named once known. */
export function chunkRequest(ctx: Context, input: AppendInput): RequestDescription {
  checkChunk(input)
  const { url, offset, end, complete } = input
  const length = input.size ?? (complete ? end : undefined)
  if (length !== undefined) ctx.sizes.set(url, length)
  const headers: HeaderMap = { 'content-range': chunkRange(offset, end, length) }
  const body = end > offset ? { start: offset, end } : null
  return { method: 'PUT', url, headers, body, intent: { kind: 'append', offset, end, complete, length, declaresLength: length !== undefined } }
}
