/**
 * A source over bytes already in memory (Uint8Array, Buffer, ArrayBuffer): slices are views.
 * @module
 */
import { UploadError } from '../errors'
import type { RequestBody, Source, SourceChunk } from '../types'

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
 * A source of a known `size` whose ranges `cut(start, end)` gives (a Blob's `slice`, a
 * Uint8Array's `subarray`): no bytes are read or copied here. `close()` drops `cut`, and with it
 * the data it holds.
 * @param size the size in bytes
 * @param cut the body of the range `[start, end)`, both within `size`
 * @param metadata name, type and lastModified to report
 */
export function rangeSource(size: number, cut: ((start: number, end: number) => RequestBody) | undefined, metadata: SourceMetadata): Source {
  return {
    size,
    name: metadata.name,
    type: metadata.type,
    lastModified: metadata.lastModified,
    async slice(start: number, end: number): Promise<SourceChunk> {
      if (cut === undefined) throw closedError()
      const range = clipRange(start, end, size)
      return { body: cut(range.start, range.end), length: range.end - range.start, last: range.end === size }
    },
    async close(): Promise<void> {
      cut = undefined
    },
  }
}

/**
 * A source over bytes in memory. `slice` returns a `subarray` of them: no copies.
 * @param bytes a Uint8Array (a Buffer is one) or an ArrayBuffer (wrapped, not copied)
 * @param metadata name, type and lastModified to report (default none)
 */
export function bytesSource(bytes: Uint8Array | ArrayBuffer, metadata: SourceMetadata = {}): Source {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)
  return rangeSource(data.length, (start, end) => data.subarray(start, end), metadata)
}
