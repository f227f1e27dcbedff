/**
 * The parts runner's retries and callback calls (parts-runner-calls.ts, parts-runner-part.ts)
 * against an in-memory bucket, with a clock and timers the test controls (vi fake timers): a part
 * answered 503 SlowDown or 429 with `Retry-After` (seconds or an HTTP date) waits that long, capped
 * by `maxRetryAfter`, before p-retry's backoff; pause during the wait stops at once. Every upload
 * that completes is checked against the source (length and SHA-256 of the assembled object).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { UploadError } from '../../src/errors'
import type { UploadEvents } from '../../src/options'
import { s3, type S3Callbacks } from '../../src/protocols/s3'
import { bytesSource } from '../../src/sources/bytes'
import type { HttpResponse } from '../../src/types'
import { PartsRunner, type PartSender } from '../../src/upload/parts-runner'
import { randomData, sha256 } from '../support/files'

const MiB = 1024 * 1024
const BUCKET = 'https://bucket.example'
/** Backoff of 1 ms: any longer wait is the Retry-After's. */
const FAST_RETRY = { retries: 3, minTimeout: 1, maxTimeout: 1, factor: 1, randomize: false }

/** An answer the bucket gives instead of storing a part. */
type Refusal = { status: number; code: string; retryAfter?: string }

/**
 * A bucket in memory: the five callbacks, and a part sender that answers the `refusals` first (one
 * per part request, in order), then stores parts. `sends` holds each part request's fake time.
 */
function memoryBucket(refusals: Refusal[]) {
  const parts = new Map<number, Uint8Array>()
  const sends: { part: number; at: number }[] = []
  let object: Uint8Array | undefined
  const callbacks: S3Callbacks = {
    createMultipartUpload: () => ({ uploadId: 'u1', key: 'k1' }),
    signPart: (_file, { partNumber }) => ({ url: `${BUCKET}/k1?partNumber=${partNumber}&uploadId=u1` }),
    listParts: () => [],
    completeMultipartUpload: (_file, { parts: done }) => {
      object = new Uint8Array(done.reduce((sum, part) => sum + (parts.get(part.PartNumber)?.length ?? 0), 0))
      let at = 0
      for (const part of done) {
        object.set(parts.get(part.PartNumber)!, at)
        at += parts.get(part.PartNumber)!.length
      }
      return { location: `${BUCKET}/k1` }
    },
    abortMultipartUpload: () => undefined,
  }
  const send: PartSender = async (request, chunk, hooks) => {
    hooks.signal.throwIfAborted()
    sends.push({ part: request.partNumber, at: Date.now() })
    const refusal = refusals.shift()
    if (refusal !== undefined) {
      const headers: Record<string, string> = refusal.retryAfter === undefined ? {} : { 'retry-after': refusal.retryAfter }
      return { status: refusal.status, headers, body: `<Error><Code>${refusal.code}</Code><Message>slow down</Message></Error>` } satisfies HttpResponse
    }
    parts.set(request.partNumber, new Uint8Array(chunk.body as Uint8Array))
    return { status: 200, headers: { etag: `"${request.partNumber}"` }, body: '' }
  }
  return { callbacks, send, sends, stored: () => object, parts }
}

function runner(bucket: ReturnType<typeof memoryBucket>, bytes: Uint8Array, options: { maxRetryAfter?: number; signal?: AbortSignal } = {}) {
  const retries: UploadEvents['retry'][] = []
  const run = new PartsRunner({
    source: bytesSource(bytes, { name: 'slow.bin' }),
    protocol: s3(bucket.callbacks),
    send: bucket.send,
    concurrency: 1,
    chunkSize: 5 * MiB,
    retry: FAST_RETRY,
    ...(options.maxRetryAfter === undefined ? {} : { maxRetryAfter: options.maxRetryAfter }),
    maxRestarts: 0,
    emit: (name, event) => {
      if (name === 'retry') retries.push(event as UploadEvents['retry'])
    },
    signal: options.signal ?? new AbortController().signal,
  })
  return { run, retries }
}

/** Lets the run go on until the fake clock reaches `ms` from the start, firing timers on the way. */
async function advanceTo(start: number, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(start + ms - Date.now())
}

