/**
 * An Azure Block Blob upload on the parts runner (parts-runner.ts), which speaks S3's vocabulary:
 * this file adapts the sans-I/O Azure protocol to it. Blocks are parts (Put Block through the
 * Upload's transport), "create" resolves the SAS URL, "listParts" is Get Block List, "complete" is
 * Put Block List, and "re-sign" asks the `url` function for a fresh SAS. The two block-list
 * requests go through `fetch`: the Upload's transports keep at most 1 MiB of an answer's text,
 * and Get Block List of 50,000 blocks is about 4 MB of XML (the runner sends only block bodies
 * through the Upload's transport).
 * The record is the runner's: the blob URL without its SAS as upload id and key, the block size,
 * and the held blocks with their ids.
 * @module
 */
import { UploadError } from '../errors'
import type { AzureProtocol } from '../protocols/azure'
import type { AzureBlobRef, AzureFile, AzureRequest } from '../protocols/azure-types'
import type { S3Protocol } from '../protocols/s3'
import type { S3Callbacks, S3File, S3HeldPart, S3PartRequest, S3PartResult, S3RecordState, S3UploadRef } from '../protocols/s3-types'
import type { HttpResponse } from '../types'

/** Sends a block-list request (Get or Put Block List). Default: the global `fetch`. */
export type AzureFetch = (request: AzureRequest, signal: AbortSignal) => Promise<HttpResponse>

/** Re-tries of a block-list request after an expired SAS, each with a fresh one. */
const LIST_REFRESHES = 3

/** The state an adapter keeps: the blob in use and whether its SAS must be refreshed. */
interface AzureSas {
  ref: AzureBlobRef | undefined
  stale: boolean
  pending?: Promise<AzureBlobRef> | undefined
}

/**
 * The Azure protocol in the parts runner's shape (an S3Protocol whose callbacks do Azure's I/O).
 * @param send sends Get and Put Block List (default: global fetch)
 * @param now the clock (for SAS expiry)
 */
export function azureRunProtocol(azure: AzureProtocol, send: AzureFetch = fetchRequest, now: () => number = Date.now): S3Protocol {
  const sas: AzureSas = { ref: undefined, stale: false }
  const resolve = async (file: AzureFile, refreshOf: string | undefined, signal: AbortSignal): Promise<AzureBlobRef> => {
    const { url } = azure.options
    let value: unknown
    try {
      value = typeof url === 'string' ? url : await url(file)
    } catch (error) {
      throw azure.urlError(error, signal)
    }
    // A refreshed URL must name the blob in use (location-refused otherwise).
    sas.ref = azure.readUrl(value, refreshOf)
    sas.stale = false
    return sas.ref
  }
  /** The blob in use with a live SAS; one `url()` call at a time, shared by the parts waiting for it. */
  const blob = async (file: AzureFile, current: string | undefined, signal: AbortSignal): Promise<AzureBlobRef> => {
    let ref = sas.ref
    if (ref === undefined || sas.stale) {
      sas.pending ??= resolve(file, sas.stale ? ref?.blobUrl : undefined, signal).finally(() => (sas.pending = undefined))
      ref = await sas.pending
    }
    // A URL naming another blob than the record's: that record is not this upload's, start afresh.
    if (current !== undefined && ref.blobUrl !== current)
      throw new UploadError('upload-gone', 'the Azure url names another blob than the record', { retryable: false })
    return ref
  }
  /** Sends a block-list request, refreshing an expired SAS; throws the failure as an UploadError. */
  const blockList = async (file: AzureFile, key: string, signal: AbortSignal, request: (ref: AzureBlobRef) => AzureRequest, what: string) => {
    for (let refreshes = 0; ; refreshes++) {
      const ref = await blob(file, key, signal)
      const response = await send(request(ref), signal)
      if (what === 'Get Block List' && (response.status === 200 || response.status === 404)) return response
      const result = azure.readResponse(what, response, ref, now())
      if (result.kind === 'stored') return response
      if (result.kind === 'refresh' && refreshes < LIST_REFRESHES) sas.stale = true
      else throw result.error
    }
  }
  const callbacks: S3Callbacks = {
    createMultipartUpload: async (file, signal) => {
      const { blobUrl } = await blob(file as AzureFile, undefined, signal)
      return { uploadId: blobUrl, key: blobUrl }
    },
    signPart: async (file, { key, partNumber, signal }) => {
      const ref = await blob(file as AzureFile, key, signal)
      const { url, headers } = azure.putBlock(ref, azure.block(partNumber, 0, 0))
      return { url, headers }
    },
    // The runner hands this answer (the raw Get Block List response) to readListedParts below, which checks it against the plan.
    listParts: async (file, { key, signal }) => (await blockList(file as AzureFile, key, signal, (ref) => azure.getBlockList(ref), 'Get Block List')) as never,
    completeMultipartUpload: async (file, { key, parts, signal }) => {
      const count = parts.length
      await blockList(file as AzureFile, key, signal, (ref) => azure.putBlockList(ref, count, file as AzureFile), 'Put Block List')
      return { location: key }
    },
    // Azure has no call that drops uncommitted blocks; it discards them after a week.
    abortMultipartUpload: () => undefined,
  }
  return {
    name: 's3',
    version: '1',
    parts: true,
    callbacks,
    checkChunkSize: azure.checkChunkSize,
    partSize: azure.blockSize,
    partNumberError: azure.blockNumberError,
    readCreated: (value) => value as S3UploadRef,
    partRequest: (signed, part) => {
      const { url, headers } = signed as { url: string; headers: Record<string, string> }
      return { method: 'PUT', url, headers, body: { start: part.start, end: part.end }, partNumber: part.number }
    },
    presignedExpiry: () => undefined,
    readPartResponse: (request, response, time) => partResult(azure, sas, request, response, time),
    readListedParts: (value, plan) =>
      azure
        .readBlockList(value as HttpResponse, { size: plan.size, blockSize: plan.partSize })
        .map((number) => ({ number, etag: azure.block(number, 0, 0).id })),
    resumeParts: (listed) => [...listed],
    completionParts: (parts) => [...parts].sort((a, b) => a.number - b.number).map(({ number, etag }) => ({ PartNumber: number, ETag: etag })),
    readCompleted: (value) => ({ location: (value as { location?: string } | undefined)?.location }),
    callbackError: (_name, cause, signal) => azure.urlError(cause, signal),
    recordState: (upload, partSize, parts) => recordState(upload, partSize, parts),
    readRecordState: (value) => {
      const state = azure.readRecordState(value)
      if (state === undefined) return undefined
      const parts = state.blocks.map((number) => ({ number, etag: azure.block(number, 0, 0).id }))
      return recordState({ uploadId: state.blobUrl, key: state.blobUrl }, state.blockSize, parts)
    },
    // An AzureFile, which the callbacks above read back as one: nothing here reads S3's `meta`.
    file: (source, metadata) => azure.file(source, metadata) as unknown as S3File,
  }
}

