/**
 * The pure upload session (src/upload/session.ts, with its response side src/upload/responses.ts
 * that the Upload loads after the first byte), with no network: table tests of each rule
 * (chunk plan, HEAD after failure, completion checks, offsets, mismatches, gone and restarts,
 * 104 locations, 413 shrinking, limits, Retry-After cap, real progress, pause/resume, adaptive
 * sizes), and property tests that drive it with random answers from a hostile server (seeded, so
 * a failure replays) and check the invariants after every event.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import type { RequestSizer } from '../../src/upload/request-size'
import { finish, interim, receive, retrying, roundEnded, shouldRetry } from '../../src/upload/responses'
import { plan } from '../../src/upload/plan'
import { UploadSession, type Effect, type Outcome, type SessionConfig, type Step } from '../../src/upload/session'
import type { HttpResponse, ProtocolResult } from '../../src/types'
import { seededRandom } from '../support/files'

const KiB = 1024
const MiB = 1024 * KiB
const ENDPOINT = 'https://up.example/files'
const URL1 = 'https://up.example/files/1'
const URL2 = 'https://up.example/files/2'
const ok: HttpResponse = { status: 204, headers: {}, body: '' }

function config(overrides: Partial<SessionConfig> = {}): SessionConfig {
  return {
    size: 10 * MiB,
    endpoint: ENDPOINT,
    chunkSize: 4 * MiB,
    seesInterimResponses: false,
    earlyLocation: true,
    discovers: false,
    trusted: (url) => url.startsWith('https://up.example/'),
    restartOnGone: true,
    maxRestarts: 3,
    maxRetryAfter: 300,
    ...overrides,
  }
}

/** Sends the next step's request with the bytes it asked for (or all that remain) and returns it. */
function send(session: UploadSession): Step {
  const { step } = session.next(plan)
  const size = session.config.size ?? Infinity
  if (step.kind === 'create') {
    const length = step.end === undefined ? undefined : Math.min(step.end, size)
    session.begin({ kind: 'create', length, complete: length === size })
  } else if (step.kind === 'append') {
    const end = Math.min(step.end, size)
    session.begin({ kind: 'append', url: step.url, offset: step.offset, length: end - step.offset, complete: end === size })
  } else if (step.kind === 'offset') session.begin({ kind: 'offset', url: step.url })
  else if (step.kind === 'discover') session.begin({ kind: 'discover' })
  return step
}

function created(session: UploadSession, url = URL1): Outcome {
  send(session)
  return receive(session, { kind: 'created', url, offset: undefined, limits: {} }, ok)
}

function kinds(effects: Effect[]): string[] {
  return effects.map((effect) => effect.kind)
}

