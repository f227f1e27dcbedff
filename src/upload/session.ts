/**
 * The upload session: the whole state and every rule of one upload, sans I/O (after h11). The
 * Upload asks it for the next step, performs it (a request, a wait) and feeds the outcome back;
 * the session answers with effects (events, record writes, a best-effort DELETE) and, when a rule
 * is broken, a typed error. No timers, no clock, no globals: a request's duration arrives with
 * its response. Offset protocols have one request in flight; protocols with parts use the part
 * scheduler (./parts).
 *
 * This file holds what runs before the first byte is sent (the state and the next step); how
 * the session reads answers and failures (./responses, ./answers), and how many bytes a request
 * carries (./plan, handed to `next`), load once the first request is on its way (./later).
 * @module
 */
import type { UploadState } from '../options'
import type { UploadLimits, UrlSource } from '../types'
import { FINISHED, type Effect, type Outcome, type Sent, type SessionConfig, type Step, type UploadPosition } from './session-types'

export type { Effect, Outcome, Sent, SessionConfig, Step, UploadPosition } from './session-types'

/** The most a creation request carries when the URL only comes with its answer (tus in Node). */
export const SMALL_CREATION_BODY = 1024 * 1024

/** Sizes a request with a body: the end of its bytes from `offset`, at most `largest` (./plan). */
export type Plan = (session: UploadSession, offset: number, largest: number) => number

/** One upload's state machine: idle → creating → uploading ⇄ paused | retrying → complete | failed | aborted. */
export class UploadSession {
  state: UploadState = 'idle'
  declare url: string | undefined
  declare urlVia: UrlSource | undefined
  /** Bytes the server confirmed. */
  acked = 0
  /** Bytes handed to the network in this attempt, from 0 of the file. */
  sent = 0
  limits: UploadLimits = {}
  /** The server's offset is in doubt: ask (HEAD) before sending another byte. */
  needsOffset = false
  restarts = 0
  mismatches = 0
  declare inFlight: Sent | undefined
  /** @internal */ offset = 0
  /** @internal */ discovered = false
  /** @internal the largest request after a 413 */ cap = Infinity
  /** @internal the attempts since the last real progress */ declare round: { ackedAtStart: number; offered: number; learnedUrl: boolean }
  /** @internal */ out: Effect[] = []

  /** Where the upload stands: one offset (a protocol with parts uses PartsSession instead). */
  get position(): UploadPosition {
    return { kind: 'offset', offset: this.offset }
  }

  /** @param config what the session needs (the Upload completes it once the source and protocol are known) */
  constructor(public config: SessionConfig) {
    this.newRound()
  }

  /** Continues at a known URL (stored record or `url` option): the offset is asked first. */
  resumeAt(url: string, via: UrlSource): Outcome {
    this.url = url
    this.urlVia = via
    this.needsOffset = true
    return { effects: via === 'stored' ? [{ kind: 'url', url, via }] : [] }
  }

  /**
   * The next step, entering `creating` or `uploading`. Never a request while one is in flight,
   * paused or finished.
   * @param plan sizes a request with a body (./plan): needed for an append, and for a creation
   *   only where interim responses can be seen; a default browser upload's first step needs none
   */
  next(plan?: Plan): { step: Step; effects: Effect[] } {
    const state = this.state
    if (state === 'paused' || FINISHED.has(state)) return { step: { kind: 'stopped', state: state === 'paused' ? state : 'aborted' }, effects: [] }
    this.#idle()
    this.out = []
    return { step: this.#step(plan as Plan), effects: this.out }
  }

  #step(plan: Plan): Step {
    const url = this.url
    if (url === undefined) {
      this.enter('creating')
      if (this.config.discovers && !this.discovered) return { kind: 'discover' }
      // No creation body where no 1xx can be seen (the URL must be known before any byte goes); a
      // whole chunk where a 104 names the URL; else at most 1 MiB (tus in Node: a cut during creation loses every byte sent).
      return { kind: 'create', end: this.config.seesInterimResponses ? plan(this, 0, this.config.earlyLocation ? Infinity : SMALL_CREATION_BODY) : undefined }
    }
    this.enter('uploading')
    return this.needsOffset ? { kind: 'offset', url } : { kind: 'append', url, offset: this.offset, end: plan(this, this.offset, Infinity) }
  }

  /** The Upload sends `sent` (after slicing the step's bytes). */
  begin(sent: Sent): void {
    this.#idle()
    this.inFlight = sent
    this.round.offered += 'length' in sent ? (sent.length ?? 0) : 0
  }

  /** Body bytes of the request in flight left (transport progress). */
  progress(bytes: number): Outcome {
    this.sent = (this.inFlight?.kind === 'append' ? this.inFlight.offset : 0) + bytes
    return { effects: [{ kind: 'progress' }] }
  }

  /** The request in flight failed (network, timeout, a refused interim): the offset is in doubt. */
  failed(): void {
    this.inFlight = undefined
    this.needsOffset = this.url !== undefined
  }

  /** Starts a round: the attempts until the next real progress share the retry count. */
  newRound(): void {
    this.round = { ackedAtStart: this.acked, offered: 0, learnedUrl: false }
  }

  /** A new run after a failure or an abort: bounds reset, the offset in doubt. */
  rerun(): Outcome {
    this.restarts = this.mismatches = 0
    this.failed()
    const previous = this.state
    this.state = 'idle'
    return { effects: [{ kind: 'state', state: 'idle', previous }] }
  }

  /** pause(), resume(), abort(), or the end of the run. */
  setState(state: UploadState): Outcome {
    if (state === 'uploading' || state === 'creating') this.needsOffset = this.url !== undefined
    this.out = []
    this.enter(state)
    return { effects: this.out }
  }

  #idle(): void {
    if (this.inFlight) throw new Error('resumable-upload: a request is already in flight')
  }

  /** @internal */
  enter(state: UploadState): void {
    const previous = this.state
    if (state === previous || FINISHED.has(previous)) return
    this.state = state
    this.out.push({ kind: 'state', state, previous })
  }
}