/** The runner's record: the blob URL (never the SAS) as both upload id and key. */
function recordState(
  upload: S3UploadRef,
  partSize: number,
  parts: readonly S3HeldPart[],
): S3RecordState & { blobUrl: string; blockSize: number; blocks: number[] } {
  const sorted = [...parts].sort((a, b) => a.number - b.number)
  return {
    uploadId: upload.key,
    key: upload.key,
    partSize,
    parts: sorted.map(({ number, etag }) => ({ number, etag })),
    blobUrl: upload.key,
    blockSize: partSize,
    blocks: sorted.map((part) => part.number),
  }
}

function partResult(azure: AzureProtocol, sas: AzureSas, request: S3PartRequest, response: HttpResponse, now: number): S3PartResult {
  // The SAS this request carried (another part may have refreshed the one in use since).
  const url = new URL(request.url)
  const ref = { blobUrl: `${url.origin}${url.pathname}`, sas: url.search.slice(1) }
  const result = azure.readResponse(`block ${request.partNumber}`, response, ref, now)
  if (result.kind === 'stored') return { kind: 'stored', partNumber: request.partNumber, etag: azure.block(request.partNumber, 0, 0).id }
  if (result.kind === 'refresh') {
    // Only a request that carried the SAS in use makes it stale: an older one was refreshed already.
    const current = sas.ref
    if (current !== undefined && request.url.startsWith(`${current.blobUrl}?${current.sas}&`)) sas.stale = true
    return { kind: 're-sign', error: result.error }
  }
  return result
}

/** A block-list request through the global fetch, its answer as the transports give it. */
async function fetchRequest(request: AzureRequest, signal: AbortSignal): Promise<HttpResponse> {
  let response: Response
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : null,
      signal,
    })
  } catch (error) {
    if (signal.aborted) throw new UploadError('aborted', 'the upload was stopped', { cause: error, retryable: false })
    throw new UploadError('network', 'the block list request failed', { cause: error })
  }
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  return { status: response.status, headers, body: await response.text() }
}
