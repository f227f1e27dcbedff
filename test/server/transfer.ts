/**
 * What creation, plain uploads and appends share once their headers are accepted: streaming the
 * body under the upload's limits and turning the outcome into the draft's response.
 * @module
 */
import { serializeBoolean, serializeInteger } from '../../src/protocols/structured-fields'
import { receiveBody } from './body'
import type { Exchange, Problem } from './exchange'
import type { FaultRegistry } from './faults'
import { answersWithCompletion, PROBLEM_TYPES } from './protocol'
import type { UploadEntry, UploadRegistry } from './registry'
import type { UploadLimits } from './types'

/** What request handlers need from the server. */
export interface ServerCore {
  readonly limits: UploadLimits
  readonly interopVersions: readonly number[]
  readonly progressInterimEvery: number
  readonly registry: UploadRegistry
  readonly faults: FaultRegistry
  /** Absolute URL of an upload. */
  uploadUrl(id: string): string
  /** `Upload-Limit` for a version; with an upload, `max-age` counts down to its expiry. */
  uploadLimit(version: number, entry?: UploadEntry): string
  /** Records that the exchange concerns this upload (statistics). */
  track(exchange: Exchange, id: string): void
}

/** A refusal decided from the headers alone. */
export interface Rejection {
  status: number
  problem: Problem
  headers?: Record<string, string>
}

/** Sends a rejection. */
export function reject(exchange: Exchange, rejection: Rejection): void {
  exchange.problem(rejection.status, rejection.problem, rejection.headers)
}

/** 400 for a header that is missing or not valid for its structured-field type. */
export function malformed(field: string, detail: string): Rejection {
  return { status: 400, problem: { type: PROBLEM_TYPES.malformedField, title: `invalid ${field}`, detail, field } }
}

/** 400 `inconsistent-upload-length`. */
export function inconsistentLength(detail: string, headers: Record<string, string> = {}): Rejection {
  return {
    status: 400,
    problem: { type: PROBLEM_TYPES.inconsistentLength, title: 'inconsistent upload length', detail },
    headers: { 'Upload-Complete': serializeBoolean(false), ...headers },
  }
}

/** 413 with the limits, so the client can adapt. */
export function tooLarge(core: ServerCore, exchange: Exchange, detail: string, headers: Record<string, string> = {}): Rejection {
  return {
    status: 413,
    problem: { type: PROBLEM_TYPES.limitExceeded, title: 'upload limit exceeded', detail },
    headers: { 'Upload-Limit': core.uploadLimit(exchange.interop.version), ...headers },
  }
}

/** 404 for an unknown upload. */
export function notFound(exchange: Exchange): void {
  exchange.problem(404, { type: 'about:blank', title: 'no such upload' })
}

/** 410 for an upload that expired, was cancelled or was invalidated. */
export function gone(exchange: Exchange, reason: string): void {
  exchange.problem(410, { type: 'about:blank', title: 'upload is gone', detail: reason })
}

/** Applies a stall fault; false when the connection closed meanwhile. */
export async function stallIfAsked(exchange: Exchange): Promise<boolean> {
  const stall = exchange.faults.stall
  if (!stall) return !exchange.closed
  const closed = exchange.whenClosed()
  if (stall.ms === undefined) {
    await closed
    return false
  }
  let timer: NodeJS.Timeout | undefined
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, stall.ms)))
  await Promise.race([closed, elapsed])
  clearTimeout(timer)
  return !exchange.closed
}

/**
 * The response for a completed upload: the target resource's `{ id, size, sha256 }`. Interop ≤ 6
 * answers as tusd does instead: `201` (creation) or `204` (append) with `Upload-Offset` and no
 * completion field or body; `status` says which (201 for a creation).
 */
export async function sendCompletion(core: ServerCore, exchange: Exchange, entry: UploadEntry, status: number): Promise<void> {
  if (entry.record.kind === 'resumable' && !answersWithCompletion(exchange.interop.version)) {
    const headers = { 'Upload-Offset': serializeInteger(entry.offset) }
    exchange.reply(status === 201 ? 201 : 204, status === 201 ? { Location: core.uploadUrl(entry.id), ...headers } : headers)
    return
  }
  const sha256 = await core.registry.digest(entry)
  const headers: Record<string, string> = { Location: core.uploadUrl(entry.id) }
  if (entry.record.kind === 'resumable') {
    headers['Upload-Complete'] = serializeBoolean(true)
    headers['Upload-Offset'] = serializeInteger(entry.offset)
  }
  exchange.json(status, { id: entry.id, size: entry.offset, sha256 }, headers)
}

/** One body-carrying request on an upload whose lock the caller holds. */
export interface TransferRequest {
  entry: UploadEntry
  /** `Upload-Complete` of the request (true for a plain upload). */
  complete: boolean
  /** Creation (or plain) rather than append. */
  creation: boolean
}

