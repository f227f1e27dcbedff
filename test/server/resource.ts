/**
 * Offset retrieval (HEAD/GET, draft §4.3), cancellation (DELETE, §4.5), OPTIONS, and the answer
 * to a request whose interop version the server does not speak.
 * @module
 */
import { serializeBoolean, serializeInteger } from '../../src/protocols/structured-fields'
import { preflightHeaders } from './cors'
import type { Exchange } from './exchange'
import { TUSD_UNSUPPORTED_VERSION } from './protocol'
import { gone, notFound, stallIfAsked, type ServerCore } from './transfer'
import type { RequestKind } from './types'

/** Methods of the upload collection (`/uploads`). */
export const COLLECTION_METHODS = 'POST, PUT, OPTIONS'

/** Methods of an upload resource (`/uploads/:id`). */
export const RESOURCE_METHODS = 'HEAD, GET, PATCH, DELETE, OPTIONS'

/** HEAD or GET /uploads/:id: 204 with the upload's state. */
export async function handleOffsetRetrieval(core: ServerCore, exchange: Exchange): Promise<void> {
  const entry = core.registry.get(exchange.uploadId)
  if (!entry) return notFound(exchange)
  const release = await core.registry.acquire(entry, exchange)
  try {
    if (!(await stallIfAsked(exchange))) return
    if (entry.forgotten) return notFound(exchange)
    const reason = core.registry.goneReason(entry)
    if (reason) return gone(exchange, reason)
    await core.registry.refreshOffset(entry)
    const headers: Record<string, string> = {
      'Upload-Offset': serializeInteger(entry.offset),
      'Upload-Complete': serializeBoolean(entry.record.complete),
      'Upload-Limit': core.uploadLimit(exchange.interop.version, entry),
      'Cache-Control': 'no-store',
    }
    if (entry.record.length !== undefined) headers['Upload-Length'] = serializeInteger(entry.record.length)
    exchange.reply(204, headers)
  } finally {
    release()
  }
}

/** DELETE /uploads/:id: kills in-flight requests, removes the bytes, 204; the upload answers 410 after. */
export async function handleCancellation(core: ServerCore, exchange: Exchange): Promise<void> {
  const entry = core.registry.get(exchange.uploadId)
  if (!entry) return notFound(exchange)
  const release = await core.registry.acquire(entry, exchange)
  try {
    if (!(await stallIfAsked(exchange))) return
    if (entry.forgotten) return notFound(exchange)
    const reason = core.registry.goneReason(entry)
    if (reason) return gone(exchange, reason)
    if (exchange.faults.destroy) return exchange.abort()
    await core.registry.cancel(entry)
    exchange.reply(204)
  } finally {
    release()
  }
}

/** OPTIONS on `/uploads`, `/uploads/:id` or `*`: `Upload-Limit`, `Allow` and the CORS preflight answer. */
export function handleOptions(core: ServerCore, exchange: Exchange, allow: string): void {
  exchange.reply(204, {
    Allow: allow,
    'Upload-Limit': core.uploadLimit(exchange.interop.version),
    ...preflightHeaders(exchange.req),
  })
}

/**
 * A request naming an interop version the server does not speak, answered as tusd answers it:
 * as a tus 1.0 request. HEAD/GET get tus's offset answer (`Tus-Resumable`, `Upload-Offset`,
 * `Upload-Length` or `Upload-Defer-Length`, no completion field), OPTIONS tus's discovery answer,
 * and everything else `412` about the missing `Tus-Resumable`. No 104 is sent.
 */
export function handleUnsupportedVersion(core: ServerCore, exchange: Exchange, kind: RequestKind): void {
  const tus = { 'Tus-Resumable': TUSD_UNSUPPORTED_VERSION.headers['Tus-Resumable'] }
  if (kind === 'options') return exchange.reply(200, { ...tus, 'Tus-Version': '1.0.0' })
  const entry = kind === 'head' && exchange.uploadId !== undefined ? core.registry.get(exchange.uploadId) : undefined
  if (kind === 'head' && (!entry || entry.forgotten)) return notFound(exchange)
  if (entry) {
    const { length } = entry.record
    const size: Record<string, string> = length === undefined ? { 'Upload-Defer-Length': '1' } : { 'Upload-Length': String(length) }
    return exchange.reply(200, { ...tus, 'Upload-Offset': String(entry.offset), ...size, 'Cache-Control': 'no-store' })
  }
  const { status, headers, body } = TUSD_UNSUPPORTED_VERSION
  exchange.reply(status, headers, body)
}
