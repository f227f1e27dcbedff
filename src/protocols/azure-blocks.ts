/**
 * Azure Block Blob's limits, the block size that fits them, and block ids. A blob has at most
 * 50,000 blocks of at most 4,000 MiB each (Azure's "Put Block" limits, version 2019-12-12 and
 * later). Ids are the base64 of `ru-block-` and the 6-digit block number: one fixed length (Azure
 * requires every id of a blob to have the same length), no `=` padding, and the same id for the
 * same block in every run, so a resumed upload finds its blocks in Get Block List. Pure.
 * @module
 */
import { UploadError } from '../errors'
import type { AzurePlannedBlock } from './azure-types'
import { partCount, partRange, partSizeFor, type PartLimits } from './part-plan'

const MiB = 1024 * 1024

/** Largest block Azure takes: 4,000 MiB. */
export const AZURE_MAX_BLOCK_SIZE = 4000 * MiB

/** Most blocks in one blob. */
export const AZURE_MAX_BLOCKS = 50_000

/** Largest source 50,000 blocks of 4,000 MiB can carry. */
export const AZURE_MAX_SIZE = AZURE_MAX_BLOCKS * AZURE_MAX_BLOCK_SIZE

/** The default block size for small files: 8 MiB; larger files get larger blocks (see {@link azureBlockSize}). */
export const AZURE_DEFAULT_BLOCK_SIZE = 8 * MiB

const ID_PREFIX = 'ru-block-'

const AZURE_LIMITS: PartLimits = {
  option: 'azureBlob',
  service: 'Azure',
  parts: 'blocks',
  min: 1,
  max: AZURE_MAX_BLOCK_SIZE,
  maxText: '4,000 MiB',
  count: AZURE_MAX_BLOCKS,
  countText: '50,000',
  defaultSize: AZURE_DEFAULT_BLOCK_SIZE,
}

/**
 * Checks a user's `chunkSize` (the block size) before anything is sent: an integer from 1 byte to
 * 4,000 MiB, or `Infinity` (as few blocks as Azure allows). `undefined` (the default) passes.
 * @throws TypeError when it is not an integer number; RangeError outside [1, 4,000 MiB]
 */
export function checkAzureChunkSize(chunkSize: unknown): void {
  if (chunkSize === undefined || chunkSize === Infinity) return
  if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize)) {
    throw new TypeError(`resumable-upload: azureBlob \`chunkSize\` must be an integer number of bytes (or Infinity), got ${String(chunkSize)}`)
  }
  if (chunkSize < 1 || chunkSize > AZURE_MAX_BLOCK_SIZE) {
    throw new RangeError(`resumable-upload: azureBlob \`chunkSize\` is the block size, from 1 byte to 4,000 MiB (4194304000), got ${chunkSize}`)
  }
}

/**
 * The block size for a source of `size` bytes (undefined: a stream of unknown length).
 * - Default: 8 MiB, or above 390 GiB the smallest whole number of MiB that fits 50,000 blocks.
 *   A stream of unknown length gets 8 MiB (at most 390.6 GiB); give a larger `chunkSize` for more.
 * - `Infinity`: one block up to 4,000 MiB, 4,000 MiB blocks above.
 * - A number: used as given, once checked against Azure's limits and the 50,000 blocks.
 * @throws TypeError or RangeError for a `chunkSize` Azure cannot take (also when this file would
 *   need more than 50,000 blocks of it); UploadError `too-large` beyond 50,000 blocks of 4,000 MiB
 */
export function azureBlockSize(size: number | undefined, chunkSize: number | undefined): number {
  checkAzureChunkSize(chunkSize)
  return partSizeFor(AZURE_LIMITS, size, chunkSize)
}

/** The number of blocks of a `size` byte source at `blockSize` (one empty block for an empty source). */
export const azureBlockCount: (size: number, blockSize: number) => number = partCount

/** Block `number` (1-based) of a `size` byte source at `blockSize`. */
export function azureBlock(number: number, size: number, blockSize: number): AzurePlannedBlock {
  return { ...partRange(number, size, blockSize), id: azureBlockId(number) }
}

/**
 * The id of block `number`: base64 of `ru-block-` and the number in 6 digits (20 characters, no
 * padding; may hold `+` and `/`, so it is URL-encoded in a query).
 * @throws RangeError for a number outside 1 to 50,000
 */
export function azureBlockId(number: number): string {
  if (!Number.isInteger(number) || number < 1 || number > AZURE_MAX_BLOCKS) throw new RangeError(`block number must be 1 to 50,000, got ${number}`)
  return btoa(ID_PREFIX + String(number).padStart(6, '0'))
}

/** The block number an id names, or undefined when it is not one of ours (another writer, another format). */
export function azureBlockNumber(id: string): number | undefined {
  if (!/^[A-Za-z0-9+/]{20}$/.test(id)) return undefined
  const match = /^ru-block-(\d{6})$/.exec(atob(id))
  if (match === null) return undefined
  const number = Number(match[1])
  return number >= 1 && number <= AZURE_MAX_BLOCKS && azureBlockId(number) === id ? number : undefined
}

/** An error when block `number` is beyond Azure's 50,000 (a stream that kept going), else undefined. */
export function azureBlockNumberError(number: number): UploadError | undefined {
  if (Number.isInteger(number) && number >= 1 && number <= AZURE_MAX_BLOCKS) return undefined
  return new UploadError('too-large', `block ${number} is beyond Azure's 50,000 blocks: give a larger chunkSize`, { retryable: false })
}