type Bound = 'length' | 'max-size' | 'max-append-size'

function bodyBound(core: ServerCore, entry: UploadEntry): { maxBytes: number; bound: Bound } {
  const start = entry.offset
  const rooms: Array<[number, Bound]> = [
    [entry.record.length === undefined ? Infinity : entry.record.length - start, 'length'],
    [core.limits.maxSize === undefined ? Infinity : core.limits.maxSize - start, 'max-size'],
  ]
  if (entry.record.kind === 'resumable') rooms.push([core.limits.maxAppendSize ?? Infinity, 'max-append-size'])
  const [maxBytes, bound] = rooms.reduce((best, room) => (room[0] < best[0] ? room : best))
  return { maxBytes: Math.max(0, maxBytes), bound }
}

function progressReporter(core: ServerCore, exchange: Exchange, entry: UploadEntry): ((persisted: number) => void) | undefined {
  const every = core.progressInterimEvery
  const start = entry.offset
  if (every <= 0 || entry.record.kind === 'plain') return undefined
  let reported = 0
  return (persisted) => {
    const step = Math.floor(persisted / every)
    if (step <= reported) return
    reported = step
    exchange.sendInterim({ 'Upload-Offset': serializeInteger(start + persisted) })
  }
}

/** Streams the body into the upload, then answers (or, for faults and broken connections, does not). */
export async function runTransfer(core: ServerCore, exchange: Exchange, request: TransferRequest): Promise<void> {
  const { entry } = request
  const { registry } = core
  const { maxBytes, bound } = bodyBound(core, entry)
  const result = await receiveBody(exchange, {
    path: registry.storage.dataPath(entry.id),
    maxBytes,
    destroyAfter: exchange.faults.destroy?.afterBytes,
    hash: entry.hash,
    onPersisted: progressReporter(core, exchange, entry),
  })
  if (result.outcome === 'failed') entry.hash = undefined
  else entry.hashedBytes += result.bytes
  await registry.refreshOffset(entry)
  switch (result.outcome) {
    case 'aborted':
      return
    case 'destroy':
      exchange.abort()
      return
    case 'failed':
      console.error('reference server: writing upload data failed', result.error)
      exchange.problem(500, { type: 'about:blank', title: 'storage failure' })
      return
    case 'overflow':
      return answerOverflow(core, exchange, entry, bound, request.creation)
    case 'ended':
      return answerEnded(core, exchange, request, result.bytes)
  }
}

async function answerOverflow(core: ServerCore, exchange: Exchange, entry: UploadEntry, bound: Bound, creation: boolean): Promise<void> {
  if (bound === 'max-append-size') {
    const headers: Record<string, string> = {
      'Upload-Offset': serializeInteger(entry.offset),
      'Upload-Complete': serializeBoolean(false),
    }
    if (creation) headers.Location = core.uploadUrl(entry.id)
    reject(exchange, tooLarge(core, exchange, 'request content exceeds max-append-size; the bytes up to it were kept', headers))
    return
  }
  await core.registry.deactivate(entry, 'invalidated')
  if (bound === 'max-size') reject(exchange, tooLarge(core, exchange, 'upload exceeds max-size; the upload was deactivated'))
  else reject(exchange, inconsistentLength('content goes past the upload length; the upload was deactivated'))
}

async function answerEnded(core: ServerCore, exchange: Exchange, request: TransferRequest, bytes: number): Promise<void> {
  const { entry, complete, creation } = request
  const minAppend = core.limits.minAppendSize
  const offsetHeader = { 'Upload-Offset': serializeInteger(entry.offset) }
  if (entry.record.kind === 'resumable' && !complete && minAppend !== undefined && bytes < minAppend && !(creation && bytes === 0)) {
    reject(exchange, tooLarge(core, exchange, `request content is below min-append-size (${bytes} bytes were kept)`, offsetHeader))
    return
  }
  if (!complete) {
    const headers: Record<string, string> = {
      'Upload-Limit': core.uploadLimit(exchange.interop.version, entry),
      ...offsetHeader,
    }
    // Before draft -06 (tusd) these answers carry no completion field.
    if (answersWithCompletion(exchange.interop.version)) headers['Upload-Complete'] = serializeBoolean(false)
    if (creation) exchange.reply(201, { Location: core.uploadUrl(entry.id), ...headers })
    else exchange.reply(204, headers)
    return
  }
  const { length } = entry.record
  if (length !== undefined && length !== entry.offset) {
    reject(exchange, inconsistentLength(`Upload-Complete: ?1 at offset ${entry.offset}, but the length is ${length}`, offsetHeader))
    return
  }
  entry.record = { ...entry.record, length: entry.offset, complete: true }
  await core.registry.save(entry)
  await sendCompletion(core, exchange, entry, creation ? 201 : 200)
}
