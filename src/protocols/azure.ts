/**
 * Azure Block Blob uploads (Put Block, Get Block List, Put Block List) through a SAS URL, as a
 * sans-I/O protocol: it describes the requests and says what each answer means. No fetch, no
 * timers, no storage; the time is a parameter.
 *
 * Choices this module makes where Azure leaves room (each is tested in
 * test/unit/azure-protocol.test.ts):
 * - Blocks are the parts: block size default 8 MiB, growing in whole MiB past 390 GiB so that
 *   50,000 blocks fit; a user `chunkSize` is the block size (TypeError when not an integer,
 *   RangeError outside [1, 4,000 MiB] or past 50,000 blocks), see azure-blocks.ts.
 * - Block ids are derived from the block number (base64 of `ru-block-000001`): one fixed length,
 *   and a resumed upload recomputes them, so Get Block List tells which blocks are held.
 * - The `url` option is a SAS URL or a function answering one. The record keeps the blob URL
 *   WITHOUT the SAS, and the block size. A refreshed URL must name the same blob; with
 *   `allowedOrigins`, its origin must be listed (`location-refused` otherwise).
 * - An expired SAS (a 403 auth failure once `se` has passed, or whose message says so) is
 *   `refresh` when `url` is a function, else a typed error saying the token expired.
 * - Get Block List is the truth on resume; a block it names that is not ours, outside the plan,
 *   twice, or of another size is `offset-invalid`: nothing is sent or committed.
 * - `InvalidBlockList` on commit is `gone` (Azure dropped the blocks: start over).
 * @module
 */
import { UploadError } from '../errors'
import type { HttpResponse } from '../types'
import { azureBlock, azureBlockCount, azureBlockId, azureBlockNumberError, azureBlockSize, checkAzureChunkSize } from './azure-blocks'
import { AZURE_API_VERSION, checkAzureMetadata, getBlockListRequest, putBlockListRequest, putBlockRequest, readSasUrl, sasExpiry } from './azure-requests'
import { readAzureResponse, readBlockList } from './azure-responses'
import type { AzureBlobOptions, AzureBlobRef, AzureFile, AzurePlannedBlock, AzureRecordState, AzureRequest, AzureResult } from './azure-types'

export * from './azure-types'
export { AZURE_DEFAULT_BLOCK_SIZE, AZURE_MAX_BLOCKS, AZURE_MAX_BLOCK_SIZE, AZURE_MAX_SIZE, azureBlockId, azureBlockNumber } from './azure-blocks'
export { AZURE_API_VERSION, sasExpiry } from './azure-requests'
export { isExpiredSas, parseAzureError } from './azure-responses'

/** The protocol name stored in records. */
export const AZURE_PROTOCOL_NAME = 'azure-blob'

/** The Azure Block Blob protocol: the options and the pure rules for each step. */
export interface AzureProtocol {
  /** `azure-blob`. */
  readonly name: typeof AZURE_PROTOCOL_NAME
  /** The record format's version. */
  readonly version: '1'
  /** This protocol sends numbered blocks (several at once), not one offset. */
  readonly parts: true
  /** The checked options. */
  readonly options: Readonly<AzureBlobOptions>
  /** Whether an expired SAS can be refreshed (the `url` option is a function). */
  readonly canRefresh: boolean
  /** Checks a `chunkSize` option at construction. */
  checkChunkSize(chunkSize: unknown): void
  /** The block size for a source (see azure-blocks.ts). */
  blockSize(size: number | undefined, chunkSize: number | undefined): number
  /** The number of blocks of a source. */
  blockCount(size: number, blockSize: number): number
  /** Block `number` of a source: its id and bytes. */
  block(number: number, size: number, blockSize: number): AzurePlannedBlock
  /** An error when block `number` is beyond 50,000, else undefined. */
  blockNumberError(number: number): UploadError | undefined
  /** A SAS URL (the option's, or the function's answer) checked and split; `current`: the blob in use. */
  readUrl(value: unknown, current?: string): AzureBlobRef
  /** The request storing `block`. */
  putBlock(ref: AzureBlobRef, block: AzurePlannedBlock): AzureRequest
  /** The request listing the uncommitted blocks. */
  getBlockList(ref: AzureBlobRef): AzureRequest
  /** The request committing blocks `1..count` in order, as a blob of the file's type. */
  putBlockList(ref: AzureBlobRef, count: number, file: AzureFile): AzureRequest
  /** What the answer to Put Block or Put Block List means; `now` in ms since the epoch. */
  readResponse(what: string, response: HttpResponse, ref: AzureBlobRef, now: number): AzureResult
  /** The blocks a Get Block List answer holds, checked against the plan (throws UploadError). */
  readBlockList(response: HttpResponse, plan: { size: number; blockSize: number }): number[]
  /** When the SAS expires, ms since the epoch, when it says. */
  sasExpiry(ref: AzureBlobRef): number | undefined
  /** The UploadError for a `url` function that threw. */
  urlError(cause: unknown, signal?: AbortSignal): UploadError
  /** The record state to persist. */
  recordState(blobUrl: string, blockSize: number, blocks: readonly number[]): AzureRecordState
  /** A persisted record state read back, or undefined when it is not one. */
  readRecordState(value: unknown): AzureRecordState | undefined
  /** The description of the file the `url` function receives. */
  file(source: { name?: string; type?: string; size: number | undefined }, metadata: Readonly<Record<string, string>>): AzureFile
}

