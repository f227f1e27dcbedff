/**
 * S3's multipart limits and the part size that fits them. Every part but the last is at least
 * 5 MiB, every part at most 5 GiB, and an upload has at most 10,000 parts (S3's "Amazon S3
 * multipart upload limits"). Pure.
 * @module
 */
import { UploadError } from '../errors'
import { partCount, partRange, partSizeFor, type PartLimits } from './part-plan'
import type { S3PlannedPart } from './s3-types'

const MiB = 1024 * 1024

/** Smallest part S3 takes, except the last: 5 MiB. */
export const S3_MIN_PART_SIZE = 5 * MiB

/** Largest part S3 takes: 5 GiB. */
export const S3_MAX_PART_SIZE = 5 * 1024 * MiB

/** Most parts in one upload. */
export const S3_MAX_PARTS = 10_000

/** Largest source 10,000 parts of 5 GiB can carry. */
export const S3_MAX_SIZE = S3_MAX_PARTS * S3_MAX_PART_SIZE

/**
 * The default part size, for small files: 8 MiB (the core's default request size). Larger files
 * get larger parts (see {@link s3PartSize}).
 */
export const S3_DEFAULT_PART_SIZE = 8 * MiB

const S3_LIMITS: PartLimits = {
  option: 's3',
  service: 'S3',
  parts: 'parts',
  min: S3_MIN_PART_SIZE,
  max: S3_MAX_PART_SIZE,
  maxText: '5 GiB',
  count: S3_MAX_PARTS,
  countText: '10,000',
  defaultSize: S3_DEFAULT_PART_SIZE,
}

/**
 * Checks a user's `chunkSize` for S3 before anything is sent: an integer from 5 MiB to 5 GiB, or
 * `Infinity` (as few parts as S3 allows). `undefined` (the default) passes.
 * @throws TypeError when it is not a number, or not an integer; RangeError when it is outside
 *   [5 MiB, 5 GiB]
 */
export function checkS3ChunkSize(chunkSize: unknown): void {
  if (chunkSize === undefined || chunkSize === Infinity) return
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize)) {
    throw new TypeError(`resumable-upload: s3 \`chunkSize\` must be an integer number of bytes (or Infinity), got ${String(chunkSize)}`)
  }
  if (chunkSize < S3_MIN_PART_SIZE) {
    throw new RangeError(`resumable-upload: s3 \`chunkSize\` is the part size, and S3 parts must be at least 5 MiB (5242880), got ${chunkSize}`)
  }
  if (chunkSize > S3_MAX_PART_SIZE) {
    throw new RangeError(`resumable-upload: s3 \`chunkSize\` is the part size, and S3 parts may be at most 5 GiB (5368709120), got ${chunkSize}`)
  }
}

/**
 * The part size for a source of `size` bytes (undefined: a stream of unknown length).
 *
 * - Default (`chunkSize` undefined): 8 MiB, or for files above 78 GiB the smallest whole number
 *   of MiB that fits 10,000 parts (525 MiB for 5 TiB). A stream of unknown length gets 8 MiB,
 *   which caps it at 78.125 GiB; give a larger `chunkSize` for more.
 * - `Infinity`: one part up to 5 GiB, 5 GiB parts above.
 * - A number: used as given, once checked by {@link checkS3ChunkSize} and against the 10,000 parts.
 * @throws TypeError or RangeError for a `chunkSize` S3 cannot take (also when this file would
 *   need more than 10,000 parts of it); UploadError `too-large` for a file beyond 10,000 parts of
 *   5 GiB
 */
export function s3PartSize(size: number | undefined, chunkSize: number | undefined): number {
  checkS3ChunkSize(chunkSize)
  return partSizeFor(S3_LIMITS, size, chunkSize)
}

/** The number of parts a source of `size` bytes takes at `partSize` (one empty part for an empty source). */
export const s3PartCount: (size: number, partSize: number) => number = partCount

/** The bytes of part `number` (1-based) of a source of `size` bytes at `partSize`. */
export const s3PartRange: (number: number, size: number, partSize: number) => S3PlannedPart = partRange

/**
 * Whether part `number` may be sent: S3 numbers parts 1 to 10,000. A stream that reaches part
 * 10,001 fails with this error.
 */
export function s3PartNumberError(number: number): UploadError | undefined {
  if (Number.isInteger(number) && number >= 1 && number <= S3_MAX_PARTS) return undefined
  return new UploadError('too-large', `part ${number} is beyond S3's 10,000 parts: give a larger chunkSize`, { retryable: false })
}
