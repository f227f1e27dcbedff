/**
 * The part plan of a source whose size is unknown until it ends (a stream): parts are read front
 * to back, each held in memory until the server stores it, at most `concurrency` at once. Pure:
 * the loop reports parts read and stored, and asks what to do next.
 * @module
 */
import type { HeldPart } from './parts'

/** Where an open-ended parts upload stands; treat it as immutable. */
export interface OpenPartsState {
  /** Bytes per part (the last may be shorter). */
  readonly partSize: number
  /** Most parts held in memory (read, not yet stored). */
  readonly concurrency: number
  /** The number of the next part to read. */
  readonly next: number
  /** The source's size, once its end was read. */
  readonly size: number | undefined
  /** Parts read and not yet stored. */
  readonly buffered: ReadonlySet<number>
  /** Stored parts' tags, by number. */
  readonly etags: ReadonlyMap<number, string>
}

/**
 * The plan before anything is read.
 * @throws RangeError for a part size or concurrency that is not a positive integer
 */
export function openParts(partSize: number, concurrency: number): OpenPartsState {
  if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError(`partSize must be a positive integer: ${partSize}`)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer: ${concurrency}`)
  return { partSize, concurrency, next: 1, size: undefined, buffered: new Set(), etags: new Map() }
}

/** The part to read now: the next one while the end is not reached and fewer than `concurrency` are held; else undefined. */
export function partToRead(state: OpenPartsState): { number: number; start: number; end: number } | undefined {
  if (state.size !== undefined || state.buffered.size >= state.concurrency) return undefined
  const start = (state.next - 1) * state.partSize
  return { number: state.next, start, end: start + state.partSize }
}

/**
 * Part `number` was read: `length` bytes, `last` when the source ended with them.
 * @throws Error for a part that is not the next one, or a short part that is not the last (a loop bug)
 */
export function openPartRead(state: OpenPartsState, number: number, length: number, last: boolean): OpenPartsState {
  if (number !== state.next || state.size !== undefined) throw new Error(`part ${number} is not the next part to read`)
  if (length < state.partSize && !last) throw new Error(`part ${number} has ${length} bytes and is not the last`)
  const size = last ? (number - 1) * state.partSize + length : undefined
  return { ...state, next: number + 1, size, buffered: new Set(state.buffered).add(number) }
}

/** Part `number` is stored with `etag`: its bytes may go. */
export function openPartDone(state: OpenPartsState, number: number, etag: string): OpenPartsState {
  if (!state.buffered.has(number)) throw new Error(`part ${number} is not held`)
  const buffered = new Set(state.buffered)
  buffered.delete(number)
  return { ...state, buffered, etags: new Map(state.etags).set(number, etag) }
}

/** Bytes in stored parts. */
export function openBytesDone(state: OpenPartsState): number {
  let sum = 0
  for (const number of state.etags.keys())
    sum += number * state.partSize <= (state.size ?? Infinity) ? state.partSize : (state.size ?? 0) - (number - 1) * state.partSize
  return sum
}

/** Every part, in order, once the end was read and every part is stored; else undefined. */
export function openPartsDone(state: OpenPartsState): HeldPart[] | undefined {
  if (state.size === undefined || state.buffered.size > 0) return undefined
  return [...state.etags].sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }))
}
