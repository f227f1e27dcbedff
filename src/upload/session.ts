/**
 * The upload session: the whole state and every rule of one upload, sans I/O (after h11). The
 * Upload asks it for the next step, performs it (a request, a wait) and feeds the outcome back;
 * the session answers with effects (events, record writes, a best-effort DELETE) and, when a rule
 * is broken, a typed error. No timers, no clock, no globals: a request's duration arrives with
 * its response. Offset protocols have one request in flight; protocols with parts use the part
 * scheduler (./parts).
 * @module
 */
import { UploadError } from '../errors'
import type { UploadState } from '../options'
import { checkLimits, isRealProgress, planChunk } from '../protocols/limits'
import type { HttpResponse, InterimResult, ProtocolResult, UploadLimits, UrlSource } from '../types'
import { retryAfterDelay } from '../utils'
import { answer } from './answers'
import { SMALL_CREATION_BODY, checkOffset, outOfRetries, sizeAfter413 } from './rules'
import { FINISHED, type Effect, type Outcome, type Sent, type SessionConfig, type Step, type UploadPosition } from './session-types'
import { DEFAULT_CHUNK_SIZE } from './settings'

export type { Effect, Outcome, Sent, SessionConfig, Step, UploadPosition } from './session-types'

/** One upload's state machine: idle → creating → uploading ⇄ paused | retrying → complete | failed | aborted. */
export class UploadSession {
  state: UploadState = 'idle'
  url: string | undefined
  urlVia: UrlSource | undefined
  /** Bytes the server confirmed. */
  acked = 0
  /** Bytes handed to the network in this attempt, from 0 of the file. */
  sent = 0
  limits: UploadLimits = {}
  /** The server's offset is in doubt: ask (HEAD) before sending another byte. */
  needsOffset = false
  restarts = 0
  mismatches = 0
  inFlight: Sent | undefined
  /** @internal */ offset = 0
  /** @internal */ discovered = false
  private cap = Infinity
  private round = { ackedAtStart: 0, offered: 0, learnedUrl: false }
  /** @internal */ out: Effect[] = []

  /** Where the upload stands: one offset (a protocol with parts uses PartsSession instead). */
  get position(): UploadPosition {
    return { kind: 'offset', offset: this.offset }
  }

  /** @param config what the session needs (the Upload completes it once the source and protocol are known) */
  constructor(public config: SessionConfig) {}

  /** Continues at a known URL (stored record or `url` option): the offset is asked first. */
  resumeAt(url: string, via: UrlSource): Outcome {
    return this.run(() => {
      this.url = url
      this.urlVia = via
      this.needsOffset = true
      if (via === 'stored') this.out.push({ kind: 'url', url, via })
    })
  }

  /** The next step, entering `creating` or `uploading`. Never a request while one is in flight, paused or finished. */
  next(): { step: Step; effects: Effect[] } {
    if (this.state === 'paused' || FINISHED.has(this.state))
      return { step: { kind: 'stopped', state: this.state === 'paused' ? 'paused' : 'aborted' }, effects: [] }
    if (this.inFlight) throw new Error('resumable-upload: a request is already in flight')
    this.out = []
    const step = this.step()
    return { step, effects: this.out }
  }

  private step(): Step {
    if (this.url === undefined) {
      this.enter('creating')
      if (this.config.discovers && !this.discovered) return { kind: 'discover' }
      return { kind: 'create', end: this.creationEnd() }
    }
    this.enter('uploading')
    if (this.needsOffset) return { kind: 'offset', url: this.url }
    return { kind: 'append', url: this.url, offset: this.offset, end: this.plan(this.offset, Infinity) }
  }

  /** The Upload sends `sent` (after slicing the step's bytes). */
  begin(sent: Sent): void {
    if (this.inFlight) throw new Error('resumable-upload: a request is already in flight')
    this.inFlight = sent
    this.round.offered += sent.kind === 'append' || sent.kind === 'create' ? (sent.length ?? 0) : 0
  }

  /** Body bytes of the request in flight left (transport progress). */
  progress(bytes: number): Outcome {
    const start = this.inFlight?.kind === 'append' ? this.inFlight.offset : 0
    this.sent = start + bytes
    return { effects: [{ kind: 'progress' }] }
  }

