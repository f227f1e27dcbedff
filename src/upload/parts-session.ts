/**
 * The session for protocols whose position is "a set of parts in flight" (S3 multipart, Azure
 * block blobs), beside {@link UploadSession}'s "one offset". Same shape: steps out, events in,
 * effects and typed errors back; pure (no I/O, timers or clock). Resume is the list of parts the
 * server holds. No protocol uses it yet; it fixes the model the next protocols plug into.
 * @module
 */
import type { UploadError } from '../errors'
import type { UploadState } from '../options'
import {
  applyPartEvent,
  bytesDone,
  nextParts,
  partsOutcome,
  pendingParts,
  planParts,
  type HeldPart,
  type Part,
  type PartPlanInput,
  type PartsState,
} from './parts'
import type { Effect, UploadPosition } from './session-types'

/** The answer to a part event: effects, then the error that ends the upload, or every part's tag. */
export interface PartsOutcome {
  effects: Effect[]
  error?: UploadError
  done?: HeldPart[]
}

const FINISHED: ReadonlySet<UploadState> = new Set(['complete', 'failed', 'aborted'])

/** Sends parts, at most `concurrency` at once, until every part is held or one fails for good. */
export class PartsSession {
  state: UploadState = 'idle'
  private parts: PartsState

  /** @param input size, part size, concurrency, attempts per part and the parts the server holds */
  constructor(input: PartPlanInput) {
    this.parts = planParts(input)
  }

  /** The position: which parts are held, in flight or pending. */
  get position(): UploadPosition {
    return { kind: 'parts', parts: this.parts }
  }

  /** Bytes in parts the server holds. */
  get acked(): number {
    return bytesDone(this.parts)
  }

  /** The parts to send now (none while paused or finished), each marked in flight. */
  next(): { parts: Part[]; effects: Effect[] } {
    if (this.state === 'paused' || FINISHED.has(this.state)) return { parts: [], effects: [] }
    const effects = this.enter('uploading')
    const parts = nextParts(this.parts)
    for (const part of parts) this.parts = applyPartEvent(this.parts, { kind: 'started', number: part.number })
    return { parts, effects }
  }

  /** The first `count` parts {@link next} would hand out once slots free (none while paused or finished); nothing changes. */
  upcoming(count: number): Part[] {
    if (this.state === 'paused' || FINISHED.has(this.state)) return []
    return pendingParts(this.parts, count)
  }

  /** Part `number` is stored with `etag`. */
  partDone(number: number, etag: string): PartsOutcome {
    this.parts = applyPartEvent(this.parts, { kind: 'done', number, etag })
    const part = this.parts.parts[number - 1] as Part
    const effects: Effect[] = [{ kind: 'chunk', start: part.start, end: part.end, save: true }, { kind: 'progress' }]
    const outcome = partsOutcome(this.parts)
    return outcome.kind === 'done' ? { effects, done: outcome.parts } : { effects }
  }

  /** Part `number` failed; a retryable failure sends it again until its attempts run out. */
  partFailed(number: number, error: UploadError): PartsOutcome {
    this.parts = applyPartEvent(this.parts, { kind: 'failed', number, retryable: error.retryable })
    if (partsOutcome(this.parts).kind !== 'failed') return { effects: [] }
    return { effects: this.enter('failed'), error }
  }

  /** pause(), resume(), abort(), or the end of the run. */
  setState(state: UploadState): Effect[] {
    return this.enter(state)
  }

  private enter(state: UploadState): Effect[] {
    if (state === this.state || FINISHED.has(this.state)) return []
    const previous = this.state
    this.state = state
    return [{ kind: 'state', state, previous }]
  }
}
