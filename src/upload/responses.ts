/**
 * The session's response side: what it does when an answer, an interim response or a failure
 * arrives, and how a round of retries ends. Pure functions of the session (./session), in a module
 * of their own so that the Upload loads them once the first request is on its way (./later), not
 * before the first byte.
 * @module
 */
import { UploadError } from '../errors'
import { isRealProgress } from '../protocols/limits'
import type { HttpResponse, InterimResult, ProtocolResult } from '../types'
import { answer, learnUrl, mergeLimits } from './answers'
import { createRequestSizer } from './request-size'
import { outOfRetries, retryAfterDelay } from './rules'
import type { Outcome } from './session-types'
import type { UploadSession } from './session'
import { DEFAULT_CHUNK_SIZE } from './settings'

/** Runs a rule of the session: its effects, and the UploadError it threw as the outcome's error. */
export function run(s: UploadSession, rule: () => void): Outcome {
  s.out = []
  try {
    rule()
    return { effects: s.out }
  } catch (error) {
    if (!(error instanceof UploadError)) throw error
    return { effects: s.out, error }
  }
}

/** A 1xx arrived for the request in flight. */
export function interim(s: UploadSession, result: InterimResult): Outcome {
  return run(s, () => {
    const sent = s.inFlight
    if (result.kind === 'location') {
      // The URL first: an upload the 104 created is recorded, then cancelled if its limits refuse the source.
      learnUrl(s, result.url, '104')
      mergeLimits(s, result.limits)
      const max = s.limits.maxAppendSize
      if (sent?.kind === 'create' && max !== undefined && (sent.length ?? 0) > max) {
        throw new UploadError('too-large', "the request is larger than the server's max-append-size", { retryable: true })
      }
    } else if (result.kind === 'progress' && result.offset <= s.sent && result.offset > s.acked) {
      s.acked = result.offset
      s.out.push({ kind: 'progress' })
    }
  })
}

/** The final answer to the request in flight, as the protocol read it; `ms` is how long it took. */
export function receive(s: UploadSession, result: ProtocolResult, response: HttpResponse, ms?: number): Outcome {
  const sent = s.inFlight
  s.inFlight = undefined
  if (!sent) throw new Error('resumable-upload: no request in flight')
  let done: Outcome['done']
  const outcome = run(s, () => {
    if (result.kind === 'error') throw result.error
    const config = s.config
    // Adaptive request sizes (no chunk size): the sizer starts at the size the first requests had.
    if (sent.kind === 'append' && ms !== undefined && sent.length > 0 && config.chunkSize === undefined) {
      ;(config.sizer ??= createRequestSizer({ initial: DEFAULT_CHUNK_SIZE, max: Infinity })).observe(sent.length, ms)
    }
    done = answer(s, sent, result, response)
  })
  return done ? { ...outcome, done } : outcome
}

/** Whether p-retry may try again after `error` (with backoff): retryable and no real progress this round. */
export function shouldRetry(s: UploadSession, error: unknown): boolean {
  return error instanceof UploadError && error.retryable && !progressed(s)
}

/** An attempt will be retried: `retrying`, the capped Retry-After wait, and whether it costs no retry (`atOnce`). */
export function retrying(s: UploadSession, error: UploadError): { outcome: Outcome; waitMs: number; atOnce: boolean } {
  s.failed()
  const outcome = run(s, () => s.enter('retrying'))
  const waitMs = error.retryAfter === undefined ? 0 : retryAfterDelay(error.retryAfter, s.config.maxRetryAfter)
  return { outcome, waitMs, atOnce: error.code === 'too-large' && error.retryable }
}

/** A round of retries ended: go on with a new round (real progress), or the error to fail with. */
export function roundEnded(s: UploadSession, error: unknown): { next: 'round' } | { next: 'fail'; error: unknown } {
  if (error instanceof UploadError && error.retryable && progressed(s)) return { next: 'round' }
  return { next: 'fail', error: outOfRetries(error, s.acked - s.round.ackedAtStart) }
}

function progressed(s: UploadSession): boolean {
  return s.round.learnedUrl || isRealProgress({ stored: s.acked - s.round.ackedAtStart, offered: s.round.offered })
}

/** The upload is done: every byte acknowledged. */
export function finish(s: UploadSession): Outcome {
  s.acked = s.sent = s.config.size ?? s.acked
  return { effects: [{ kind: 'progress' }] }
}
