/**
 * CORS headers: every response (errors included) lets the requesting origin read it; OPTIONS
 * answers preflights.
 * @module
 */
import type { IncomingMessage } from 'node:http'

/** Methods allowed cross-origin. */
export const CORS_ALLOWED_METHODS = 'POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS'

/** Request headers allowed when a preflight does not list its own. */
export const CORS_DEFAULT_ALLOWED_HEADERS = [
  'Upload-Offset', 'Upload-Complete', 'Upload-Length', 'Upload-Draft-Interop-Version', 'Content-Type',
  'Content-Disposition', 'Authorization', 'Tus-Resumable', 'Upload-Metadata',
].join(', ')

/** Response headers a cross-origin script may read. */
export const CORS_EXPOSED_HEADERS = [
  'Location', 'Upload-Offset', 'Upload-Complete', 'Upload-Length', 'Upload-Limit', 'Upload-Draft-Interop-Version',
  'Retry-After', 'Content-Type',
].join(', ')

/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600

/** Headers for every response: the Origin is echoed (credentials allowed), `*` without one. */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin ?? '*',
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS,
    Vary: 'Origin',
  }
  if (origin !== undefined) headers['Access-Control-Allow-Credentials'] = 'true'
  return headers
}

/** Whether the request is a CORS preflight (the browser sends it without our custom headers). */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

/** Headers answering a preflight (sent on every OPTIONS response). */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const requested = req.headers['access-control-request-headers']
  const headers: Record<string, string> = {
    'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS,
    'Access-Control-Allow-Headers': requested !== undefined && requested.trim() !== '' ? requested : CORS_DEFAULT_ALLOWED_HEADERS,
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  }
  if (req.headers['access-control-request-private-network'] === 'true') {
    headers['Access-Control-Allow-Private-Network'] = 'true'
  }
  return headers
}
