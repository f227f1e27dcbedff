/**
 * The IETF draft's `Upload-Limit` field (§4.1.4), a Structured Fields Dictionary, read into
 * {@link UploadLimits}.
 * @module
 */
import type { UploadLimits } from '../types'
import { parseDictionary } from './structured-fields'

/** Options of {@link parseUploadLimit}. */
export interface UploadLimitOptions {
  /** When the response arrived, ms since the epoch; without it `max-age` gives no `expiresAt`. */
  receivedAt: number | undefined
  /** Interop version: up to 6 (draft -05) the lifetime key is `expires`, from 7 on `max-age`. */
  interopVersion: number
}

// A Map, not an object literal: a key such as `constructor` must not find a prototype member.
const SIZE_KEYS = new Map<string, 'maxSize' | 'minSize' | 'maxAppendSize' | 'minAppendSize'>([
  ['max-size', 'maxSize'],
  ['min-size', 'minSize'],
  ['max-append-size', 'maxAppendSize'],
  ['min-append-size', 'minAppendSize'],
])

/**
 * Reads an `Upload-Limit` value. Members with unknown keys are ignored, and so are parameters.
 * The whole field is ignored (`{}`) when it is absent, not a valid Dictionary, or when a known key
 * has anything but a non-negative Integer (a Decimal, a string, an Inner List, a bare key).
 * The lifetime (`max-age`, or `expires` for interop versions up to 6) becomes `expiresAt`,
 * counted from `receivedAt`.
 *
 * @example
 * parseUploadLimit('max-size=1000, max-age=60', { receivedAt: 0, interopVersion: 8 })
 * // { maxSize: 1000, expiresAt: 60000 }
 */
export function parseUploadLimit(value: string | undefined, options: UploadLimitOptions): UploadLimits {
  const dictionary = parseDictionary(value)
  if (dictionary === undefined) return {}
  const lifetimeKey = options.interopVersion <= 6 ? 'expires' : 'max-age'
  const limits: UploadLimits = {}
  for (const [key, member] of dictionary) {
    const field = key === lifetimeKey ? 'expiresAt' : SIZE_KEYS.get(key)
    if (field === undefined) continue
    const number = 'value' in member ? member.value : undefined
    if (typeof number !== 'number' || number < 0) return {}
    if (field !== 'expiresAt') limits[field] = number
    else if (options.receivedAt !== undefined) limits.expiresAt = options.receivedAt + number * 1000
  }
  return limits
}
