/**
 * Protocol-neutral rules about server limits ({@link UploadLimits}): how big the next request may
 * be ({@link planChunk}, here), and, from ./limit-checks (re-exported), whether a source fits at
 * all, whether a server stored a real amount, and whether an upload resource has expired. Pure
 * functions. Split so that planning the first request carries none of the checks that only
 * answers need.
 * @module
 */
import type { UploadLimits } from '../types'

export { MIN_APPEND_SIZE_FLOOR, MIN_PROGRESS_BYTES, checkLimits, checkSize, isExpired, isRealProgress, type ProgressInput } from './limit-checks'

/**
 * The end offset (exclusive) of the next creation or append request starting at `offset` (the
 * server's offset), for a source of `size` bytes (undefined while unknown: a stream), a preferred
 * `chunkSize` (`Infinity`: one request carrying everything) and the server's `limits`
 * (`Upload-Limit`). Positional, as the session calls it once per request.
 *
 * - Never more than `chunkSize` (rounded down) or `limits.maxAppendSize` bytes, never past a
 *   known `size`.
 * - At least `limits.minAppendSize` bytes, even when `chunkSize` is smaller (the server's MUST
 *   beats the caller's preference), except for the request that ends the upload (a known `size`
 *   reached, or `final`), which may be smaller. When the server's minimum is larger than its
 *   maximum, the maximum wins: sending too little can be answered, sending too much cannot be
 *   taken back.
 * - At least one byte while bytes remain, so that a plan always makes progress.
 * - `Infinity` when neither the size, the chunk size nor a limit bounds the request: send the
 *   rest of the source.
 *
 * @param final true when the caller already knows this request ends the upload (it carries
 *   `Upload-Complete: ?1`), which exempts it from `minAppendSize`; default: derived from `size`
 * @throws RangeError when `chunkSize` is below 1 or `offset` is not a non-negative safe integer
 * @example
 * planChunk(0, 100, 40, { maxAppendSize: 30 }) // 30
 * planChunk(90, 100, 40, { minAppendSize: 20 }) // 100
 */
export function planChunk(offset: number, size: number | undefined, chunkSize: number, limits: UploadLimits, final = false): number {
  // chunkSize at least 1, offset a non-negative integer.
  if (!(chunkSize >= 1 && Number.isSafeInteger(offset) && offset >= 0)) throw new RangeError(`cannot plan a chunk of ${chunkSize} B at offset ${offset}`)
  // The server's limits are MUSTs and beat the caller's chunk size; its maximum beats its minimum.
  const serverMax = Math.max(1, limits.maxAppendSize ?? Infinity)
  const serverMin = Math.min(serverMax, limits.minAppendSize ?? 0)
  const remaining = size === undefined ? Infinity : Math.max(0, size - offset)
  let length = Math.min(Math.floor(chunkSize), serverMax, remaining)
  if (length < serverMin && length < remaining && !final) length = Math.min(serverMin, remaining)
  return offset + length
}
