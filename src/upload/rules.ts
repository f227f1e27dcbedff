/**
 * The session's rules that need no state of their own: completion checks, offsets a server may
 * claim, the size after a 413, the round's progress. Pure functions; each throws the typed
 * UploadError the Upload fails or retries with.
 * @module
 */
import { UploadError, type UploadErrorCode } from '../errors'
import type { ProtocolResult, UploadLimits } from '../types'
import { isRealProgress } from '../protocols/limits'

/** Mismatches (409) in a row after which the server's offset is not believed any more. */
export const MAX_MISMATCHES_IN_A_ROW = 3

/** The smallest request size tried after a 413 that named no `max-append-size` (halving stops here). */
export const SMALLEST_CHUNK_AFTER_413 = 64 * 1024

/**
 * A completion must cover the whole source: a server that reports it complete at another offset
 * (`offset-invalid`) lost or invented bytes. `end` is the source's length, when known.
 */
export function checkCompletion(offset: number | undefined, end: number | undefined): void {
  if (offset === undefined || end === undefined || offset === end) return
  throw new UploadError('offset-invalid', `the server completed the upload at ${offset} of ${end} bytes`, { retryable: false })
}

/** An offset the server may claim: within the source, and never below what it confirmed before. */
export function checkOffset(offset: number, size: number | undefined, acked: number): void {
  if (size !== undefined && offset > size) {
    throw new UploadError('offset-invalid', `the server claims ${offset} bytes of a ${size}-byte source`, { retryable: false })
  }
  if (offset < acked) {
    throw new UploadError('offset-invalid', `the server's offset went backwards from ${acked} to ${offset}`, { retryable: false })
  }
}

/**
 * The request size after a 413 to a request of `sent` bytes: the server's `max-append-size`
 * when it named one, else half; `too-large` (not retryable) when that is no smaller, or a guess
 * falls below 64 KiB (or the server's minimum).
 */
export function sizeAfter413(sent: number, limits: UploadLimits): number {
  const named = limits.maxAppendSize
  const next = named ?? Math.floor(sent / 2)
  if (next >= sent || (named === undefined && next < Math.max(limits.minAppendSize ?? 0, SMALLEST_CHUNK_AFTER_413))) {
    throw new UploadError('too-large', 'the server refused the request size (413) and no smaller size fits its limits', { status: 413, retryable: false })
  }
  return next
}

/**
 * A 2xx to an append that stored neither 64 KiB nor all of it (the same offset again, say) is a
 * failed attempt, retried with backoff, not a reason to send the same bytes again at once.
 */
export function checkAppendProgress(stored: number, length: number, status: number): void {
  if (length === 0 || isRealProgress({ stored, offered: length })) return
  throw new UploadError('no-progress', `the server stored ${stored} of ${length} bytes`, { status, retryable: true })
}

/**
 * The error a round ends with: `no-progress` when its retries ran out while the server stored
 * bytes, but never 64 KiB or all of a request (it keeps a few bytes of each request, then cuts).
 */
export function outOfRetries(error: unknown, stored: number): unknown {
  if (!(error instanceof UploadError) || !error.retryable || error.code === 'no-progress' || stored <= 0) return error
  return new UploadError('no-progress', `the retries ran out; the server stored only ${stored} bytes`, { retryable: false, cause: error })
}

/** A result the request it answers cannot have. */
export function unexpected(result: ProtocolResult): UploadError {
  return new UploadError('malformed-response', `unexpected answer from the server (${result.kind})`, { retryable: false })
}

/** The longest delay a timer holds (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1

/**
 * The wait for a server's `Retry-After` of `seconds`, in ms: at most `maxSeconds` (the
 * `maxRetryAfter` option), and never more than a timer can hold.
 *
 * @example
 * retryAfterDelay(2_000_000, 300) // 300_000
 */
export function retryAfterDelay(seconds: number, maxSeconds: number): number {
  if (!(seconds > 0) || !(maxSeconds > 0)) return 0
  return Math.min(Math.min(seconds, maxSeconds) * 1000, MAX_TIMER_DELAY)
}

/** Failures after which the stored record is forgotten; one that ran out of retries stays resumable. */
export const FORGET_ON: ReadonlySet<string> = new Set<UploadErrorCode>([
  'offset-invalid',
  'length-mismatch',
  'location-refused',
  'location-changed',
  'too-large',
  'limit-unusable',
  'redirect-refused',
  'upload-gone',
  'upload-failed',
  'source-changed',
])

/**
 * Resolves after `ms`, or at once when `signal` fires (or has fired): the wait before a retry
 * (`Retry-After`), for the Upload's rounds and a parts upload's parts alike.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    if (signal.aborted) done()
  })
}
