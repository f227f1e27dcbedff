/**
 * A source over a Blob or a File: slices are Blob slices, so the file is never read here.
 * @module
 */
import type { Source } from '../types'
import { rangeSource, type SourceMetadata } from './bytes'

/**
 * A source over a Blob or File. `slice` returns `blob.slice(start, end)`; the browser (or the
 * transport) reads the bytes only while sending them. Name and lastModified come from a File,
 * type from the Blob (an empty type counts as unknown).
 * @param blob the Blob or File
 * @param metadata overrides name, type and lastModified (default: the File's own)
 */
export function blobSource(blob: Blob, metadata: SourceMetadata = {}): Source {
  const file = blob as Partial<Pick<File, 'name' | 'lastModified'>>
  return rangeSource(blob.size, (start, end) => blob.slice(start, end), {
    name: metadata.name ?? (typeof file.name === 'string' ? file.name : undefined),
    type: metadata.type ?? (blob.type === '' ? undefined : blob.type),
    lastModified: metadata.lastModified ?? (typeof file.lastModified === 'number' ? file.lastModified : undefined),
  })
}