  /** A 1xx arrived for the request in flight. */
  interim(result: InterimResult): Outcome {
    return this.run(() => {
      const sent = this.inFlight
      if (result.kind === 'location') {
        // The URL first: an upload the 104 created is recorded, then cancelled if its limits refuse the source.
        this.learnUrl(result.url, '104')
        this.mergeLimits(result.limits)
        const max = this.limits.maxAppendSize
        if (sent?.kind === 'create' && max !== undefined && (sent.length ?? 0) > max) {
          throw new UploadError('too-large', "the request is larger than the server's max-append-size", { retryable: true })
        }
      } else if (result.kind === 'progress' && result.offset <= this.sent && result.offset > this.acked) {
        this.acked = result.offset
        this.out.push({ kind: 'progress' })
      }
    })
  }

  /** The final answer to the request in flight, as the protocol read it; `ms` is how long it took. */
  receive(result: ProtocolResult, response: HttpResponse, ms?: number): Outcome {
    const sent = this.inFlight
    this.inFlight = undefined
    if (!sent) throw new Error('resumable-upload: no request in flight')
    let done: Outcome['done']
    const outcome = this.run(() => {
      if (result.kind === 'error') throw result.error
      if (sent.kind === 'append' && ms !== undefined && sent.length > 0) this.config.sizer?.observe(sent.length, ms)
      done = answer(this, sent, result, response)
    })
    return done ? { ...outcome, done } : outcome
  }

  /** The request in flight failed (network, timeout, a refused interim): the offset is in doubt. */
  failed(): void {
    this.inFlight = undefined
    this.needsOffset = this.url !== undefined
  }

  /** Whether p-retry may try again after `error` (with backoff): retryable and no real progress this round. */
  shouldRetry(error: unknown): boolean {
    return error instanceof UploadError && error.retryable && !this.progressed()
  }

  /** An attempt will be retried: `retrying`, the capped Retry-After wait, and whether it costs no retry (`atOnce`). */
  retrying(error: UploadError): { outcome: Outcome; waitMs: number; atOnce: boolean } {
    this.failed()
    const outcome = this.run(() => this.enter('retrying'))
    const waitMs = error.retryAfter === undefined ? 0 : retryAfterDelay(error.retryAfter, this.config.maxRetryAfter)
    return { outcome, waitMs, atOnce: error.code === 'too-large' && error.retryable }
  }

  /** A round of retries ended: go on with a new round (real progress), or the error to fail with. */
  roundEnded(error: unknown): { next: 'round' } | { next: 'fail'; error: unknown } {
    if (error instanceof UploadError && error.retryable && this.progressed()) return { next: 'round' }
    return { next: 'fail', error: outOfRetries(error, this.acked - this.round.ackedAtStart) }
  }

  /** Starts a round: the attempts until the next real progress share the retry count. */
  newRound(): void {
    this.round = { ackedAtStart: this.acked, offered: 0, learnedUrl: false }
  }

  /** A new run after a failure or an abort: bounds reset, the offset in doubt. */
  rerun(): Outcome {
    this.restarts = 0
    this.mismatches = 0
    this.inFlight = undefined
    this.needsOffset = this.url !== undefined
    const previous = this.state
    this.state = 'idle'
    return { effects: [{ kind: 'state', state: 'idle', previous }] }
  }

  /** pause(), resume(), abort(), or the end of the run. */
  setState(state: UploadState): Outcome {
    if (state === 'uploading' || state === 'creating') this.needsOffset = this.url !== undefined
    return this.run(() => this.enter(state))
  }

  /** The upload is done: every byte acknowledged. */
  finish(): Outcome {
    const size = this.config.size ?? this.acked
    this.acked = size
    this.sent = size
    return { effects: [{ kind: 'progress' }] }
  }

