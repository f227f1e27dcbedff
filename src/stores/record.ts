/**
 * Runtime validation of upload records read back from a store, which may hold anything: an older
 * or newer format, a damaged file, another library's data.
 * @module
 */
import type { UploadRecord } from '../types'

/**
 * The record in `value`, when it is a valid {@link UploadRecord}; otherwise undefined.
 *
 * Checks: `key`, `protocol`, `protocolVersion`, `endpoint` are strings (`key` not empty); `url` is
 * an absolute http(s) URL; `offset` and `size` (when present) are non-negative safe integers with
 * `offset <= size`; `createdAt`, `updatedAt` and `expiresAt` (when present) are finite numbers;
 * `metadata` is a plain object of string values; `blob`, when present, is a Blob; `complete`,
 * when present, is a boolean; `state` (a parts protocol's state), when present, is a string.
 *
 * The result is a fresh object holding only those fields (unknown fields are dropped, so nothing
 * else — credentials, headers — can ride along), with a fresh `metadata` object. A Blob is
 * immutable and is shared, not copied.
 * @param value anything read from a store
 */
export function parseRecord(value: unknown): UploadRecord | undefined {
  if (!isPlainObject(value)) return undefined
  const { key, url, protocol, protocolVersion, endpoint, size, offset, createdAt, updatedAt, expiresAt, metadata, blob, complete, state } = value
  const valid =
    typeof key === 'string' &&
    key !== '' &&
    isHttpUrl(url) &&
    [protocol, protocolVersion, endpoint].every((field) => typeof field === 'string') &&
    isByteCount(offset) &&
    (size === undefined || (isByteCount(size) && offset <= size)) &&
    [createdAt, updatedAt].every(Number.isFinite) &&
    (expiresAt === undefined || Number.isFinite(expiresAt)) &&
    isPlainObject(metadata) &&
    Object.values(metadata).every((item) => typeof item === 'string') &&
    (blob === undefined || (typeof Blob !== 'undefined' && blob instanceof Blob)) &&
    (complete === undefined || typeof complete === 'boolean') &&
    (state === undefined || typeof state === 'string')
  if (!valid) return undefined
  return {
    ...{ key, url, protocol, protocolVersion, endpoint, size, offset, createdAt, updatedAt },
    // fromEntries defines own properties, so a `__proto__` key from JSON stays a plain key.
    metadata: Object.fromEntries(Object.entries(metadata)),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(blob === undefined ? {} : { blob }),
    ...(complete ? { complete } : {}),
    ...(state === undefined ? {} : { state }),
  } as UploadRecord
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function isHttpUrl(value: unknown): boolean {
  try {
    return typeof value === 'string' && /^https?:$/.test(new URL(value).protocol)
  } catch {
    return false
  }
}

function isByteCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}
