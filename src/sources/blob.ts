/**
 * A source over a Blob or a File: slices are Blob slices, so the file is never read here.
 * @module
 */
import type { Source, SourceChunk } from '../types'
import { clipRange, closedError, type SourceMetadata } from './bytes'

/**
 * A source over a Blob or File. `slice` returns `blob.slice(start, end)`; the browser (or the
 * transport) reads the bytes only while sending them. Name and lastModified come from a File,
 * type from the Blob (an empty type counts as unknown).
 * @param blob the Blob or File
 * @param metadata overrides name, type and lastModified (default: the File's own)
 */
export function blobSource(blob: Blob, metadata: SourceMetadata = {}): Source {
  const file = blob as Partial<Pick<File, 'name' | 'lastModified'>>
  let current: Blob | undefined = blob
  const size = blob.size
  return {
    size,
    name: metadata.name ?? (typeof file.name === 'string' ? file.name : undefined),
    type: metadata.type ?? (blob.type === '' ? undefined : blob.type),
    lastModified: metadata.lastModified ?? (typeof file.lastModified === 'number' ? file.lastModified : undefined),
    async slice(start: number, end: number): Promise<SourceChunk> {
      if (current === undefined) throw closedError()
      const range = clipRange(start, end, size)
      const body = current.slice(range.start, range.end)
      return { body, length: range.end - range.start, last: range.end === size }
    },
    async close(): Promise<void> {
      current = undefined
    },
  }
}
