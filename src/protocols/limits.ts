/**
 * Protocol-neutral rules about server limits ({@link UploadLimits}): how big the next request may
 * be, whether a source fits at all, and whether an upload resource has expired. Pure functions.
 * @module
 */
import { UploadError } from '../errors'
import type { UploadLimits } from '../types'

/** Input of {@link planChunk}. */
export interface ChunkPlanInput {
  /** Where the next request starts (the server's offset). */
  offset: number
  /** Total size of the source, or undefined while unknown (a stream). */
  size: number | undefined
  /** Preferred bytes per request; `Infinity` for one request carrying everything. */
  chunkSize: number
  /** What the server announced (`Upload-Limit`). */
  limits: UploadLimits
  /**
   * True when the caller already knows this request ends the upload (it carries
   * `Upload-Complete: ?1`), which exempts it from `minAppendSize`. Default: derived from `size`.
   */
  final?: boolean
}

/**
 * The end offset (exclusive) of the next creation or append request.
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
 * @example
 * planChunk({ offset: 0, size: 100, chunkSize: 40, limits: { maxAppendSize: 30 } }) // 30
 * planChunk({ offset: 90, size: 100, chunkSize: 40, limits: { minAppendSize: 20 } }) // 100
 */
export function planChunk(input: ChunkPlanInput): number {
  const { offset, size, chunkSize, limits } = input
  if (!(chunkSize >= 1)) throw new RangeError(`chunkSize must be at least 1: ${chunkSize}`)
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer: ${offset}`)
  // The server's limits are MUSTs and beat the caller's chunk size; its maximum beats its minimum.
  const serverMax = Math.max(1, limits.maxAppendSize ?? Infinity)
  const serverMin = Math.min(serverMax, limits.minAppendSize ?? 0)
  const remaining = size === undefined ? Infinity : Math.max(0, size - offset)
  let length = Math.min(Math.floor(chunkSize), serverMax, remaining)
  if (length < serverMin && length < remaining && input.final !== true) length = Math.min(serverMin, remaining)
  return offset + length
}

/**
 * Whether a source of `size` bytes can be uploaded under `limits`: a `too-large` UploadError
 * (not retryable) when the size is known and exceeds `maxSize`, otherwise undefined.
 */
export function checkSize(size: number | undefined, limits: UploadLimits): UploadError | undefined {
  if (size === undefined || limits.maxSize === undefined || size <= limits.maxSize) return undefined
  return new UploadError('too-large', `the upload is ${size} bytes, the server accepts at most ${limits.maxSize}`, {
    retryable: false,
  })
}

/**
 * The smallest `max-append-size` the Upload works with: 1 KiB. Below it (`max-append-size=0` or
 * `=1` would mean one request per byte) a source larger than the limit fails with
 * `limit-unusable`. Smaller than 64 KiB on purpose: a server may ask for small requests, and
 * is obeyed down to this floor.
 */
export const MIN_APPEND_SIZE_FLOOR = 1024

/**
 * Whether limits leave a way to upload a source of `size` bytes (undefined: unknown): a
 * `limit-unusable` UploadError (not retryable) when `maxAppendSize` is below
 * {@link MIN_APPEND_SIZE_FLOOR}, or below `minAppendSize`, and the source does not fit in one
 * request; otherwise the result of {@link checkSize}.
 */
export function checkLimits(size: number | undefined, limits: UploadLimits): UploadError | undefined {
  const { maxAppendSize, minAppendSize } = limits
  const fitsOneRequest = maxAppendSize === undefined || (size !== undefined && size <= maxAppendSize)
  if (!fitsOneRequest && maxAppendSize < MIN_APPEND_SIZE_FLOOR) {
    return new UploadError('limit-unusable', `max-append-size ${maxAppendSize} is below ${MIN_APPEND_SIZE_FLOOR}`, { retryable: false })
  }
  if (!fitsOneRequest && minAppendSize !== undefined && minAppendSize > maxAppendSize) {
    return new UploadError('limit-unusable', 'min-append-size exceeds max-append-size', { retryable: false })
  }
  return checkSize(size, limits)
}

/** Bytes a stretch of requests must get stored to count as progress (unless it offered fewer). */
export const MIN_PROGRESS_BYTES = 64 * 1024

/** What a stretch of requests (one request, or the attempts since the last progress) did. */
export interface ProgressInput {
  /** Bytes the server's offset moved forward. */
  stored: number
  /** Body bytes the requests were to carry. */
  offered: number
}

/**
 * Whether the server stored a real amount of what it was offered: at least
 * {@link MIN_PROGRESS_BYTES} (64 KiB), or every byte offered when that is less, and more than
 * nothing. A server that keeps 10 bytes of each request, or answers 2xx without moving its
 * offset, makes none; a network cut after 64 KiB does, so an upload makes at most one round per
 * 64 KiB stored. Not a share of the bytes sent: those include what sat in socket buffers (MiBs on
 * a fast link), which would judge a real cut soon after a resume as no progress.
 *
 * @example
 * isRealProgress({ stored: 10, offered: 8 << 20 }) // false
 * isRealProgress({ stored: 100, offered: 100 }) // true
 */
export function isRealProgress({ stored, offered }: ProgressInput): boolean {
  return stored > 0 && stored >= Math.min(offered, MIN_PROGRESS_BYTES)
}

/**
 * Whether the upload resource has expired at `now` (ms since the epoch), so that the client
 * should no longer use it. False when no expiry is known.
 */
export function isExpired(limits: UploadLimits, now: number): boolean {
  return limits.expiresAt !== undefined && now >= limits.expiresAt
}
