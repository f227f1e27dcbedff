/**
 * Runtime validation of upload records read back from a store, which may hold anything: an older
 * or newer format, a damaged file, another library's data.
 * @module
 */
import type { UploadRecord } from '../types'

type Fields = Record<string, unknown>

/**
 * The record in `value`, when it is a valid {@link UploadRecord}; otherwise undefined.
 *
 * Checks: `key`, `protocol`, `protocolVersion`, `endpoint` are strings (`key` not empty); `url` is
 * an absolute http(s) URL; `offset` and `size` (when present) are non-negative safe integers with
 * `offset <= size`; `createdAt`, `updatedAt` and `expiresAt` (when present) are finite numbers;
 * `metadata` is a plain object of string values; `blob`, when present, is a Blob.
 *
 * The result is a fresh object holding only those fields (unknown fields are dropped, so nothing
 * else — credentials, headers — can ride along), with a fresh `metadata` object. A Blob is
 * immutable and is shared, not copied.
 * @param value anything read from a store
 */
export function parseRecord(value: unknown): UploadRecord | undefined {
  if (!isPlainObject(value)) return undefined
  const fields: Fields = value
  const metadata = parseMetadata(fields.metadata)
  if (!hasValidScalars(fields) || metadata === undefined) return undefined
  const blob = fields.blob
  if (blob !== undefined && !(typeof Blob !== 'undefined' && blob instanceof Blob)) return undefined
  if (fields.complete !== undefined && typeof fields.complete !== 'boolean') return undefined
  const record: UploadRecord = {
    key: fields.key as string,
    url: fields.url as string,
    protocol: fields.protocol as string,
    protocolVersion: fields.protocolVersion as string,
    endpoint: fields.endpoint as string,
    size: fields.size as number | undefined,
    offset: fields.offset as number,
    createdAt: fields.createdAt as number,
    updatedAt: fields.updatedAt as number,
    metadata,
  }
  if (fields.expiresAt !== undefined) record.expiresAt = fields.expiresAt as number
  if (blob !== undefined) record.blob = blob
  if (fields.complete === true) record.complete = true
  return record
}

function hasValidScalars(fields: Fields): boolean {
  const { key, url, protocol, protocolVersion, endpoint, size, offset, createdAt, updatedAt, expiresAt } = fields
  if (typeof key !== 'string' || key === '' || !isHttpUrl(url)) return false
  if (typeof protocol !== 'string' || typeof protocolVersion !== 'string' || typeof endpoint !== 'string') return false
  if (!isByteCount(offset) || (size !== undefined && !isByteCount(size))) return false
  if (size !== undefined && offset > size) return false
  return isFiniteNumber(createdAt) && isFiniteNumber(updatedAt) && (expiresAt === undefined || isFiniteNumber(expiresAt))
}

function parseMetadata(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined
  const entries = Object.entries(value)
  if (!entries.every(([, item]) => typeof item === 'string')) return undefined
  // fromEntries defines own properties, so a `__proto__` key from JSON stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>
}

function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null) return false
  const prototype: unknown = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'https:' || protocol === 'http:'
  } catch {
    return false
  }
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}
