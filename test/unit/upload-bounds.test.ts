/**
 * The rules that bound the Upload's request loops, as pure functions: what counts as real
 * progress, which server limits are unusable, how long a Retry-After may park an upload, and
 * which option names exist. No network.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import type { UploadOptions } from '../../src/options'
import { UPLOAD_OPTION_NAMES, checkUploadOptions } from '../../src/upload/settings'
import { MIN_APPEND_SIZE_FLOOR, MIN_PROGRESS_BYTES, checkLimits, isRealProgress } from '../../src/protocols/limits'
import { MAX_TIMER_DELAY, retryAfterDelay } from '../../src/upload/rules'

const KiB = 1024
const MiB = 1024 * KiB

describe('isRealProgress', () => {
  it('is none when nothing was stored, even when nothing was offered', () => {
    expect(isRealProgress({ stored: 0, offered: 0 })).toBe(false)
    expect(isRealProgress({ stored: 0, offered: MiB })).toBe(false)
  })

  it('is none for a few bytes of a large request (the 10-bytes-then-cut server)', () => {
    expect(isRealProgress({ stored: 10, offered: MiB })).toBe(false)
    expect(isRealProgress({ stored: MIN_PROGRESS_BYTES - 1, offered: MiB })).toBe(false)
  })

  it('needs the whole request when it is smaller than 64 KiB', () => {
    expect(isRealProgress({ stored: 100, offered: 100 })).toBe(true)
    expect(isRealProgress({ stored: 99, offered: 100 })).toBe(false)
  })

  it('is real from 64 KiB, however large the request (a cut soon after a resume)', () => {
    expect(MIN_PROGRESS_BYTES).toBe(64 * KiB)
    expect(isRealProgress({ stored: MIN_PROGRESS_BYTES, offered: MiB })).toBe(true)
    expect(isRealProgress({ stored: 158 * KiB, offered: 1024 * MiB })).toBe(true)
  })
})

describe('checkLimits', () => {
  const code = (size: number | undefined, limits: Parameters<typeof checkLimits>[1]): string | undefined => checkLimits(size, limits)?.code

  it('refuses a max-append-size below the 1 KiB floor for a source that needs more than one request', () => {
    expect(MIN_APPEND_SIZE_FLOOR).toBe(1024)
    expect(code(MiB, { maxAppendSize: 0 })).toBe('limit-unusable')
    expect(code(MiB, { maxAppendSize: 1 })).toBe('limit-unusable')
    expect(code(MiB, { maxAppendSize: MIN_APPEND_SIZE_FLOOR - 1 })).toBe('limit-unusable')
    expect(code(undefined, { maxAppendSize: 1 })).toBe('limit-unusable')
    expect(code(MiB, { maxAppendSize: MIN_APPEND_SIZE_FLOOR })).toBeUndefined()
  })

  it('accepts any max-append-size the whole source fits in', () => {
    expect(code(100, { maxAppendSize: 100 })).toBeUndefined()
    expect(code(0, { maxAppendSize: 0 })).toBeUndefined()
  })

  it('refuses a min-append-size above the max-append-size', () => {
    const error = checkLimits(MiB, { minAppendSize: 64 * KiB, maxAppendSize: 32 * KiB })
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'limit-unusable', retryable: false })
    expect(code(MiB, { minAppendSize: 32 * KiB, maxAppendSize: 32 * KiB })).toBeUndefined()
  })

  it('still refuses a source above max-size with too-large', () => {
    expect(code(MiB + 1, { maxSize: MiB })).toBe('too-large')
  })
})

describe('retryAfterDelay', () => {
  it('caps a Retry-After at maxRetryAfter', () => {
    expect(retryAfterDelay(2_000_000, 300)).toBe(300_000)
    expect(retryAfterDelay(2_000_000, 0.2)).toBe(200)
    expect(retryAfterDelay(1, 300)).toBe(1000)
  })

  it('never asks a timer for more than it can hold (a longer delay fires at once in Node)', () => {
    expect(retryAfterDelay(1e12, Infinity)).toBe(MAX_TIMER_DELAY)
    expect(retryAfterDelay(3_000_000, 3_000_000)).toBe(MAX_TIMER_DELAY)
  })

  it('is 0 for nonsense', () => {
    expect(retryAfterDelay(-5, 300)).toBe(0)
    expect(retryAfterDelay(Number.NaN, 300)).toBe(0)
    expect(retryAfterDelay(10, 0)).toBe(0)
  })
})

describe('checkUploadOptions', () => {
  it('knows every option, the newer ones included', () => {
    expect(UPLOAD_OPTION_NAMES).toEqual(expect.arrayContaining(['endpoint', 'chunkSize', 'interopVersion', 'maxRestarts', 'maxRetryAfter']))
  })

  it('throws a TypeError naming an unknown option, with the likely one', () => {
    expect(() => checkUploadOptions({ endpoint: '/u', chunksize: 5 } as UploadOptions)).toThrow(/unknown option `chunksize` \(did you mean `chunkSize`\?\)/)
    expect(() => checkUploadOptions({ endpoint: '/u', autoStart: true } as UploadOptions)).toThrow(TypeError)
    expect(() => checkUploadOptions({ endpoint: '/u', chunkSize: undefined })).not.toThrow()
  })

  it('throws a RangeError for a chunkSize that is not positive', () => {
    for (const chunkSize of [0, -1, Number.NaN]) expect(() => checkUploadOptions({ chunkSize })).toThrow(RangeError)
    expect(() => checkUploadOptions({ maxRestarts: 0, maxRetryAfter: 0, interopVersion: 6, chunkSize: Infinity })).not.toThrow()
  })
})
