/**
 * The pure and timer parts of the parts runner: the open-ended plan of a stream (parts-open.ts)
 * and the throttled record writes (parts-runner-record.ts), with a clock the test controls.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { S3RecordState } from '../../src/protocols/s3-types'
import { openBytesDone, openPartDone, openPartRead, openParts, openPartsDone, partToRead } from '../../src/upload/parts-open'
import { RecordWriter } from '../../src/upload/parts-runner-record'
import { recordFields, recordState } from '../../src/upload/parts-upload'

describe('open-ended part plan (a stream)', () => {
  it('reads at most concurrency parts ahead of what is stored, and knows the size once the last part is read', () => {
    let state = openParts(10, 2)
    expect(partToRead(state)).toEqual({ number: 1, start: 0, end: 10 })
    state = openPartRead(state, 1, 10, false)
    expect(partToRead(state)).toEqual({ number: 2, start: 10, end: 20 })
    state = openPartRead(state, 2, 10, false)
    expect(partToRead(state)).toBeUndefined() // two held: wait for one to be stored
    state = openPartDone(state, 1, '"a"')
    expect(partToRead(state)).toEqual({ number: 3, start: 20, end: 30 })
    state = openPartRead(state, 3, 4, true)
    expect([state.size, partToRead(state), openPartsDone(state)]).toEqual([24, undefined, undefined])
    state = openPartDone(state, 3, '"c"')
    expect(openBytesDone(state)).toBe(14)
    state = openPartDone(state, 2, '"b"')
    expect(openBytesDone(state)).toBe(24)
    expect(openPartsDone(state)).toEqual([
      { number: 1, etag: '"a"' },
      { number: 2, etag: '"b"' },
      { number: 3, etag: '"c"' },
    ])
  })

  it('an empty stream is one empty part; loop bugs throw', () => {
    let state = openPartRead(openParts(10, 1), 1, 0, true)
    expect(state.size).toBe(0)
    state = openPartDone(state, 1, '"e"')
    expect(openPartsDone(state)).toEqual([{ number: 1, etag: '"e"' }])
    expect(() => openPartRead(openParts(10, 1), 2, 10, false)).toThrow('not the next part')
    expect(() => openPartRead(openParts(10, 1), 1, 5, false)).toThrow('not the last')
    expect(() => openPartDone(openParts(10, 1), 1, '"x"')).toThrow('not held')
    expect(() => openParts(0, 1)).toThrow(RangeError)
    expect(() => openParts(10, 0)).toThrow(RangeError)
  })
})

describe('record writes of a parts upload', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }))
  afterEach(() => vi.useRealTimers())

  const state = (parts: number): S3RecordState => ({
    uploadId: 'u',
    key: 'k',
    partSize: 5,
    parts: Array.from({ length: parts }, (_, index) => ({ number: index + 1, etag: `"${index}"` })),
  })

  it('writes at once on create, then at most once a second (the latest state wins), then the pending state on flush', async () => {
    const saved: number[] = []
    const writer = new RecordWriter({ load: () => undefined, save: (value) => void saved.push(value.parts.length) }, () => undefined, Date.now)
    await writer.writeNow(state(0))
    expect(saved).toEqual([0])
    writer.update(state(1)) // within the second after the first write: waits
    writer.update(state(2))
    await vi.advanceTimersByTimeAsync(999)
    expect(saved).toEqual([0])
    await vi.advanceTimersByTimeAsync(1)
    expect(saved).toEqual([0, 2])
    writer.update(state(3))
    writer.update(state(4))
    await writer.flush()
    expect(saved).toEqual([0, 2, 4])
    await vi.advanceTimersByTimeAsync(5000)
    expect(saved).toEqual([0, 2, 4])
    await vi.advanceTimersByTimeAsync(1000)
    writer.update(state(5)) // a second after the last write: at once
    await writer.flush()
    writer.update(state(6))
    writer.cancel() // completed: the Upload removes the record
    await vi.advanceTimersByTimeAsync(5000)
    expect(saved).toEqual([0, 2, 4, 5])
  })

  it('a failed write is a store-unavailable warning, and later writes still happen', async () => {
    const warnings: string[] = []
    let fail = true
    const saved: number[] = []
    const writer = new RecordWriter(
      {
        load: () => undefined,
        save: (value) => {
          if (fail) throw new Error('disk full')
          saved.push(value.parts.length)
        },
      },
      (warning) => warnings.push(warning.code),
      Date.now,
    )
    await writer.writeNow(state(0))
    fail = false
    writer.update(state(1))
    await writer.flush()
    expect([warnings, saved]).toEqual([['store-unavailable'], [1]])
  })
})

describe('record fields of a parts upload (parts-upload.ts)', () => {
  const state: S3RecordState = { uploadId: 'u 1', key: 'uploads/a b.bin', partSize: 5, parts: [{ number: 1, etag: '"a"' }] }

  it('url: the object URL once a part was signed, else a placeholder naming the key; state as JSON; offset as given', () => {
    expect(recordFields(state, { offset: 5, url: 'https://bucket.example/uploads/a%20b.bin' })).toEqual({
      url: 'https://bucket.example/uploads/a%20b.bin',
      parts: { state: JSON.stringify(state), offset: 5 },
    })
    const placeholder = recordFields(state, { offset: 0, url: undefined }).url
    expect(placeholder).toBe('https://multipart.invalid/uploads%2Fa%20b.bin')
    expect(new URL(placeholder).protocol).toBe('https:')
  })

  it('reads the state back from `state`, or from the url of a record of the previous version', () => {
    const { url, parts } = recordFields(state, { offset: 5, url: undefined })
    expect(recordState({ url, state: parts.state })).toEqual(state)
    expect(recordState({ url: `https://multipart.invalid/?state=${encodeURIComponent(JSON.stringify(state))}` })).toEqual(state)
    expect(recordState({ url: 'https://multipart.invalid/?state=%7Bnot json' })).toBeUndefined()
    expect(recordState({ url, state: '{not json' })).toBeUndefined()
    expect(recordState({ url: 'https://bucket.example/k' })).toBeUndefined()
    expect(recordState(undefined)).toBeUndefined()
  })
})
