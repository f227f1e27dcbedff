/**
 * The part scheduler for protocols that send a file as numbered parts, several at a time (S3
 * multipart, Azure block blobs). Pure: a plan and events in, the parts to send next out; no I/O,
 * no timers. Resume is "which parts does the server hold": those start out done.
 * @module
 */

/** One part: its number (1-based, as S3 counts) and the byte range `[start, end)` it carries. */
export interface Part {
  /** 1-based part number. */
  number: number
  /** First byte. */
  start: number
  /** End of the range (exclusive). */
  end: number
}

/** A part the server already holds (from a list-parts answer), with its entity tag. */
export interface HeldPart {
  /** 1-based part number. */
  number: number
  /** The server's tag for the stored part. */
  etag: string
}

/** Input of {@link planParts}. */
export interface PartPlanInput {
  /** Size of the source in bytes. */
  size: number
  /** Bytes per part (the last one may be shorter). */
  partSize: number
  /** Most parts in flight at once. */
  concurrency: number
  /** Attempts one part may take before the upload fails. Default: 3. */
  maxAttempts?: number
  /** Parts the server holds already: they are not sent again. Default: none. */
  held?: readonly HeldPart[]
}

/** Where one part stands. */
export type PartStatus = 'pending' | 'sending' | 'done' | 'failed'

/** The scheduler's whole state; treat it as immutable (every function returns a new one). */
export interface PartsState {
  /** Every part of the source, in order. */
  readonly parts: readonly Part[]
  /** Most parts in flight. */
  readonly concurrency: number
  /** Attempts per part. */
  readonly maxAttempts: number
  /** Status by part number. */
  readonly status: ReadonlyMap<number, PartStatus>
  /** Attempts started, by part number. */
  readonly attempts: ReadonlyMap<number, number>
  /** Tags of done parts, by part number. */
  readonly etags: ReadonlyMap<number, string>
}

/** What happened to one part. */
export type PartEvent =
  { kind: 'started'; number: number } | { kind: 'done'; number: number; etag: string } | { kind: 'failed'; number: number; retryable: boolean }

/** Where the whole set stands. */
export type PartsOutcome = { kind: 'running'; inFlight: number } | { kind: 'done'; parts: HeldPart[] } | { kind: 'failed'; number: number }

/**
 * The plan for a source: its parts, with those the server holds marked done.
 * @throws RangeError for a size, part size or concurrency that is not a valid count, or a held
 *   part number outside the plan
 * @example
 * const state = planParts({ size: 10, partSize: 4, concurrency: 2 }) // parts [0,4) [4,8) [8,10)
 */
export function planParts(input: PartPlanInput): PartsState {
  const { size, partSize, concurrency } = input
  const maxAttempts = input.maxAttempts ?? 3
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a non-negative integer: ${size}`)
  if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError(`partSize must be a positive integer: ${partSize}`)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer: ${concurrency}`)
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer: ${maxAttempts}`)
  // An empty source is one empty part: multipart protocols need at least one.
  const count = Math.max(1, Math.ceil(size / partSize))
  const parts: Part[] = []
  for (let index = 0; index < count; index++) {
    parts.push({ number: index + 1, start: index * partSize, end: Math.min(size, (index + 1) * partSize) })
  }
  const status = new Map<number, PartStatus>(parts.map((part) => [part.number, 'pending']))
  const etags = new Map<number, string>()
  for (const held of input.held ?? []) {
    if (!status.has(held.number)) throw new RangeError(`held part ${held.number} is not one of the ${count} parts`)
    status.set(held.number, 'done')
    etags.set(held.number, held.etag)
  }
  return { parts, concurrency, maxAttempts, status, attempts: new Map(), etags }
}

/**
 * The parts to start now: pending ones, lowest numbers first, as many as leave at most
 * `concurrency` in flight. None once a part failed for good.
 */
export function nextParts(state: PartsState): Part[] {
  return pendingParts(state, state.concurrency - inFlight(state))
}

/** The first `count` pending parts, lowest numbers first; none once a part failed for good or all are done. */
export function pendingParts(state: PartsState, count: number): Part[] {
  if (count < 1 || partsOutcome(state).kind !== 'running') return []
  const pending: Part[] = []
  for (const part of state.parts) {
    if (pending.length >= count) break
    if (state.status.get(part.number) === 'pending') pending.push(part)
  }
  return pending
}

/**
 * The state after `event`.
 * @throws Error for an event that contradicts the state (starting a part that is not pending or
 *   one past the concurrency, finishing or failing one that is not in flight): a loop bug
 */
export function applyPartEvent(state: PartsState, event: PartEvent): PartsState {
  const current = state.status.get(event.number)
  if (current === undefined) throw new Error(`no part ${event.number}`)
  const status = new Map(state.status)
  switch (event.kind) {
    case 'started': {
      if (current !== 'pending') throw new Error(`part ${event.number} is ${current}, not pending`)
      if (inFlight(state) >= state.concurrency) throw new Error(`part ${event.number} would exceed ${state.concurrency} in flight`)
      const attempts = new Map(state.attempts).set(event.number, (state.attempts.get(event.number) ?? 0) + 1)
      return { ...state, status: status.set(event.number, 'sending'), attempts }
    }
    case 'done':
      if (current !== 'sending') throw new Error(`part ${event.number} is ${current}, not in flight`)
      return { ...state, status: status.set(event.number, 'done'), etags: new Map(state.etags).set(event.number, event.etag) }
    case 'failed': {
      if (current !== 'sending') throw new Error(`part ${event.number} is ${current}, not in flight`)
      const spent = (state.attempts.get(event.number) ?? 0) >= state.maxAttempts
      return { ...state, status: status.set(event.number, event.retryable && !spent ? 'pending' : 'failed') }
    }
  }
}

/** Running (with how many in flight), done (every part's tag, in order), or failed (which part). */
export function partsOutcome(state: PartsState): PartsOutcome {
  const failed = state.parts.find((part) => state.status.get(part.number) === 'failed')
  if (failed) return { kind: 'failed', number: failed.number }
  if (state.parts.every((part) => state.status.get(part.number) === 'done')) {
    return { kind: 'done', parts: state.parts.map((part) => ({ number: part.number, etag: state.etags.get(part.number) ?? '' })) }
  }
  return { kind: 'running', inFlight: inFlight(state) }
}

/** Bytes in parts the server holds: the acknowledged count of a parts upload. */
export function bytesDone(state: PartsState): number {
  return state.parts.reduce((sum, part) => sum + (state.status.get(part.number) === 'done' ? part.end - part.start : 0), 0)
}

function inFlight(state: PartsState): number {
  let count = 0
  for (const value of state.status.values()) if (value === 'sending') count++
  return count
}