describe('Retry-After on part retries', () => {
  const START = Date.UTC(2026, 11, 1, 6, 0, 0)
  beforeEach(() => vi.useFakeTimers({ now: START }))
  afterEach(() => vi.useRealTimers())

  it('503 SlowDown with Retry-After: 120 waits 120 s, then the backoff, then stores the part; SHA-256 equal', async () => {
    const data = randomData(6 * MiB)
    const bucket = memoryBucket([{ status: 503, code: 'SlowDown', retryAfter: '120' }])
    const { run, retries } = runner(bucket, data.bytes)
    const done = run.run()
    await advanceTo(START, 119_999)
    expect(bucket.sends.map((send) => send.part)).toEqual([1]) // still waiting
    await advanceTo(START, 120_001) // + 1 ms of backoff
    const result = await done
    expect(bucket.sends).toEqual([
      { part: 1, at: START },
      { part: 1, at: START + 120_001 },
      { part: 2, at: START + 120_001 },
    ])
    expect(retries.map((event) => [event.error.code, event.error.status, event.error.retryAfter])).toEqual([['http-status', 503, 120]])
    expect(result.url).toBe(`${BUCKET}/k1`)
    const stored = bucket.stored()!
    expect([stored.length, sha256(stored)]).toEqual([data.bytes.length, data.sha256])
  })

  it('429 with an HTTP-date Retry-After waits until that date', async () => {
    const data = randomData(1 * MiB)
    const bucket = memoryBucket([{ status: 429, code: 'TooManyRequests', retryAfter: new Date(START + 30_000).toUTCString() }])
    const done = runner(bucket, data.bytes).run.run()
    await advanceTo(START, 29_999)
    expect(bucket.sends).toHaveLength(1)
    await advanceTo(START, 30_001)
    await done
    expect(bucket.sends.map((send) => send.at - START)).toEqual([0, 30_001])
    expect(sha256(bucket.stored()!)).toBe(data.sha256)
  })

  it('a Retry-After beyond maxRetryAfter waits maxRetryAfter (default 300 s; here 10 s)', async () => {
    const data = randomData(1 * MiB)
    const capped = memoryBucket([{ status: 503, code: 'SlowDown', retryAfter: '2000000' }])
    const cappedRun = runner(capped, data.bytes, { maxRetryAfter: 10 }).run.run()
    await advanceTo(START, 10_001)
    await cappedRun
    expect(capped.sends.map((send) => send.at - START)).toEqual([0, 10_001])
    expect(sha256(capped.stored()!)).toBe(data.sha256)

    const restart = Date.now()
    const byDefault = memoryBucket([{ status: 503, code: 'SlowDown', retryAfter: '2000000' }])
    const defaultRun = runner(byDefault, data.bytes).run.run()
    await advanceTo(restart, 299_999)
    expect(byDefault.sends).toHaveLength(1)
    await advanceTo(restart, 300_001)
    await defaultRun
    expect(byDefault.sends.map((send) => send.at - restart)).toEqual([0, 300_001])
    expect(sha256(byDefault.stored()!)).toBe(data.sha256)
  })

  it('without Retry-After only the backoff applies; maxRetryAfter 0 ignores the field', async () => {
    const data = randomData(1 * MiB)
    const bucket = memoryBucket([
      { status: 500, code: 'InternalError' },
      { status: 503, code: 'SlowDown', retryAfter: '60' },
    ])
    const done = runner(bucket, data.bytes, { maxRetryAfter: 0 }).run.run()
    await advanceTo(START, 2)
    await done
    expect(bucket.sends.map((send) => send.at - START)).toEqual([0, 1, 2])
    expect(sha256(bucket.stored()!)).toBe(data.sha256)
  })

  it('a pause during the wait stops at once with aborted: no part is sent again', async () => {
    const data = randomData(1 * MiB)
    const bucket = memoryBucket([{ status: 503, code: 'SlowDown', retryAfter: '120' }])
    const pause = new AbortController()
    const done = runner(bucket, data.bytes, { signal: pause.signal })
      .run.run()
      .catch((error: unknown) => error)
    await advanceTo(START, 5_000)
    pause.abort()
    const error = await done
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'aborted' })
    expect(Date.now()).toBe(START + 5_000)
    await vi.advanceTimersByTimeAsync(200_000)
    expect(bucket.sends).toHaveLength(1)
  })
})