describe('steps', () => {
  it('creates (empty where no 1xx is seen), then appends in chunks, then completes', () => {
    const session = new UploadSession(config())
    expect(send(session)).toEqual({ kind: 'create', end: undefined })
    expect(session.state).toBe('creating')
    const learned = receive(session, { kind: 'created', url: URL1, offset: undefined, limits: {} }, ok)
    expect(learned.effects).toContainEqual({ kind: 'url', url: URL1, via: 'created' })
    expect(send(session)).toEqual({ kind: 'append', url: URL1, offset: 0, end: 4 * MiB })
    expect(receive(session, { kind: 'appended', offset: 4 * MiB, limits: {} }, ok).effects).toContainEqual({
      kind: 'chunk',
      start: 0,
      end: 4 * MiB,
      save: true,
    })
    expect(send(session)).toMatchObject({ kind: 'append', offset: 4 * MiB, end: 8 * MiB })
    receive(session, { kind: 'appended', offset: 8 * MiB, limits: {} }, ok)
    expect(send(session)).toMatchObject({ kind: 'append', offset: 8 * MiB, end: 10 * MiB })
    const done = receive(session, { kind: 'complete', url: undefined, response: ok, offset: 10 * MiB }, ok)
    expect(done.done).toEqual({ url: URL1, response: ok })
    expect(session.acked).toBe(8 * MiB)
    expect(session.position).toEqual({ kind: 'offset', offset: 8 * MiB })
    expect(kinds(finish(session).effects)).toEqual(['progress'])
    expect(session.acked).toBe(10 * MiB)
  })

  it('a creation carries a whole chunk where a 104 names the URL, at most 1 MiB where none can (tus in Node)', () => {
    expect(send(new UploadSession(config({ seesInterimResponses: true })))).toEqual({ kind: 'create', end: 4 * MiB })
    expect(send(new UploadSession(config({ seesInterimResponses: true, earlyLocation: false })))).toEqual({ kind: 'create', end: MiB })
  })

  it('the first step where no 1xx can be seen (a browser) is a creation without a body, planned without ./plan', () => {
    const session = new UploadSession(config())
    expect(session.next().step).toEqual({ kind: 'create', end: undefined })
    expect(new UploadSession(config({ size: undefined })).next().step).toEqual({ kind: 'create', end: undefined })
  })

  it('discovers once before the first creation when the protocol does', () => {
    const session = new UploadSession(config({ discovers: true }))
    expect(send(session)).toEqual({ kind: 'discover' })
    receive(session, { kind: 'discovered', limits: { maxAppendSize: 2 * MiB } }, ok)
    expect(send(session)).toEqual({ kind: 'create', end: undefined })
    receive(session, { kind: 'created', url: URL1, offset: undefined, limits: {} }, ok)
    expect(send(session)).toMatchObject({ kind: 'append', end: 2 * MiB })
  })

  it('a stream of unknown length goes in default-sized chunks even with chunkSize Infinity', () => {
    const session = new UploadSession(config({ size: undefined, chunkSize: Infinity }))
    created(session)
    expect(send(session)).toMatchObject({ kind: 'append', offset: 0, end: 8 * MiB })
  })

  it('never a second request while one is in flight', () => {
    const session = new UploadSession(config())
    send(session)
    expect(() => session.next(plan)).toThrow(/in flight/)
    expect(() => session.begin({ kind: 'offset', url: URL1 })).toThrow(/in flight/)
  })

  it('with no chunk size asks the sizer, and feeds it each append’s duration', () => {
    const observed: Array<[number, number]> = []
    let size = 3 * MiB
    const sizer: RequestSizer = { size: () => size, observe: (bytes, ms) => void observed.push([bytes, ms]) }
    const session = new UploadSession(config({ chunkSize: undefined, sizer }))
    created(session)
    expect(send(session)).toMatchObject({ end: 3 * MiB })
    receive(session, { kind: 'appended', offset: 3 * MiB, limits: {} }, ok, 120)
    expect(observed).toEqual([[3 * MiB, 120]])
    size = 5 * MiB
    expect(send(session)).toMatchObject({ offset: 3 * MiB, end: 8 * MiB })
  })
})

describe('after a failure', () => {
  it('asks the server (HEAD) before sending another byte, and resumes from its offset', () => {
    const session = new UploadSession(config())
    created(session)
    send(session)
    session.failed()
    expect(send(session)).toEqual({ kind: 'offset', url: URL1 })
    receive(session, { kind: 'offset', offset: 3 * MiB, complete: false, length: undefined, limits: {} }, ok)
    expect(send(session)).toMatchObject({ kind: 'append', offset: 3 * MiB })
  })

  it('a retry enters retrying and caps Retry-After at maxRetryAfter', () => {
    const session = new UploadSession(config({ maxRetryAfter: 2 }))
    created(session)
    const error = new UploadError('http-status', 'busy', { status: 503, retryAfter: 3600 })
    const { outcome, waitMs, atOnce } = retrying(session, error)
    expect(outcome.effects).toContainEqual({ kind: 'state', state: 'retrying', previous: 'creating' })
    expect(waitMs).toBe(2000)
    expect(atOnce).toBe(false)
    expect(retrying(session, new UploadError('too-large', 'x', { retryable: true })).atOnce).toBe(true)
  })

  it('retries only without real progress this round; a round with progress starts a new one', () => {
    const session = new UploadSession(config())
    session.newRound()
    const cut = new UploadError('network', 'reset')
    expect(shouldRetry(session, cut)).toBe(true)
    created(session)
    // A URL learned is progress on its own.
    expect(shouldRetry(session, cut)).toBe(false)
    expect(roundEnded(session, cut)).toEqual({ next: 'round' })
    session.newRound()
    expect(shouldRetry(session, cut)).toBe(true)
    expect(shouldRetry(session, new UploadError('offset-invalid', 'x', { retryable: false }))).toBe(false)
  })

  it('a server that stores a few bytes of each request ends in no-progress', () => {
    const session = new UploadSession(config())
    created(session)
    session.newRound()
    send(session)
    const first = receive(session, { kind: 'appended', offset: 10, limits: {} }, ok)
    expect(first.error).toMatchObject({ code: 'no-progress', retryable: true })
    expect(shouldRetry(session, first.error)).toBe(true)
    const end = roundEnded(session, new UploadError('network', 'cut'))
    expect(end).toMatchObject({ next: 'fail', error: { code: 'no-progress', retryable: false } })
  })
})

