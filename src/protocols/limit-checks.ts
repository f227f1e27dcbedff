/**
 * Checks against server limits ({@link UploadLimits}) that reading answers needs: whether a
 * source fits at all, whether a stretch of requests made real progress, whether an upload
 * resource has expired. Pure functions; re-exported by ./limits, which plans requests.
 * @module
 */
import { UploadError } from '../errors'
import type { UploadLimits } from '../types'

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
