/**
 * Upload creation (POST/PUT with `Upload-Complete`, or `Upload-Incomplete` at interop 3; draft §4.2)
 * and plain, non-resumable uploads.
 * Headers are validated and the resource is created and announced by a 104 before any body byte
 * is read.
 * @module
 */
import { INVALID, completeField, completionFieldName, contentLength, filenameOf, integerField, PROBLEM_TYPES } from './protocol'
import type { Exchange } from './exchange'
import type { NewUpload } from './registry'
import { inconsistentLength, malformed, reject, runTransfer, stallIfAsked, tooLarge, type Rejection, type ServerCore } from './transfer'

/** Creation headers after parsing. */
interface CreationHeaders {
  complete: boolean
  /** `Upload-Length`. */
  length: number | undefined
  /** `Content-Length`; undefined for a chunked body. */
  size: number | undefined
}

function checkCreation(core: ServerCore, exchange: Exchange, h: CreationHeaders): Rejection | undefined {
  const { maxSize, maxAppendSize, minAppendSize } = core.limits
  if (h.length !== undefined && h.size !== undefined) {
    if (h.complete && h.length !== h.size) return inconsistentLength(`Upload-Length ${h.length} differs from Content-Length ${h.size}`)
    if (!h.complete && h.size > h.length) return inconsistentLength(`Content-Length ${h.size} exceeds Upload-Length ${h.length}`)
  }
  const total = h.length ?? (h.complete ? h.size : undefined)
  if (maxSize !== undefined && Math.max(total ?? 0, h.size ?? 0) > maxSize) {
    return tooLarge(core, exchange, `the upload exceeds max-size ${maxSize}`)
  }
  if (maxAppendSize !== undefined && h.size !== undefined && h.size > maxAppendSize) {
    return tooLarge(core, exchange, `Content-Length exceeds max-append-size ${maxAppendSize}`)
  }
  if (minAppendSize !== undefined && h.size !== undefined && h.size > 0 && h.size < minAppendSize && !h.complete) {
    return tooLarge(core, exchange, `Content-Length is below min-append-size ${minAppendSize}`)
  }
  return undefined
}

function belowMinSize(core: ServerCore, h: CreationHeaders): boolean {
  const minSize = core.limits.minSize ?? 0
  if (minSize <= 0) return false
  const total = h.length ?? (h.complete ? h.size : undefined)
  return total === undefined || total < minSize
}

function newUpload(exchange: Exchange, kind: NewUpload['kind'], length: number | undefined): NewUpload {
  const { headers } = exchange.req
  const contentDisposition = headers['content-disposition']
  return {
    kind,
    length,
    contentType: headers['content-type'],
    contentDisposition,
    filename: filenameOf(contentDisposition),
    interopVersion: exchange.interop.version,
  }
}

/** Creates the upload, announces it with a 104, then receives the body. */
export async function handleCreation(core: ServerCore, exchange: Exchange): Promise<void> {
  const { version } = exchange.interop
  const complete = completeField(exchange.req, version)
  if (complete === undefined || complete === INVALID) return reject(exchange, malformed(completionFieldName(version), 'must be ?0 or ?1'))
  const length = integerField(exchange.req, 'upload-length')
  if (length === INVALID) return reject(exchange, malformed('Upload-Length', 'must be a non-negative integer'))
  const headers: CreationHeaders = { complete, length, size: contentLength(exchange.req) }
  const rejection = checkCreation(core, exchange, headers)
  if (rejection) return reject(exchange, rejection)
  if (belowMinSize(core, headers)) {
    // Below min-size no upload resource is offered; a complete request is still stored plainly.
    if (complete) return handlePlain(core, exchange)
    return exchange.problem(
      400,
      {
        type: PROBLEM_TYPES.belowMinSize,
        title: 'upload below min-size',
        detail: 'resumable uploads need a known length of at least min-size',
      },
      { 'Upload-Limit': core.uploadLimit(exchange.interop.version) },
    )
  }
  const known = length ?? (complete ? headers.size : undefined)
  const entry = await core.registry.create(newUpload(exchange, 'resumable', known))
  core.track(exchange, entry.id)
  const release = await core.registry.acquire(entry, exchange)
  try {
    exchange.sendInterim({
      Location: core.uploadUrl(entry.id),
      'Upload-Limit': core.uploadLimit(exchange.interop.version, entry),
    })
    if (!(await stallIfAsked(exchange))) return
    await runTransfer(core, exchange, { entry, complete, creation: true })
  } finally {
    release()
  }
}

/** An ordinary upload without `Upload-Complete`: stored, answered 201 with the JSON, no 104. */
export async function handlePlain(core: ServerCore, exchange: Exchange): Promise<void> {
  const size = contentLength(exchange.req)
  const { maxSize } = core.limits
  if (maxSize !== undefined && size !== undefined && size > maxSize) {
    return reject(exchange, tooLarge(core, exchange, `the upload exceeds max-size ${maxSize}`))
  }
  const entry = await core.registry.create(newUpload(exchange, 'plain', size))
  core.track(exchange, entry.id)
  const release = await core.registry.acquire(entry, exchange)
  try {
    if (!(await stallIfAsked(exchange))) return
    await runTransfer(core, exchange, { entry, complete: true, creation: true })
  } finally {
    release()
  }
}
