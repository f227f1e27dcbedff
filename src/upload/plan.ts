/**
 * How many bytes the next creation or append request carries: the session asks this only for a
 * request with a body. Appends come after an answer, and a creation carries bytes only where
 * interim responses can be seen (Node), where the Upload loads ./later before its first step; so
 * this loads with ./later, never before a default browser upload's first byte.
 * @module
 */
import { planChunk } from '../protocols/limits'
import type { UploadSession } from './session'
import { DEFAULT_CHUNK_SIZE } from './settings'

/**
 * The end (exclusive) of the next request's body starting at `offset`: the chunk size (or the
 * adaptive sizer's), at most `largest` and the cap a 413 left, within the server's limits
 * (see `planChunk`). A stream of unknown length is never buffered whole: it goes in
 * default-sized chunks.
 * @param session the upload session
 * @param offset where the body starts
 * @param largest the most this request may carry
 * @throws RangeError when the chunk size is below 1 (see `planChunk`)
 */
export function plan(session: UploadSession, offset: number, largest: number): number {
  const { chunkSize, sizer, size } = session.config
  const wanted = chunkSize ?? sizer?.size() ?? DEFAULT_CHUNK_SIZE
  return planChunk(offset, size, Math.min(largest, session.cap, size === undefined && wanted === Infinity ? DEFAULT_CHUNK_SIZE : wanted), session.limits)
}
