/**
 * The part scheduler (src/upload/parts.ts): table tests of the plan and of each event, and
 * property tests over random event orders (seeded, so a failure replays): every part is done
 * exactly once, never more than `concurrency` in flight, resume never sends a held part, and
 * every run ends within a bounded number of steps.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { PartsSession } from '../../src/upload/parts-session'
import { applyPartEvent, bytesDone, nextParts, partsOutcome, planParts, type Part, type PartsState } from '../../src/upload/parts'
import { seededRandom } from '../support/files'

describe('planParts', () => {
  it.each([
    {
      size: 10,
      partSize: 4,
      ranges: [
        [0, 4],
        [4, 8],
        [8, 10],
      ],
    },
    {
      size: 8,
      partSize: 4,
      ranges: [
        [0, 4],
        [4, 8],
      ],
    },
    { size: 3, partSize: 4, ranges: [[0, 3]] },
    { size: 0, partSize: 4, ranges: [[0, 0]] },
  ])('cuts $size bytes into parts of $partSize', ({ size, partSize, ranges }) => {
    const state = planParts({ size, partSize, concurrency: 2 })
    expect(state.parts.map((part) => [part.start, part.end])).toEqual(ranges)
    expect(state.parts.map((part) => part.number)).toEqual(ranges.map((_, index) => index + 1))
  })

  it.each([
    { size: -1, partSize: 4, concurrency: 1 },
    { size: 1.5, partSize: 4, concurrency: 1 },
    { size: 10, partSize: 0, concurrency: 1 },
    { size: 10, partSize: 4, concurrency: 0 },
  ])('refuses $size / $partSize / $concurrency', (input) => {
    expect(() => planParts(input)).toThrow(RangeError)
  })

  it('refuses a held part outside the plan', () => {
    expect(() => planParts({ size: 10, partSize: 4, concurrency: 1, held: [{ number: 4, etag: 'x' }] })).toThrow(RangeError)
  })
})

describe('nextParts and events', () => {
  it('starts at most `concurrency` parts, lowest first', () => {
    const state = planParts({ size: 100, partSize: 10, concurrency: 3 })
    expect(nextParts(state).map((part) => part.number)).toEqual([1, 2, 3])
    const started = start(state, 1, 2)
    expect(nextParts(started).map((part) => part.number)).toEqual([3])
    expect(nextParts(start(started, 3))).toEqual([])
  })

  it('resume skips the parts the server holds, and counts their bytes', () => {
    const state = planParts({
      size: 100,
      partSize: 10,
      concurrency: 2,
      held: [
        { number: 1, etag: 'a' },
        { number: 3, etag: 'c' },
      ],
    })
    expect(nextParts(state).map((part) => part.number)).toEqual([2, 4])
    expect(bytesDone(state)).toBe(20)
  })

  it('a held set that covers everything is done at once, with the held tags', () => {
    const state = planParts({
      size: 8,
      partSize: 4,
      concurrency: 2,
      held: [
        { number: 2, etag: 'b' },
        { number: 1, etag: 'a' },
      ],
    })
    expect(partsOutcome(state)).toEqual({
      kind: 'done',
      parts: [
        { number: 1, etag: 'a' },
        { number: 2, etag: 'b' },
      ],
    })
    expect(nextParts(state)).toEqual([])
  })

  it('a retryable failure puts the part back until its attempts run out', () => {
    let state = planParts({ size: 4, partSize: 4, concurrency: 1, maxAttempts: 2 })
    state = applyPartEvent(start(state, 1), { kind: 'failed', number: 1, retryable: true })
    expect(nextParts(state).map((part) => part.number)).toEqual([1])
    state = applyPartEvent(start(state, 1), { kind: 'failed', number: 1, retryable: true })
    expect(partsOutcome(state)).toEqual({ kind: 'failed', number: 1 })
    expect(nextParts(state)).toEqual([])
  })

  it('a failure that is not retryable fails the set at once', () => {
    const state = applyPartEvent(start(planParts({ size: 8, partSize: 4, concurrency: 2 }), 1), { kind: 'failed', number: 1, retryable: false })
    expect(partsOutcome(state)).toEqual({ kind: 'failed', number: 1 })
  })

  it.each([
    ['done for a pending part', { kind: 'done', number: 1, etag: 'x' }],
    ['failed for a pending part', { kind: 'failed', number: 1, retryable: true }],
    ['an unknown part', { kind: 'started', number: 9 }],
  ] as const)('refuses %s', (_, event) => {
    expect(() => applyPartEvent(planParts({ size: 8, partSize: 4, concurrency: 2 }), event)).toThrow(Error)
  })

  it('refuses to start a part twice or past the concurrency', () => {
    const state = start(planParts({ size: 8, partSize: 4, concurrency: 1 }), 1)
    expect(() => applyPartEvent(state, { kind: 'started', number: 1 })).toThrow(/not pending/)
    expect(() => applyPartEvent(state, { kind: 'started', number: 2 })).toThrow(/in flight/)
  })
})

describe('random event orders (property)', () => {
  it('over 300 seeds: each part done once, never more than N in flight, held parts never sent', () => {
    for (let seed = 0; seed < 300; seed++) runSeed(seed)
  })
})

function runSeed(seed: number): void {
  const random = seededRandom(seed)
  const partSize = 1 + Math.floor(random() * 8)
  const size = Math.floor(random() * 80)
  const concurrency = 1 + Math.floor(random() * 4)
  const count = Math.max(1, Math.ceil(size / partSize))
  const held = Array.from({ length: count }, (_, index) => index + 1)
    .filter(() => random() < 0.3)
    .map((number) => ({ number, etag: `held-${number}` }))
  let state = planParts({ size, partSize, concurrency, maxAttempts: 1000, held })
  const sent: number[] = []
  const doneEvents: number[] = []
  let flying: Part[] = []
  for (let step = 0; step < 10_000 && partsOutcome(state).kind === 'running'; step++) {
    for (const part of nextParts(state)) {
      state = applyPartEvent(state, { kind: 'started', number: part.number })
      sent.push(part.number)
      flying.push(part)
    }
    expect(flying.length).toBeLessThanOrEqual(concurrency)
    expect(partsOutcome(state)).toMatchObject({ inFlight: flying.length })
    // One part in flight finishes, in a random order; a third of them fail and go again.
    const index = Math.floor(random() * flying.length)
    const part = flying[index] as Part
    flying = flying.filter((_, other) => other !== index)
    if (random() < 0.33) state = applyPartEvent(state, { kind: 'failed', number: part.number, retryable: true })
    else {
      state = applyPartEvent(state, { kind: 'done', number: part.number, etag: `etag-${part.number}` })
      doneEvents.push(part.number)
    }
  }
  const outcome = partsOutcome(state)
  expect(outcome.kind, `seed ${seed}`).toBe('done')
  const heldNumbers = new Set(held.map((part) => part.number))
  expect(sent.filter((number) => heldNumbers.has(number))).toEqual([])
  expect([...doneEvents].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index + 1).filter((number) => !heldNumbers.has(number)))
  if (outcome.kind === 'done') {
    expect(outcome.parts.map((part) => part.etag)).toEqual(
      outcome.parts.map((part) => (heldNumbers.has(part.number) ? `held-${part.number}` : `etag-${part.number}`)),
    )
  }
  expect(bytesDone(state), `seed ${seed}`).toBe(size)
}

function start(state: PartsState, ...numbers: number[]): PartsState {
  return numbers.reduce((next, number) => applyPartEvent(next, { kind: 'started', number }), state)
}

describe('PartsSession (the "set of parts in flight" position)', () => {
  it('sends at most N parts, none while paused, and is done once every part is held', () => {
    const session = new PartsSession({ size: 10, partSize: 4, concurrency: 2, held: [{ number: 2, etag: 'b' }] })
    expect(session.acked).toBe(4)
    const first = session.next()
    expect(first.parts.map((part) => part.number)).toEqual([1, 3])
    expect(first.effects).toEqual([{ kind: 'state', state: 'uploading', previous: 'idle' }])
    expect(session.next().parts).toEqual([])
    session.setState('paused')
    expect(session.partDone(1, 'a').effects).toContainEqual({ kind: 'chunk', start: 0, end: 4, save: true })
    expect(session.next().parts).toEqual([])
    session.setState('uploading')
    expect(session.partDone(3, 'c').done).toEqual([
      { number: 1, etag: 'a' },
      { number: 2, etag: 'b' },
      { number: 3, etag: 'c' },
    ])
    expect(session.acked).toBe(10)
    expect(session.position).toMatchObject({ kind: 'parts' })
  })

  it('a part that keeps failing ends the upload with its error; a retryable one is sent again first', () => {
    const session = new PartsSession({ size: 8, partSize: 4, concurrency: 1, maxAttempts: 2 })
    const cut = new UploadError('network', 'cut')
    session.next()
    expect(session.partFailed(1, cut)).toEqual({ effects: [] })
    expect(session.next().parts.map((part) => part.number)).toEqual([1])
    const failed = session.partFailed(1, cut)
    expect(failed.error).toBe(cut)
    expect(failed.effects).toEqual([{ kind: 'state', state: 'failed', previous: 'uploading' }])
    expect(session.next().parts).toEqual([])
  })
})
