/**
 * The parts runner's calls into the app's callbacks and its retries: each callback's failure
 * becomes a typed UploadError (the protocol's `callbackError`), retried with p-retry while it is
 * retryable; a `NoSuchUpload` a backend reports is "gone", never retried. A failure that carries
 * a `Retry-After` (a part answered 503 SlowDown or 429) waits that long before p-retry's backoff,
 * capped as the Upload caps it (`maxRetryAfter`, rules.ts).
 * @module
 */
import pRetry from 'p-retry'
import { UploadError } from '../errors'
import type { RetryOptions, UploadEvents } from '../options'
import type { S3Protocol } from '../protocols/s3'
import type { S3Callbacks } from '../protocols/s3-types'
import { retryAfterDelay, sleep } from './rules'
import { SETTINGS } from './settings'

/** Whether `error` says S3 forgot the upload: `upload-gone`, or a backend error whose code is `NoSuchUpload`. */
export function isGone(error: unknown): boolean {
  if (error instanceof UploadError && error.code === 'upload-gone') return true
  const cause = error instanceof UploadError ? error.cause : error
  if (typeof cause !== 'object' || cause === null) return false
  const { code, Code, name } = cause as { code?: unknown; Code?: unknown; name?: unknown }
  return code === 'NoSuchUpload' || Code === 'NoSuchUpload' || name === 'NoSuchUpload'
}

/**
 * `error` as an UploadError: `aborted` once `signal` fired (p-retry rejects with its reason, and a
 * request cut by the abort fails as a network error), an UploadError as it is, else a failure
 * that is not retryable.
 */
export function asUploadError(error: unknown, signal: AbortSignal): UploadError {
  if (signal.aborted)
    return error instanceof UploadError && error.code === 'aborted'
      ? error
      : new UploadError('aborted', 'the upload was stopped', { retryable: false, cause: error })
  if (error instanceof UploadError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new UploadError('network', `unexpected failure: ${message}`, { retryable: false, cause: error })
}

/** Calls callback `name` through `call`; what it throws becomes the protocol's typed error. */
export async function callback<T>(protocol: S3Protocol, name: keyof S3Callbacks, signal: AbortSignal, call: () => T | Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw protocol.callbackError(name, error, signal)
  }
}

/** What {@link withRetry} needs. */
export interface RetrySettings {
  /** p-retry's options. */
  retry: RetryOptions
  /** Stops retries and backoff. */
  signal: AbortSignal
  /** Called before each retry. */
  onRetry: (event: UploadEvents['retry']) => void
  /** Errors that must not be retried although they say `retryable` (re-signs ran out). Default: none. */
  final?: WeakSet<object>
  /** Resolves once the network is back; undefined when online (the Upload's environment). Default: always online. */
  offline?: (signal: AbortSignal) => Promise<void> | undefined
  /** The longest `Retry-After` honoured, seconds (the `maxRetryAfter` option). Default: 300. */
  maxRetryAfter?: number | undefined
}

/**
 * `attempt` until it resolves, retrying a retryable UploadError with p-retry's backoff (after the
 * failure's `Retry-After`, capped by `maxRetryAfter`); never a gone one, and never after `signal` fired.
 * @throws the last error, as an UploadError (`aborted` once `signal` fired)
 */
export async function withRetry<T>(attempt: () => Promise<T>, settings: RetrySettings): Promise<T> {
  const { signal, final } = settings
  const worth = (error: unknown): boolean =>
    error instanceof UploadError && error.retryable && !isGone(error) && !(final?.has(error) ?? false) && !signal.aborted
  // A failure while offline costs no retry: the next attempt starts once the network is back.
  let backOnline = false
  try {
    return await pRetry(attempt, {
      ...settings.retry,
      signal,
      shouldRetry: ({ error }) => worth(error),
      shouldConsumeRetry: () => !backOnline,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        backOnline = false
        if (!worth(error)) return
        const offline = settings.offline?.(signal)
        if (offline !== undefined) {
          await offline
          backOnline = true
        } else if (retriesLeft > 0) {
          settings.onRetry({ attempt: attemptNumber, retriesLeft, error: error as UploadError })
          const wait = retryAfterDelay((error as UploadError).retryAfter ?? 0, settings.maxRetryAfter ?? SETTINGS.maxRetryAfter)
          if (wait > 0) await sleep(wait, signal)
        }
      },
    })
  } catch (error) {
    throw asUploadError(error, signal)
  }
}
