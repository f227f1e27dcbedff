/**
 * A source over bytes already in memory (Uint8Array, Buffer, ArrayBuffer): slices are views.
 * @module
 */
import { UploadError } from '../errors'
import type { Source, SourceChunk } from '../types'

/** Name, type and lastModified to report for sources that have none of their own. */
export interface SourceMetadata {
  /** File name. Default none. */
  name?: string
  /** Media type. Default none. */
  type?: string
  /** Last-modified time in ms since the epoch. Default none. */
  lastModified?: number
}

/**
 * Checks a requested range and clips it to a known size. `end` may be `Infinity`.
 * @param start first byte, a non-negative integer
 * @param end byte after the last, at least `start`
 * @param size the source's size when known (default unknown: no clipping)
 * @throws UploadError `source-error` for a range that is not one
 */
export function clipRange(start: number, end: number, size?: number): { start: number; end: number } {
  const valid = Number.isSafeInteger(start) && start >= 0 && end >= start && (Number.isSafeInteger(end) || end === Infinity)
  if (!valid) {
    throw new UploadError('source-error', `Invalid byte range [${start}, ${end}).`, { retryable: false })
  }
  if (size === undefined) return { start, end }
  return { start: Math.min(start, size), end: Math.min(end, size) }
}

/**
 * The error of a source used after `close()`.
 */
export function closedError(): UploadError {
  return new UploadError('source-error', 'The source was closed.', { retryable: false })
}

/**
 * A source over bytes in memory. `slice` returns a `subarray` of them: no copies.
 * @param bytes a Uint8Array (a Buffer is one) or an ArrayBuffer (wrapped, not copied)
 * @param metadata name, type and lastModified to report (default none)
 */
export function bytesSource(bytes: Uint8Array | ArrayBuffer, metadata: SourceMetadata = {}): Source {
  let data: Uint8Array | undefined = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  const size = data.length
  return {
    size,
    name: metadata.name,
    type: metadata.type,
    lastModified: metadata.lastModified,
    async slice(start: number, end: number): Promise<SourceChunk> {
      if (data === undefined) throw closedError()
      const range = clipRange(start, end, size)
      const body = data.subarray(range.start, range.end)
      return { body, length: body.length, last: range.end === size }
    },
    async close(): Promise<void> {
      data = undefined
    },
  }
}