/**
 * The Azure Block Blob protocol over a SAS URL, or a function the app's backend answers with one.
 * @throws TypeError when `url` is neither a string nor a function, `allowedOrigins` not an array
 *   of strings, or `version` not a non-empty string; UploadError `location-refused` for a string
 *   `url` that is not an http(s) blob URL
 */
export function azureBlobProtocol(options: AzureBlobOptions): AzureProtocol {
  const { url, allowedOrigins, version = AZURE_API_VERSION } = checkOptions(options)
  if (typeof url === 'string') readSasUrl(url, undefined, allowedOrigins)
  const canRefresh = typeof url === 'function'
  return {
    name: AZURE_PROTOCOL_NAME,
    version: '1',
    parts: true,
    options: Object.freeze({ url, allowedOrigins, version }),
    canRefresh,
    checkChunkSize: checkAzureChunkSize,
    blockSize: azureBlockSize,
    blockCount: azureBlockCount,
    block: azureBlock,
    blockNumberError: azureBlockNumberError,
    readUrl: (value, current) => readSasUrl(value, current, allowedOrigins),
    putBlock: (ref, block) => putBlockRequest(ref, block, version),
    getBlockList: (ref) => getBlockListRequest(ref, version),
    putBlockList: (ref, count, file) =>
      putBlockListRequest(
        ref,
        Array.from({ length: count }, (_, index) => azureBlockId(index + 1)),
        file.type,
        version,
        file.metadata,
      ),
    readResponse: (what, response, ref, now) => readAzureResponse(what, response, ref.sas, now, canRefresh),
    readBlockList,
    sasExpiry: (ref) => sasExpiry(ref.sas),
    urlError,
    recordState: (blobUrl, blockSize, blocks) => ({ blobUrl, blockSize, blocks: [...new Set(blocks)].sort((a, b) => a - b) }),
    readRecordState,
    file: (source, metadata) => {
      checkAzureMetadata(metadata)
      return Object.freeze({ name: source.name, type: source.type, size: source.size, metadata: Object.freeze({ ...metadata }) })
    },
  }
}

function checkOptions(options: AzureBlobOptions): AzureBlobOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('resumable-upload: azureBlob() takes { url }')
  const { url, allowedOrigins, version } = options
  if (typeof url !== 'string' && typeof url !== 'function')
    throw new TypeError('resumable-upload: azureBlob() needs `url`: a SAS URL string or a function answering one')
  if (allowedOrigins !== undefined && (!Array.isArray(allowedOrigins) || !allowedOrigins.every((origin) => typeof origin === 'string'))) {
    throw new TypeError('resumable-upload: azureBlob `allowedOrigins` must be an array of origins')
  }
  if (version !== undefined && (typeof version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(version))) {
    throw new TypeError('resumable-upload: azureBlob `version` must be an x-ms-version date such as 2021-12-02')
  }
  return options
}

/** A `url` function that threw: an UploadError as it is, `aborted` once `signal` fired, else retryable (`network`) with its cause. */
function urlError(cause: unknown, signal?: AbortSignal): UploadError {
  if (cause instanceof UploadError) return cause
  if (signal?.aborted) return new UploadError('aborted', 'the Azure url function was aborted', { cause })
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new UploadError('network', `the Azure url function failed: ${reason}`, { cause, retryable: true })
}

/** A stored record read back, or undefined when it is not one (the upload then starts afresh). */
function readRecordState(value: unknown): AzureRecordState | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { blobUrl, blockSize, blocks } = value as Record<string, unknown>
  if (typeof blobUrl !== 'string' || !/^https?:\/\/[^?#]+$/.test(blobUrl)) return undefined
  if (typeof blockSize !== 'number' || !Number.isSafeInteger(blockSize) || blockSize < 1) return undefined
  if (!Array.isArray(blocks) || !blocks.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 50_000)) return undefined
  return { blobUrl, blockSize, blocks: [...new Set(blocks as number[])].sort((a, b) => a - b) }
}