describe('what the server may claim', () => {
  const cases: Array<[string, ProtocolResult, string]> = [
    ['an offset beyond the source', { kind: 'offset', offset: 11 * MiB, complete: false, length: undefined, limits: {} }, 'offset-invalid'],
    ['another length', { kind: 'offset', offset: 0, complete: false, length: 5, limits: {} }, 'length-mismatch'],
    ['complete short of the length', { kind: 'offset', offset: 5, complete: true, length: undefined, limits: {} }, 'offset-invalid'],
    ['an answer to another request', { kind: 'created', url: URL1, offset: 0, limits: {} }, 'malformed-response'],
  ]
  it.each(cases)('HEAD: %s fails', (_, result, code) => {
    const session = new UploadSession(config())
    session.resumeAt(URL1, 'stored')
    send(session)
    expect(receive(session, result, ok).error).toMatchObject({ code, retryable: false })
  })

  it('an offset that goes backwards fails', () => {
    const session = new UploadSession(config())
    created(session)
    send(session)
    receive(session, { kind: 'appended', offset: 4 * MiB, limits: {} }, ok)
    session.failed()
    send(session)
    expect(receive(session, { kind: 'offset', offset: MiB, complete: false, length: undefined, limits: {} }, ok).error).toMatchObject({
      code: 'offset-invalid',
    })
  })

  it('complete before the last byte, or not complete after it, is malformed', () => {
    const early = new UploadSession(config())
    created(early)
    send(early)
    expect(receive(early, { kind: 'complete', url: undefined, response: ok }, ok).error).toMatchObject({ code: 'malformed-response' })
    const late = new UploadSession(config({ size: MiB }))
    created(late)
    send(late)
    expect(receive(late, { kind: 'appended', offset: MiB, limits: {} }, ok).error).toMatchObject({ code: 'malformed-response' })
  })

  it('more than 3 mismatches in a row fail with offset-invalid', () => {
    const session = new UploadSession(config())
    created(session)
    for (let index = 0; index < 3; index++) {
      send(session)
      expect(receive(session, { kind: 'mismatch', offset: undefined }, ok).error).toBeUndefined()
      expect(send(session)).toMatchObject({ kind: 'offset' })
      receive(session, { kind: 'offset', offset: 0, complete: false, length: undefined, limits: {} }, ok)
    }
    send(session)
    expect(receive(session, { kind: 'mismatch', offset: 0 }, ok).error).toMatchObject({ code: 'offset-invalid' })
  })
})

describe('gone uploads', () => {
  it('restart afresh (the record forgotten, bytesAcked back to 0), at most maxRestarts times', () => {
    const session = new UploadSession(config({ maxRestarts: 2 }))
    for (let restart = 0; restart < 3; restart++) {
      created(session)
      send(session)
      receive(session, { kind: 'appended', offset: 4 * MiB, limits: {} }, ok)
      send(session)
      const gone = receive(session, { kind: 'gone' }, ok)
      if (restart < 2) {
        expect(kinds(gone.effects)).toEqual(['forget'])
        expect(session.acked).toBe(0)
        expect(session.url).toBeUndefined()
      } else expect(gone.error).toMatchObject({ code: 'upload-gone' })
    }
  })

  it('fail at once with restartOnGone false, or without an endpoint', () => {
    for (const overrides of [{ restartOnGone: false }, { endpoint: undefined }]) {
      const session = new UploadSession(config(overrides))
      session.resumeAt(URL1, 'stored')
      send(session)
      expect(receive(session, { kind: 'gone' }, ok).error).toMatchObject({ code: 'upload-gone' })
    }
  })
})

