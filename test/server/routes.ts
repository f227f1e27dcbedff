/**
 * Maps a request line to what it does. Ids are checked against the strict id pattern here, so no
 * other path ever reaches the filesystem.
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { CONTROL_PREFIX } from './control'
import { COLLECTION_METHODS, RESOURCE_METHODS } from './resource'
import { isUploadId } from './storage'

/** Where uploads are created. */
export const UPLOADS_PATH = '/uploads'

/** Methods listed for `OPTIONS *`. */
export const SERVER_METHODS = 'POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS'

/** What a request targets. */
export type Route =
  | { kind: 'create' | 'plain' }
  | { kind: 'head' | 'append' | 'delete'; uploadId: string }
  | { kind: 'options'; allow: string }
  | { kind: 'control'; path: string }
  | { kind: 'none'; status: 400 | 404 | 405; allow?: string }

/** The path of a request target (origin-form or absolute-form), without query; undefined if malformed. */
function pathOf(target: string): string | undefined {
  if (target.startsWith('/')) return target.split(/[?#]/, 1)[0]
  if (/^https?:\/\//i.test(target)) {
    try {
      return new URL(target).pathname
    } catch {
      return undefined
    }
  }
  return undefined
}

function resourceRoute(method: string, id: string): Route {
  if (!isUploadId(id)) return { kind: 'none', status: 404 }
  switch (method) {
    case 'HEAD':
    case 'GET':
      return { kind: 'head', uploadId: id }
    case 'PATCH':
      return { kind: 'append', uploadId: id }
    case 'DELETE':
      return { kind: 'delete', uploadId: id }
    case 'OPTIONS':
      return { kind: 'options', allow: RESOURCE_METHODS }
    default:
      return { kind: 'none', status: 405, allow: RESOURCE_METHODS }
  }
}

// A host (reg-name, IPv4 or bracketed IPv6) with an optional port: nothing that could change a
// URL's structure when pasted into one.
const HOST = /^(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

function firstForwarded(req: IncomingMessage, key: 'host' | 'proto'): string | undefined {
  const forwarded = req.headers.forwarded?.split(',')[0]
  const pair = forwarded
    ?.split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name?.toLowerCase() === key)
  const value = pair?.[1]?.replace(/^"(.*)"$/, '$1')
  const legacy = req.headers[key === 'host' ? 'x-forwarded-host' : 'x-forwarded-proto']
  return value ?? (typeof legacy === 'string' ? legacy.split(',')[0]?.trim() : undefined)
}

/**
 * The origin the client addressed: the `Host` it sent (or the `Forwarded` / `X-Forwarded-Host`
 * host a reverse proxy added) with the forwarded scheme (`http` by default), so `Location`s work
 * through a proxy. Falls back to `fallback` (the server's own origin) when a value is missing or
 * not a plain host[:port] or http/https.
 */
export function requestOrigin(req: IncomingMessage, fallback: string): string {
  const host = firstForwarded(req, 'host') ?? req.headers.host
  const proto = (firstForwarded(req, 'proto') ?? 'http').toLowerCase()
  if (host === undefined || !HOST.test(host) || (proto !== 'http' && proto !== 'https')) return fallback
  return `${proto}://${host}`
}

/** The absolute URL of an upload as the client addressed the server (see {@link requestOrigin}). */
export function uploadUrlFor(req: IncomingMessage | undefined, id: string, fallbackOrigin: string): string {
  return `${req ? requestOrigin(req, fallbackOrigin) : fallbackOrigin}${UPLOADS_PATH}/${id}`
}

/** Routes a request; `control` enables `/__control/*`. */
export function routeRequest(req: IncomingMessage, control: boolean): Route {
  const method = req.method ?? ''
  const target = req.url ?? ''
  if (target === '*') return method === 'OPTIONS' ? { kind: 'options', allow: SERVER_METHODS } : { kind: 'none', status: 400 }
  const path = pathOf(target)
  if (path === undefined) return { kind: 'none', status: 400 }
  if (path === UPLOADS_PATH) {
    if (method === 'POST' || method === 'PUT') {
      // Interop 3 (draft -01) spells completeness `Upload-Incomplete`.
      const resumable = req.headers['upload-complete'] !== undefined || req.headers['upload-incomplete'] !== undefined
      return { kind: resumable ? 'create' : 'plain' }
    }
    if (method === 'OPTIONS') return { kind: 'options', allow: COLLECTION_METHODS }
    return { kind: 'none', status: 405, allow: COLLECTION_METHODS }
  }
  const resource = /^\/uploads\/([^/]*)$/.exec(path)
  if (resource?.[1] !== undefined) return resourceRoute(method, resource[1])
  if (control && path.startsWith(CONTROL_PREFIX)) return { kind: 'control', path }
  return { kind: 'none', status: 404 }
}
