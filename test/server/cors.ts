/**
 * CORS: only origins on the server's allow-list may read its responses (errors included);
 * OPTIONS answers preflights. With no allow-list no `Access-Control-Allow-Origin` is ever sent,
 * so only same-origin pages and non-browser clients can use the server. Credentials are allowed
 * only when asked for, and never together with the `*` wildcard.
 *
 * The policy of the server that received a request is bound to the request ({@link bindCors}), so
 * every helper that writes headers for a request finds it from the request alone.
 * @module
 */
import type { IncomingMessage } from 'node:http'

/** Methods allowed cross-origin. */
export const CORS_ALLOWED_METHODS = 'POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS'

/** Request headers allowed when a preflight does not list its own. */
export const CORS_DEFAULT_ALLOWED_HEADERS = [
  'Upload-Offset',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Length',
  'Upload-Draft-Interop-Version',
  'Content-Type',
  'Content-Disposition',
  'Authorization',
  'Tus-Resumable',
  'Upload-Metadata',
].join(', ')

/** Response headers a cross-origin script may read. */
export const CORS_EXPOSED_HEADERS = [
  'Location',
  'Upload-Offset',
  'Upload-Complete',
  'Upload-Incomplete',
  'Upload-Length',
  'Upload-Limit',
  'Upload-Draft-Interop-Version',
  'Retry-After',
  'Content-Type',
].join(', ')

/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600

/** Which cross-origin pages may use the server. */
export interface CorsOptions {
  /**
   * Origins allowed to read responses, e.g. `http://127.0.0.1:5173` (scheme, host and port; no
   * path). `*` allows every origin for the upload routes (never for `/__control/`, never with
   * credentials). Default: none.
   */
  origins?: string[]
  /** Send `Access-Control-Allow-Credentials: true` to allowed origins (cookies, HTTP auth); default false. */
  credentials?: boolean
}

/** Normalizes an origin (`HTTP://Host:80` -> `http://host`); throws TypeError unless it is an http(s) origin. */
export function normalizeOrigin(text: string): string {
  if (text === '*') return text
  const rest = /^https?:\/\/([^/?#@]+)\/?$/i.exec(text)
  let url: URL | undefined
  try {
    url = rest ? new URL(text) : undefined
  } catch {
    url = undefined
  }
  if (!url) throw new TypeError(`not an http(s) origin (scheme://host[:port]): ${JSON.stringify(text)}`)
  return url.origin
}

/** The CORS decisions of one server; the allow-list can grow while it runs. */
export class CorsPolicy {
  private readonly origins = new Set<string>()
  private any = false
  readonly credentials: boolean

  /** Throws TypeError on an invalid origin, or on `*` with credentials. */
  constructor(options: CorsOptions = {}) {
    this.credentials = options.credentials ?? false
    for (const origin of options.origins ?? []) this.allow(origin)
  }

  /** Adds an origin (or `*`) to the allow-list; throws TypeError like the constructor. */
  allow(origin: string): void {
    const normalized = normalizeOrigin(origin)
    if (normalized === '*') {
      if (this.credentials) throw new TypeError('CORS credentials cannot be combined with the * origin')
      this.any = true
    } else this.origins.add(normalized)
  }

  /** Whether a page on `origin` may read responses of the upload routes. */
  allows(origin: string | undefined): boolean {
    return origin !== undefined && (this.any || this.listed(origin))
  }

  /** Whether `origin` is named on the list itself (the wildcard does not count). */
  listed(origin: string): boolean {
    try {
      return this.origins.has(normalizeOrigin(origin))
    } catch {
      return false
    }
  }

  /** The allow-list, for messages. */
  list(): string[] {
    return [...(this.any ? ['*'] : []), ...this.origins]
  }
}

const policies = new WeakMap<IncomingMessage, CorsPolicy>()

/** Binds the receiving server's policy to a request; unbound requests get no CORS headers. */
export function bindCors(req: IncomingMessage, policy: CorsPolicy): void {
  policies.set(req, policy)
}

/** The policy bound to a request, if any. */
export function corsPolicyOf(req: IncomingMessage): CorsPolicy | undefined {
  return policies.get(req)
}

/** The `Access-Control-Allow-Origin` value for a request: its origin when listed, `*` under the wildcard. */
function allowedOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin
  const policy = policies.get(req)
  if (origin === undefined || !policy) return undefined
  if (policy.listed(origin)) return origin
  return policy.allows(origin) ? '*' : undefined
}

/**
 * Headers for every response. A listed `Origin` is echoed (with credentials only when the policy
 * asks for them), any other under the wildcard gets `*`; otherwise only `Vary: Origin` is sent.
 */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = allowedOrigin(req)
  if (origin === undefined) return { Vary: 'Origin' }
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': CORS_EXPOSED_HEADERS,
    Vary: 'Origin',
  }
  if (origin !== '*' && policies.get(req)?.credentials === true) headers['Access-Control-Allow-Credentials'] = 'true'
  return headers
}

/** Whether the request is a CORS preflight (the browser sends it without our custom headers). */
export function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined
}

/**
 * Headers answering a preflight (sent on every OPTIONS response). Without an allowed origin
 * (see {@link corsHeaders}) the browser still refuses the request; private-network access is
 * granted to allowed origins only.
 */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
  const requested = req.headers['access-control-request-headers']
  const headers: Record<string, string> = {
    'Access-Control-Allow-Methods': CORS_ALLOWED_METHODS,
    'Access-Control-Allow-Headers': requested !== undefined && requested.trim() !== '' ? requested : CORS_DEFAULT_ALLOWED_HEADERS,
    'Access-Control-Max-Age': String(CORS_MAX_AGE_SECONDS),
    Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
  }
  if (req.headers['access-control-request-private-network'] === 'true' && allowedOrigin(req) !== undefined) {
    headers['Access-Control-Allow-Private-Network'] = 'true'
  }
  return headers
}

/**
 * Whether a `/__control/` request may proceed: it names an origin listed explicitly (the wildcard
 * does not count), or it is not a cross-origin browser request at all (no `Origin`, and no
 * `Sec-Fetch-Site` saying another site or origin sent it), as from curl or a test in Node.
 */
export function controlAllowed(req: IncomingMessage, policy: CorsPolicy): boolean {
  const origin = req.headers.origin
  if (origin !== undefined) return policy.listed(origin)
  const site = req.headers['sec-fetch-site']
  return site === undefined || site === 'same-origin' || site === 'none'
}
