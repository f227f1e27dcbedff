/** Small helpers shared by the Upload and the entries. @module */
import { UploadError } from './errors'

/** The origin of an absolute URL (`https://host:port`), or '' when it is not a URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return ''
  }
}

/** Any thrown value as an UploadError: AbortError becomes `aborted`, the rest keeps its cause. */
export function toUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error
  if (error instanceof Error && error.name === 'AbortError') {
    return new UploadError('aborted', 'the upload was aborted', { retryable: false, cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new UploadError('network', `unexpected failure: ${message}`, { retryable: false, cause: error })
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

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