describe('signing ahead', () => {
  const START = Date.UTC(2026, 11, 1, 6, 0, 0)
  beforeEach(() => vi.useFakeTimers({ now: START }))
  afterEach(() => vi.useRealTimers())

  /** The bucket, but each part request takes `putMs` and each signPart `signMs` (fake time); signs and PUT starts logged. */
  function slowBucket(putMs: number, signMs: number) {
    const bucket = memoryBucket([])
    const signs: { part: number; at: number }[] = []
    const sign = bucket.callbacks.signPart
    bucket.callbacks.signPart = async (file, options) => {
      signs.push({ part: options.partNumber, at: Date.now() - START })
      if (signMs > 0) await new Promise((resolve) => setTimeout(resolve, signMs))
      return sign(file, options)
    }
    const send = bucket.send
    const slow: PartSender = async (request, chunk, hooks) => {
      const answer = await send(request, chunk, hooks)
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, putMs)
        hooks.signal.addEventListener('abort', () => (clearTimeout(timer), reject(new UploadError('network', 'cut'))), { once: true })
      })
      return answer
    }
    // Signs asked at the same time come in no fixed order (the one ahead may be asked first): by time, then part.
    const byTime = (a: { part: number; at: number }, b: { part: number; at: number }): number => a.at - b.at || a.part - b.part
    return { ...bucket, send: slow, signs: () => [...signs].sort(byTime), puts: () => bucket.sends.map((put) => ({ part: put.part, at: put.at - START })) }
  }

  it('the next part is signed while the one before is in flight: parts go back to back, no signing wait between them; SHA-256 equal', async () => {
    const data = randomData(11 * MiB) // 3 parts of 5 MiB, one at a time
    const bucket = slowBucket(1000, 100)
    const done = runner(bucket, data.bytes).run.run()
    await vi.advanceTimersByTimeAsync(10_000)
    await done
    // Signed one at a time after each PUT, they would start at 100, 1200 and 2300 ms.
    expect(bucket.puts()).toEqual([
      { part: 1, at: 100 },
      { part: 2, at: 1100 },
      { part: 3, at: 2100 },
    ])
    expect(bucket.signs()).toEqual([
      { part: 1, at: 0 },
      { part: 2, at: 0 },
      { part: 3, at: 1100 },
    ])
    const stored = bucket.stored()!
    expect([stored.length, sha256(stored)]).toEqual([data.bytes.length, data.sha256])
  })

  it('a signature that waited a minute is not used: the part is signed again at its turn, and no later part is signed ahead', async () => {
    const data = randomData(11 * MiB)
    const bucket = slowBucket(61_000, 0) // a slow link: 61 s per part
    const done = runner(bucket, data.bytes).run.run()
    await vi.advanceTimersByTimeAsync(200_000)
    await done
    expect(bucket.signs()).toEqual([
      { part: 1, at: 0 },
      { part: 2, at: 0 }, // ahead, stale at its turn
      { part: 2, at: 61_000 },
      { part: 3, at: 122_000 },
    ])
    expect(bucket.puts().map((put) => put.at)).toEqual([0, 61_000, 122_000])
    expect(sha256(bucket.stored()!)).toBe(data.sha256)
  })

  it('a signPart that fails ahead of its turn is asked again at the turn, where its failure would count: no retry, SHA-256 equal', async () => {
    const data = randomData(11 * MiB)
    const bucket = slowBucket(1000, 0)
    const sign = bucket.callbacks.signPart
    let failures = 1
    bucket.callbacks.signPart = (file, options) =>
      options.partNumber === 2 && failures-- > 0 ? Promise.reject(new TypeError('fetch failed')) : sign(file, options)
    const { run, retries } = runner(bucket, data.bytes)
    const done = run.run()
    await vi.advanceTimersByTimeAsync(10_000)
    await done
    expect(bucket.signs().map((signed) => signed.part)).toEqual([1, 2, 3]) // the failed call is not logged: it never reached the backend
    expect(retries).toEqual([])
    expect(sha256(bucket.stored()!)).toBe(data.sha256)
  })

  it('a pause drops the signatures asked ahead: after it, each part is signed afresh', async () => {
    const data = randomData(11 * MiB)
    const bucket = slowBucket(1000, 0)
    const pause = new AbortController()
    const { run } = runner(bucket, data.bytes, { signal: pause.signal })
    const first = run.run().catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(500) // part 1 in flight, part 2 signed ahead
    pause.abort()
    expect(await first).toMatchObject({ code: 'aborted' })
    const done = run.run(new AbortController().signal)
    await vi.advanceTimersByTimeAsync(10_000)
    await done
    expect(bucket.signs().map((signed) => signed.part)).toEqual([1, 2, 1, 2, 3])
    expect(sha256(bucket.stored()!)).toBe(data.sha256)
  })
})

