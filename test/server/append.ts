/**
 * Upload append (PATCH, draft §4.4): strict header checks, the offset check (409), length
 * consistency, limits, then the body.
 * @module
 */
import { serializeBoolean, serializeInteger } from '../../src/protocols/structured-fields'
import type { Exchange } from './exchange'
import {
  acceptsRepeatedLength,
  completeField,
  completionFieldName,
  contentLength,
  declaresBody,
  integerField,
  INVALID,
  PARTIAL_UPLOAD_TYPE,
  PROBLEM_TYPES,
  requiresPartialUploadType,
} from './protocol'
import type { UploadEntry } from './registry'
import {
  gone,
  inconsistentLength,
  malformed,
  notFound,
  reject,
  runTransfer,
  sendCompletion,
  stallIfAsked,
  tooLarge,
  type Rejection,
  type ServerCore,
} from './transfer'

/** Append headers after parsing. */
interface AppendHeaders {
  offset: number
  complete: boolean
  /** `Upload-Length`. */
  length: number | undefined
  /** `Content-Length`; undefined for a chunked body. */
  size: number | undefined
}

function mediaType(value: string | undefined): string | undefined {
  return value?.split(';')[0]?.trim().toLowerCase()
}

function readAppendHeaders(exchange: Exchange): AppendHeaders | Rejection {
  const { req, interop } = exchange
  const offset = integerField(req, 'upload-offset')
  if (offset === undefined || offset === INVALID) return malformed('Upload-Offset', 'required; a non-negative integer of at most 15 digits')
  const complete = completeField(req, interop.version)
  if (complete === undefined || complete === INVALID) return malformed(completionFieldName(interop.version), 'required; ?0 or ?1')
  const length = integerField(req, 'upload-length')
  if (length === INVALID) return malformed('Upload-Length', 'must be a non-negative integer')
  if (requiresPartialUploadType(interop.version) && mediaType(req.headers['content-type']) !== PARTIAL_UPLOAD_TYPE) {
    return {
      status: 415,
      problem: { type: 'about:blank', title: 'unsupported media type', detail: `PATCH content must be ${PARTIAL_UPLOAD_TYPE}` },
      headers: { 'Accept-Patch': PARTIAL_UPLOAD_TYPE },
    }
  }
  return { offset, complete, length, size: contentLength(req) }
}

function mismatch(entry: UploadEntry, provided: number): Rejection {
  return {
    status: 409,
    problem: {
      type: PROBLEM_TYPES.mismatchingOffset,
      title: 'offset from request does not match offset of resource',
      'expected-offset': entry.offset,
      'provided-offset': provided,
    },
    headers: { 'Upload-Offset': serializeInteger(entry.offset), 'Upload-Complete': serializeBoolean(false) },
  }
}

/** tusd's 400 to an `Upload-Length` on an append when the length is already known (interop ≤ 6). */
function lengthAlreadyKnown(exchange: Exchange, entry: UploadEntry, h: AppendHeaders): Rejection | undefined {
  if (h.length === undefined || entry.record.length === undefined || acceptsRepeatedLength(exchange.interop.version)) return undefined
  return malformed('Upload-Length', `the length is already known (${entry.record.length}); send Upload-Length on an append only while it is deferred`)
}

/** The length after this request, or a rejection (`invalidate`: the data would go past the length). */
function checkAppend(
  core: ServerCore,
  exchange: Exchange,
  entry: UploadEntry,
  h: AppendHeaders,
): { length: number | undefined } | (Rejection & { invalidate?: boolean }) {
  const repeated = lengthAlreadyKnown(exchange, entry, h)
  if (repeated) return repeated
  const declared = [entry.record.length, h.length, h.complete && h.size !== undefined ? h.offset + h.size : undefined]
  const known = declared.filter((value): value is number => value !== undefined)
  const length = known[0]
  if (known.some((value) => value !== length)) return inconsistentLength(`conflicting lengths: ${known.join(', ')}`)
  if (length !== undefined && length < entry.offset) return inconsistentLength(`length ${length} is below the offset ${entry.offset}`)
  const end = h.size === undefined ? undefined : h.offset + h.size
  if (length !== undefined && end !== undefined && end > length) {
    return { ...inconsistentLength(`content ends at ${end}, past the length ${length}; the upload was deactivated`), invalidate: true }
  }
  const { maxSize, maxAppendSize, minAppendSize } = core.limits
  if (maxSize !== undefined && Math.max(length ?? 0, end ?? 0) > maxSize) return tooLarge(core, exchange, `the upload exceeds max-size ${maxSize}`)
  if (maxAppendSize !== undefined && h.size !== undefined && h.size > maxAppendSize) {
    return tooLarge(core, exchange, `Content-Length exceeds max-append-size ${maxAppendSize}`)
  }
  if (minAppendSize !== undefined && h.size !== undefined && h.size < minAppendSize && !h.complete) {
    return tooLarge(core, exchange, `Content-Length is below min-append-size ${minAppendSize}`)
  }
  return { length }
}

/**
 * A completed upload replays its final response to an empty `?1` PATCH at its final offset (the
 * client lost that response); anything else gets 400 `completed-upload` with `Upload-Complete: ?1`.
 */
async function appendToCompleted(core: ServerCore, exchange: Exchange, entry: UploadEntry, h: AppendHeaders): Promise<void> {
  if (h.complete && h.offset === entry.offset && !declaresBody(exchange.req)) {
    await sendCompletion(core, exchange, entry, 200)
    return
  }
  exchange.problem(
    400,
    {
      type: PROBLEM_TYPES.completedUpload,
      title: 'upload is already completed',
    },
    { 'Upload-Complete': serializeBoolean(true), 'Upload-Offset': serializeInteger(entry.offset) },
  )
}

/** PATCH /uploads/:id. */
export async function handleAppend(core: ServerCore, exchange: Exchange): Promise<void> {
  const entry = core.registry.get(exchange.uploadId)
  if (!entry) return notFound(exchange)
  const headers = readAppendHeaders(exchange)
  if ('status' in headers) return reject(exchange, headers)
  const release = await core.registry.acquire(entry, exchange)
  try {
    if (!(await stallIfAsked(exchange))) return
    if (entry.forgotten) return notFound(exchange)
    const reason = core.registry.goneReason(entry)
    if (reason) return gone(exchange, reason)
    await core.registry.refreshOffset(entry)
    if (entry.record.complete) return await appendToCompleted(core, exchange, entry, headers)
    if (headers.offset !== entry.offset) return reject(exchange, mismatch(entry, headers.offset))
    const checked = checkAppend(core, exchange, entry, headers)
    if ('status' in checked) {
      if (checked.invalidate) await core.registry.deactivate(entry, 'invalidated')
      return reject(exchange, checked)
    }
    if (checked.length !== entry.record.length) {
      entry.record = { ...entry.record, length: checked.length }
      await core.registry.save(entry)
    }
    await runTransfer(core, exchange, { entry, complete: headers.complete, creation: false })
  } finally {
    release()
  }
}