  /** Accepts an upload URL from a 104 or a creation response, after the origin and consistency checks. */
  /** @internal */
  learnUrl(url: string, via: UrlSource): void {
    if (!this.config.trusted(url)) {
      throw new UploadError('location-refused', 'the server sent an upload URL on an origin that is not allowed (see `allowedOrigins`)', { retryable: false })
    }
    // One creation request makes one upload: a later 104 or its final response must name the same URL.
    if (this.url !== undefined && this.urlVia === '104') {
      if (url === this.url) return
      this.out.push({ kind: 'cancel', url: this.url })
      throw new UploadError('location-changed', 'the server named two upload URLs for one creation', { retryable: false })
    }
    if (this.url === url) return
    this.url = url
    this.urlVia = via
    this.round.learnedUrl = true
    this.out.push({ kind: 'url', url, via })
  }

  /** @internal */
  acceptOffset(offset: number): void {
    checkOffset(offset, this.config.size, this.acked)
    this.offset = offset
    this.acked = offset
    this.sent = Math.max(this.sent, offset)
    this.out.push({ kind: 'progress' })
  }

  /** The server confirmed `[start, offset)`: listeners and the store hear of it (once per request). */
  /** @internal */
  acknowledged(start: number): void {
    this.out.push({ kind: 'chunk', start, end: this.offset, save: true })
  }

  /** @internal */
  mergeLimits(limits: UploadLimits): void {
    this.limits = { ...this.limits, ...limits }
    const error = checkLimits(this.config.size, this.limits)
    if (!error) return
    if (this.url !== undefined) this.out.push({ kind: 'cancel', url: this.url })
    throw error
  }

  /** @internal */
  shrink(limits: UploadLimits, sent: number): undefined {
    this.mergeLimits(limits)
    this.cap = Math.min(this.cap, sizeAfter413(sent, this.limits))
    this.needsOffset = this.url !== undefined
    return undefined
  }

  /** @internal */
  restartAfterGone(): undefined {
    if (!this.config.restartOnGone || this.config.endpoint === undefined) {
      throw new UploadError('upload-gone', 'the upload no longer exists on the server', { retryable: false })
    }
    if (this.restarts >= this.config.maxRestarts) throw new UploadError('upload-gone', 'the upload was gone again (see `maxRestarts`)', { retryable: false })
    this.restarts++
    this.out.push({ kind: 'forget' })
    this.url = undefined
    this.urlVia = undefined
    this.offset = 0
    this.acked = 0
    this.sent = 0
    this.round.ackedAtStart = 0
    this.needsOffset = false
    return undefined
  }

  /** @internal */
  finalUrl(url: string | undefined): string {
    const final = url ?? this.url ?? this.config.endpoint
    if (final === undefined) throw new UploadError('location-missing', 'the upload completed without any URL', { retryable: false })
    return final
  }

  /**
   * The end of a creation body: none where no 1xx can be seen (the URL must be known before any
   * byte goes); a whole chunk where a 104 names the URL; else at most 1 MiB (tus in Node: a cut
   * during creation loses the URL and every byte sent).
   */
  private creationEnd(): number | undefined {
    if (!this.config.seesInterimResponses) return undefined
    return this.plan(0, this.config.earlyLocation ? Infinity : SMALL_CREATION_BODY)
  }

  private plan(offset: number, largest: number): number {
    const wanted = this.config.chunkSize ?? this.config.sizer?.size() ?? DEFAULT_CHUNK_SIZE
    // A stream of unknown length is never buffered whole: it goes in default-sized chunks.
    const chunkSize = Math.min(largest, this.cap, this.config.size === undefined && wanted === Infinity ? DEFAULT_CHUNK_SIZE : wanted)
    return planChunk({ offset, size: this.config.size, chunkSize, limits: this.limits })
  }

  private progressed(): boolean {
    return this.round.learnedUrl || isRealProgress({ stored: this.acked - this.round.ackedAtStart, offered: this.round.offered })
  }

  private enter(state: UploadState): void {
    if (state === this.state || FINISHED.has(this.state)) return
    const previous = this.state
    this.state = state
    this.out.push({ kind: 'state', state, previous })
  }

  private run(rule: () => void): Outcome {
    this.out = []
    try {
      rule()
      return { effects: this.out }
    } catch (error) {
      if (!(error instanceof UploadError)) throw error
      return { effects: this.out, error }
    }
  }
}