describe('callback errors', () => {
  it('a completeMultipartUpload that rejects once is callback-failed, retried (the cause kept), then completes; SHA-256 equal', async () => {
    const data = randomData(6 * MiB)
    const bucket = memoryBucket([])
    const complete = bucket.callbacks.completeMultipartUpload
    const cause = new TypeError('fetch failed')
    let fails = 1
    bucket.callbacks.completeMultipartUpload = (file, options) => (fails-- > 0 ? Promise.reject(cause) : complete(file, options))
    const { run, retries } = runner(bucket, data.bytes)
    await run.run()
    expect(retries.map(({ error }) => [error.code, error.retryable, error.cause, error.message])).toEqual([
      ['callback-failed', true, cause, 'completeMultipartUpload failed: fetch failed'],
    ])
    const stored = bucket.stored()!
    expect([stored.length, sha256(stored)]).toEqual([data.bytes.length, data.sha256])
  })

  it('a listParts answering garbage on resume is callback-invalid, not retried; nothing is sent', async () => {
    const bucket = memoryBucket([])
    let lists = 0
    bucket.callbacks.listParts = () => {
      lists++
      return { Parts: [] } as never
    }
    const retries: UploadEvents['retry'][] = []
    const run = new PartsRunner({
      source: bytesSource(randomData(1 * MiB).bytes),
      protocol: s3(bucket.callbacks),
      send: bucket.send,
      concurrency: 1,
      retry: FAST_RETRY,
      maxRestarts: 0,
      record: { load: () => ({ uploadId: 'u1', key: 'k1', partSize: 5 * MiB, parts: [] }), save: () => undefined },
      emit: (name, event) => void (name === 'retry' && retries.push(event as UploadEvents['retry'])),
      signal: new AbortController().signal,
    })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'callback-invalid', retryable: false, message: 'listParts must answer an array of parts; it answered an object' })
    expect([lists, retries.length, bucket.sends.length]).toEqual([1, 0, 0])
  })
})

describe('record writes of a run', () => {
  beforeEach(() => vi.useFakeTimers({ now: Date.UTC(2026, 11, 1) })) // the clock stands still: no write is a second after another
  afterEach(() => vi.useRealTimers())

  it('each write carries the bytes of the parts held and the object URL once a part was signed (never a signature)', async () => {
    const data = randomData(11 * MiB) // 5 + 5 + 1 MiB
    const bucket = memoryBucket([])
    bucket.callbacks.completeMultipartUpload = () => 'done' as never // callback-invalid: the run stops, the record stays
    const saves: [parts: number[], offset: number, url: string | undefined][] = []
    const run = new PartsRunner({
      source: bytesSource(data.bytes),
      protocol: s3(bucket.callbacks),
      send: bucket.send,
      concurrency: 1,
      chunkSize: 5 * MiB,
      retry: FAST_RETRY,
      maxRestarts: 0,
      record: { load: () => undefined, save: (state, progress) => void saves.push([state.parts.map((part) => part.number), progress.offset, progress.url]) },
      emit: () => undefined,
      signal: new AbortController().signal,
    })
    await expect(run.run()).rejects.toMatchObject({ code: 'callback-invalid' })
    // At once on create (nothing held, no URL yet); the part writes wait for the second to pass, so the final write holds all three.
    expect(saves).toEqual([
      [[], 0, undefined],
      [[1, 2, 3], 11 * MiB, `${BUCKET}/k1`],
    ])
    const parts = [1, 2, 3].map((number) => bucket.parts.get(number)!)
    expect(parts.map((part) => part.length)).toEqual([5 * MiB, 5 * MiB, 1 * MiB])
    const whole = new Uint8Array(data.bytes.length)
    parts.forEach((part, index) => whole.set(part, index * 5 * MiB))
    expect(sha256(whole)).toBe(data.sha256)
  })
})

describe('parallel parts', () => {
  it('concurrency 4 signs 4 parts at once: signPart is never serialized behind another part (SHA-256 equal)', async () => {
    const data = randomData(30 * MiB) // 6 parts
    const bucket = memoryBucket([])
    const sign = bucket.callbacks.signPart
    let waiting = 0
    let most = 0
    let release = (): void => undefined
    const fourAtOnce = new Promise<void>((resolve) => (release = resolve))
    bucket.callbacks.signPart = async (file, options) => {
      most = Math.max(most, ++waiting)
      // The first four calls wait for one another: a runner that signs one part at a time never gets here.
      if (waiting === 4) release()
      if (options.partNumber <= 4) await fourAtOnce
      waiting--
      return sign(file, options)
    }
    const run = new PartsRunner({
      source: bytesSource(data.bytes),
      protocol: s3(bucket.callbacks),
      send: bucket.send,
      concurrency: 4,
      chunkSize: 5 * MiB,
      retry: FAST_RETRY,
      maxRestarts: 0,
      emit: () => undefined,
      signal: new AbortController().signal,
    })
    await run.run()
    expect(most).toBe(4)
    const stored = bucket.stored()!
    expect([stored.length, sha256(stored)]).toEqual([data.bytes.length, data.sha256])
  })
})