describe('104 locations and limits', () => {
  it('a 104 names the URL; a final response naming another is location-changed, and the first is cancelled', () => {
    const session = new UploadSession(config({ seesInterimResponses: true }))
    send(session)
    expect(interim(session, { kind: 'location', url: URL1, limits: {} }).effects).toContainEqual({ kind: 'url', url: URL1, via: '104' })
    expect(interim(session, { kind: 'location', url: URL1, limits: {} }).effects).toEqual([])
    const changed = receive(session, { kind: 'created', url: URL2, offset: 0, limits: {} }, ok)
    expect(changed.error).toMatchObject({ code: 'location-changed' })
    expect(changed.effects).toContainEqual({ kind: 'cancel', url: URL1 })
  })

  it('a URL on an origin that is not allowed is refused', () => {
    const session = new UploadSession(config({ seesInterimResponses: true }))
    send(session)
    expect(interim(session, { kind: 'location', url: 'https://evil.example/1', limits: {} }).error).toMatchObject({ code: 'location-refused' })
  })

  it('a 104 whose max-append-size the request exceeds stops it (retry at once, then smaller requests)', () => {
    const session = new UploadSession(config({ seesInterimResponses: true }))
    send(session)
    const stopped = interim(session, { kind: 'location', url: URL1, limits: { maxAppendSize: MiB } })
    expect(stopped.error).toMatchObject({ code: 'too-large', retryable: true })
    session.failed()
    expect(send(session)).toEqual({ kind: 'offset', url: URL1 })
    receive(session, { kind: 'offset', offset: 100, complete: false, length: undefined, limits: {} }, ok)
    expect(send(session)).toMatchObject({ kind: 'append', offset: 100, end: 100 + MiB })
  })

  it('interim progress moves bytesAcked only within the bytes sent', () => {
    const session = new UploadSession(config())
    created(session)
    send(session)
    session.progress(2 * MiB)
    expect(kinds(interim(session, { kind: 'progress', offset: MiB }).effects)).toEqual(['progress'])
    expect(session.acked).toBe(MiB)
    expect(interim(session, { kind: 'progress', offset: 3 * MiB }).effects).toEqual([])
    expect(session.acked).toBe(MiB)
  })

  it('limits the source cannot meet fail with limit-unusable (or too-large), cancelling a known upload', () => {
    const session = new UploadSession(config())
    send(session)
    const outcome = receive(session, { kind: 'created', url: URL1, offset: undefined, limits: { maxAppendSize: 10 } }, ok)
    expect(outcome.error).toMatchObject({ code: 'limit-unusable' })
    expect(outcome.effects).toContainEqual({ kind: 'cancel', url: URL1 })
    const big = new UploadSession(config())
    send(big)
    expect(receive(big, { kind: 'created', url: URL1, offset: undefined, limits: { maxSize: MiB } }, ok).error).toMatchObject({ code: 'too-large' })
  })

  it('a 413 halves the request size down to 64 KiB, or obeys a named max-append-size', () => {
    const session = new UploadSession(config({ chunkSize: 256 * KiB, size: MiB }))
    created(session)
    send(session)
    receive(session, { kind: 'too-large', limits: {} }, ok)
    expect(send(session)).toMatchObject({ kind: 'offset' })
    receive(session, { kind: 'offset', offset: 0, complete: false, length: undefined, limits: {} }, ok)
    expect(send(session)).toMatchObject({ end: 128 * KiB })
    receive(session, { kind: 'too-large', limits: {} }, ok)
    send(session)
    receive(session, { kind: 'offset', offset: 0, complete: false, length: undefined, limits: {} }, ok)
    expect(send(session)).toMatchObject({ end: 64 * KiB })
    expect(receive(session, { kind: 'too-large', limits: {} }, ok).error).toMatchObject({ code: 'too-large', retryable: false })
    const named = new UploadSession(config())
    created(named)
    send(named)
    receive(named, { kind: 'too-large', limits: { maxAppendSize: 3 * MiB } }, ok)
    send(named)
    receive(named, { kind: 'offset', offset: 0, complete: false, length: undefined, limits: {} }, ok)
    expect(send(named)).toMatchObject({ end: 3 * MiB })
  })
})

