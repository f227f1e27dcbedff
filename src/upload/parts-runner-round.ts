/**
 * One round of a parts upload: the parts S3 lacks, sent `concurrency` at once, until every part
 * is held (resolves) or one fails for good (every other request is stopped, then it rejects). A
 * round over a source of known size follows a {@link PartsSession}; what ends a round (pause,
 * abort, a failure, S3 forgetting the upload) is the runner's to read.
 * @module
 */
import type { S3HeldPart, S3PlannedPart } from '../protocols/s3-types'
import { partsOutcome } from './parts'
import { asUploadError, isGone } from './parts-runner-calls'
import { sendPart, signAhead, type PartContext } from './parts-runner-part'
import type { PartsSession } from './parts-session'
import type { Effect } from './session-types'

/** What a round needs from the runner. */
export interface RoundIO {
  /** Pause or abort: ends the round with `aborted`. */
  signal: AbortSignal
  /** How to send parts: `stop` ends the round's requests, `sent` reports a part's bytes in flight. */
  context(stop: AbortSignal, sent: (number: number, bytes: number) => void): PartContext
  /** Performs effects (state, chunk); `held` gives the parts held, for the record. */
  apply(effects: readonly Effect[], held: () => S3HeldPart[]): void
  /** Reports progress: bytes held, plus bytes in flight. */
  progress(acked: number, inFlight: number): void
}

/** The parts of one round in flight, and how the round ends. */
export class Flights {
  /** Aborted when the round ends: stops every part request, signing and backoff of the round. */
  readonly stop = new AbortController()
  /** What each part of the round is sent with. */
  readonly context: PartContext
  private readonly sending = new Map<number, number>()
  private readonly tasks = new Set<Promise<void>>()
  private over = false
  private readonly onAbort = (): void => this.end(asUploadError(this.io.signal.reason, this.io.signal))

  /**
   * @param io the runner's side
   * @param acked bytes held now
   * @param settle called once, when the round is over and every request has stopped
   */
  constructor(
    private readonly io: RoundIO,
    private readonly acked: () => number,
    private readonly settle: (error: unknown, parts?: S3HeldPart[]) => void,
  ) {
    this.context = {
      ...io.context(this.stop.signal, (number, bytes) => {
        this.sending.set(number, bytes)
        if (bytes > 0) this.progress()
      }),
      ahead: { parts: new Map(), off: false },
    }
    io.signal.addEventListener('abort', this.onAbort, { once: true })
    if (io.signal.aborted) this.onAbort()
  }

  /** Whether the round is over (later answers are ignored). */
  get ended(): boolean {
    return this.over
  }

  /** Sends `part`; `done` and `failed` run only while the round goes on. */
  launch(part: S3PlannedPart, done: (etag: string) => void, failed: (error: unknown) => void): void {
    const task = sendPart(this.context, part).then(
      (etag) => {
        this.sending.delete(part.number)
        if (!this.over) done(etag)
      },
      (error: unknown) => {
        if (!this.over) failed(error)
      },
    )
    this.tasks.add(task)
    void task.finally(() => this.tasks.delete(task))
  }

  /** Asks for the signatures of `parts` now, while others are in flight, for when their turn comes. */
  signAhead(parts: readonly S3PlannedPart[]): void {
    if (!this.over) for (const part of parts) signAhead(this.context, part)
  }

  /** Reports progress now. */
  progress(): void {
    let inFlight = 0
    for (const bytes of this.sending.values()) inFlight += bytes
    this.io.progress(this.acked(), inFlight)
  }

  /** Ends the round: stops every request, then settles with `parts` (done) or `error`. */
  end(error: unknown, parts?: S3HeldPart[]): void {
    if (this.over) return
    this.over = true
    this.stop.abort()
    this.io.signal.removeEventListener('abort', this.onAbort)
    void Promise.allSettled(this.tasks).then(() => this.settle(error, parts))
  }
}

/** A round over a source of known size: the session hands out parts and reads their outcomes. */
export function sizedRound(session: PartsSession, io: RoundIO): Promise<S3HeldPart[]> {
  return new Promise((resolve, reject) => {
    const flights = new Flights(
      io,
      () => session.acked,
      (error, parts) => (parts === undefined ? reject(error) : resolve(parts)),
    )
    const held = (): S3HeldPart[] => heldParts(session)
    const apply = (effects: readonly Effect[]): void => {
      io.apply(effects, held)
      if (effects.some((effect) => effect.kind === 'progress')) flights.progress()
    }
    const pump = (): void => {
      const { parts, effects } = session.next()
      apply(effects)
      for (const part of parts) {
        flights.launch(
          part,
          (etag) => {
            const outcome = session.partDone(part.number, etag)
            apply(outcome.effects)
            if (outcome.done === undefined) pump()
            else flights.end(undefined, outcome.done)
          },
          (error) => {
            const outcome = session.partFailed(part.number, asUploadError(error, flights.stop.signal))
            // S3 forgot the upload: the runner starts over, this is no failure of the upload.
            if (!isGone(error)) apply(outcome.effects)
            flights.end(outcome.error ?? error)
          },
        )
      }
      // The part after these, signed while they are in flight: a slot that frees sends it at once.
      if (parts.length > 0) flights.signAhead(session.upcoming(1))
    }
    if (flights.ended) return
    const position = session.position
    const outcome = position.kind === 'parts' ? partsOutcome(position.parts) : undefined
    if (outcome?.kind === 'done') flights.end(undefined, outcome.parts)
    else pump()
  })
}

/** The parts a session holds, with their ETags. */
export function heldParts(session: PartsSession): S3HeldPart[] {
  const position = session.position
  if (position.kind !== 'parts') return []
  return [...position.parts.etags].map(([number, etag]) => ({ number, etag }))
}
