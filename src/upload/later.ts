/**
 * What the Upload loads with `import()` once its first request is on its way, never before the
 * first byte: the session's response side (./responses), the request plan (./plan), the steps
 * that never come first in a default upload (./later-steps) and the retry engine (p-retry). Loaded
 * before the first answer is read, so p-retry is there when a failure comes, even offline.
 * @module
 */
import type { Emitter } from 'mitt'
import pRetry from 'p-retry'
import { UploadError } from '../errors'
import type { RetryOptions, UploadEvents, UploadResult } from '../options'
import { retrying, roundEnded, shouldRetry } from './responses'
import { sleep } from './rules'
import type { Outcome, UploadSession } from './session'

export { checkLimits } from '../protocols/limits'
export { laterStep } from './later-steps'
export { plan } from './plan'
export { finish, interim, receive } from './responses'
export { FORGET_ON } from './rules'

/** What a round of retries needs from the Upload. */
export interface RetryContext {
  session: UploadSession
  retry: RetryOptions
  /** Pauses and aborts: stop the backoff and the retries. */
  signal: AbortSignal
  /** Performs the session's effects, then throws its error. */
  apply: (outcome: Outcome) => void
  /** Hears of each retry. */
  emitter: Emitter<UploadEvents>
  /** Resolves once the network is back; undefined when online. */
  offline: (signal: AbortSignal) => Promise<void> | undefined
}

/**
 * The rest of a round whose first attempt (made without p-retry, before it was loaded) failed with
 * `first`: p-retry's attempts (see {@link retryAttempts}), then the round's end. Resolves with the
 * finished upload, or undefined when a new round is due (the last one made real progress); rejects
 * with the error the upload fails with, or (paused) the one the Upload waits on for resume().
 */
export async function retryRound(first: unknown, attempt: () => Promise<UploadResult>, ctx: RetryContext): Promise<UploadResult | undefined> {
  try {
    return await retryAttempts(first, attempt, ctx)
  } catch (error) {
    const session = ctx.session
    const end = session.state === 'paused' ? { next: 'fail' as const, error } : roundEnded(session, error)
    if (end.next === 'fail') throw end.error
    return undefined
  }
}

/**
 * The rest of a round whose first attempt (made without p-retry, before it was loaded) failed with
 * `first`: p-retry takes that failure as its attempt 1, then retries `attempt` with backoff until
 * it succeeds or the round ends (no retries left, or a failure not worth retrying).
 */
export function retryAttempts(first: unknown, attempt: () => Promise<UploadResult>, ctx: RetryContext): Promise<UploadResult> {
  const { session, signal } = ctx
  // Back online, or a limit learned mid-request: the next attempt starts at once and costs no retry.
  let atOnce = false
  let attempts = 0
  return pRetry(() => (attempts++ ? attempt() : Promise.reject(first)), {
    ...ctx.retry,
    signal,
    shouldRetry: ({ error }) => shouldRetry(session, error),
    shouldConsumeRetry: () => !atOnce,
    async onFailedAttempt({ error, attemptNumber, retriesLeft }) {
      session.failed()
      atOnce = error instanceof UploadError && error.code === 'too-large' && error.retryable
      if (!(error instanceof UploadError) || !error.retryable || retriesLeft <= 0 || session.state === 'paused') return
      const { outcome, waitMs } = retrying(session, error)
      ctx.apply(outcome)
      ctx.emitter.emit('retry', { attempt: attemptNumber, retriesLeft, error })
      const offline = ctx.offline(signal)
      if (offline) {
        await offline
        atOnce = true
      } else if (waitMs > 0) await sleep(waitMs, signal)
    },
  })
}