describe('states', () => {
  it('pause stops the steps; resume asks for the offset first; finished sessions send nothing', () => {
    const session = new UploadSession(config())
    created(session)
    expect(session.setState('paused').effects).toEqual([{ kind: 'state', state: 'paused', previous: 'creating' }])
    expect(session.next(plan).step).toEqual({ kind: 'stopped', state: 'paused' })
    session.setState('uploading')
    expect(send(session)).toEqual({ kind: 'offset', url: URL1 })
    session.failed()
    session.setState('aborted')
    expect(session.next(plan).step).toEqual({ kind: 'stopped', state: 'aborted' })
    expect(session.setState('uploading').effects).toEqual([])
    expect(kinds(session.rerun().effects)).toEqual(['state'])
    expect(send(session)).toEqual({ kind: 'offset', url: URL1 })
  })
})

describe('random event sequences (property)', () => {
  it('over 400 seeds: invariants hold after every event, and both endings occur', () => {
    const endings = new Map<string, number>()
    for (let seed = 0; seed < 400; seed++) {
      const state = drive(seed)
      endings.set(state, (endings.get(state) ?? 0) + 1)
    }
    expect(endings.get('complete')).toBeGreaterThan(40)
    expect(endings.get('failed')).toBeGreaterThan(40)
  })
})

/** Drives a session like the Upload does, against a server that answers at random, and checks the invariants. */
function drive(seed: number): string {
  const random = seededRandom(seed)
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T
  const size = pick([0, 1, 1000, 70 * KiB, 3 * MiB])
  const maxRestarts = pick([0, 1, 3])
  const session = new UploadSession(config({ size, chunkSize: pick([64 * KiB, MiB, Infinity]), seesInterimResponses: random() < 0.5, maxRestarts }))
  let acked = 0
  let failedBefore = false
  let requests = 0
  let failures = 0
  session.newRound()
  for (let event = 0; event < 300; event++) {
    const { step } = session.next(plan)
    if (step.kind === 'stopped') break
    if (failedBefore && session.url !== undefined) expect(step.kind, `seed ${seed}`).toBe('offset')
    failedBefore = false
    send(session)
    requests++
    expect(() => session.begin({ kind: 'offset', url: URL1 })).toThrow()
    const outcome = random() < 0.2 ? null : receive(session, answer(step, session, random, size), ok, Math.floor(random() * 5000))
    if (outcome?.effects.some((effect) => effect.kind === 'forget')) acked = 0
    expect(session.acked, `seed ${seed}: bytesAcked never decreases except on restart`).toBeGreaterThanOrEqual(acked)
    acked = session.acked
    expect(session.restarts).toBeLessThanOrEqual(maxRestarts)
    if (outcome?.done) {
      session.setState('complete')
      break
    }
    const error = outcome === null ? new UploadError('network', 'cut') : outcome.error
    if (error === undefined) continue
    session.failed()
    failedBefore = true
    if (!shouldRetry(session, error)) {
      const end = roundEnded(session, error)
      if (end.next === 'fail' || ++failures > 50) {
        session.setState('failed')
        break
      }
      session.newRound()
    } else if (++failures > 50) {
      session.setState('failed')
      break
    }
  }
  expect(['complete', 'failed'], `seed ${seed}: every loop ends`).toContain(session.state)
  expect(session.next(plan).step.kind, `seed ${seed}: nothing after the end`).toBe('stopped')
  expect(requests).toBeLessThan(300)
  return session.state
}

/** A random answer to `step`, mostly sensible, sometimes hostile. */
function answer(step: Step, session: UploadSession, random: () => number, size: number): ProtocolResult {
  const roll = random()
  if (roll < 0.05) return { kind: 'gone' }
  if (roll < 0.08) return { kind: 'mismatch', offset: undefined }
  if (roll < 0.1) return { kind: 'error', error: new UploadError('http-status', 'busy', { status: 503 }) }
  switch (step.kind) {
    case 'discover':
      return { kind: 'discovered', limits: {} }
    case 'create':
      return { kind: 'created', url: random() < 0.5 ? URL1 : URL2, offset: undefined, limits: {} }
    case 'offset': {
      const offset = Math.min(size, session.acked + Math.floor(random() * 2) * 1000)
      return { kind: 'offset', offset, complete: offset === size && random() < 0.9, length: size, limits: {} }
    }
    case 'append': {
      const end = Math.min(step.end, size)
      if (end === size && random() < 0.8) return { kind: 'complete', url: undefined, response: ok, offset: size }
      return { kind: 'appended', offset: random() < 0.1 ? step.offset + 1 : end, limits: {} }
    }
    case 'stopped':
      throw new Error('unreachable')
  }
}
