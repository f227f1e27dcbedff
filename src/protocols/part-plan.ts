/**
 * The part size that fits a storage service's multipart limits (S3 parts, Azure blocks), and the
 * byte range of each part. One rule for every service; each passes its limits and the words its
 * messages use. Pure.
 * @module
 */
import { UploadError } from '../errors'

const MiB = 1024 * 1024

/** A service's limits on parts, with the words its error messages use. */
export interface PartLimits {
  /** The protocol's name in messages: `s3`, `azureBlob`. */
  readonly option: string
  /** The service in messages: `S3`, `Azure`. */
  readonly service: string
  /** What a part is called, plural: `parts`, `blocks`. */
  readonly parts: string
  /** Smallest part except the last (and the size used for a stream of unknown length when needed). */
  readonly min: number
  /** Largest part. */
  readonly max: number
  /** `max` as written in messages, e.g. `5 GiB`. */
  readonly maxText: string
  /** Most parts in one upload. */
  readonly count: number
  /** `count` as written in messages, e.g. `10,000`. */
  readonly countText: string
  /** The default part size for files small enough for it. */
  readonly defaultSize: number
}

/**
 * The part size for a source of `size` bytes (undefined: a stream of unknown length) and a
 * `chunkSize` the service's own check has already accepted:
 * - default (undefined): `defaultSize`, or the smallest whole number of MiB that fits `count` parts;
 * - `Infinity`: one part up to `max`, `max` parts above;
 * - a number: as given, unless this file would need more than `count` parts of it.
 * @throws RangeError for a bad `size` or a `chunkSize` too small for this file; UploadError
 *   `too-large` for a file beyond `count` parts of `max`
 */
export function partSizeFor(limits: PartLimits, size: number | undefined, chunkSize: number | undefined): number {
  const { option, service, parts, min, max, maxText, count, countText, defaultSize } = limits
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0))
    throw new RangeError(`resumable-upload: size must be a non-negative integer, got ${size}`)
  if (size !== undefined && size > count * max) {
    throw new UploadError('too-large', `the file (${size} bytes) is larger than ${countText} ${service} ${parts} of ${maxText} can carry`, { retryable: false })
  }
  const needed = size === undefined ? min : Math.max(min, Math.ceil(size / count))
  if (chunkSize === undefined) return Math.max(defaultSize, Math.ceil(needed / MiB) * MiB)
  if (chunkSize === Infinity) return size === undefined ? max : Math.min(max, Math.max(size, min))
  if (chunkSize < needed) {
    throw new RangeError(
      `resumable-upload: ${option} \`chunkSize\` ${chunkSize} splits this ${size} byte file into more than ${countText} ${parts}; use at least ${needed}, or leave it unset`,
    )
  }
  return chunkSize
}

/** How many parts a source of `size` bytes takes at `partSize` (one empty part for an empty source). */
export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize))
}

/** The bytes `[start, end)` of part `number` (1-based) of a source of `size` bytes at `partSize`. */
export function partRange(number: number, size: number, partSize: number): { number: number; start: number; end: number } {
  const start = (number - 1) * partSize
  return { number, start, end: Math.min(size, start + partSize) }
}
