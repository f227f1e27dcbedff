/**
 * `/__control/*`: fault injection and upload inspection over HTTP, for browser tests and the demo.
 * Served only with the `control` option (`--control`); a cross-origin browser request gets 403
 * unless its `Origin` is listed in the CORS allow-list by name (see `controlAllowed`).
 *
 * - `POST /__control/faults` (a Fault as JSON) -> 201 with the registered fault
 * - `GET /__control/faults` -> the registered faults with their `hits`; `DELETE` clears them
 * - `GET /__control/uploads` and `GET /__control/uploads/:id` -> upload snapshots
 * - `POST /__control/uploads/:id/expire` and `…/forget` -> 204
 * - `GET /__control/stats` -> the counters (`perUpload` as an object)
 * @module
 */
import { preflightHeaders } from './cors'
import type { Exchange } from './exchange'
import { validateFault, type FaultRegistry } from './faults'
import { isUploadId } from './storage'
import type { ActiveFault, ServerStats, UploadInfo } from './types'

/** The server operations the control routes expose. */
export interface ControlTarget {
  readonly faults: FaultRegistry
  readonly stats: ServerStats
  upload(id: string): Promise<UploadInfo | undefined>
  uploads(): Promise<UploadInfo[]>
  expire(id: string): Promise<boolean>
  forget(id: string): Promise<boolean>
}

/** Path prefix of the control routes. */
export const CONTROL_PREFIX = '/__control/'

const MAX_CONTROL_BODY = 64 * 1024

function readJson(exchange: Exchange): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    exchange.req.once('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      } catch {
        reject(new TypeError('body is not JSON'))
      }
    })
    exchange.req.once('close', () => reject(new TypeError('connection closed')))
    exchange.tap((chunk) => {
      size += chunk.length
      if (size > MAX_CONTROL_BODY) {
        exchange.tap(undefined)
        reject(new TypeError('body too large'))
      } else chunks.push(chunk)
    })
  })
}

function faultJson(fault: ActiveFault): ActiveFault {
  return fault.times === Infinity ? { ...fault, times: -1 } : fault
}

function statsJson(stats: ServerStats): unknown {
  return { ...stats, perUpload: Object.fromEntries(stats.perUpload) }
}

async function addFault(target: ControlTarget, exchange: Exchange): Promise<void> {
  let fault: ActiveFault
  try {
    fault = target.faults.add(validateFault(await readJson(exchange)))
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    exchange.problem(400, { type: 'about:blank', title: 'invalid fault', detail })
    return
  }
  exchange.json(201, faultJson(fault))
}

async function uploadRoute(target: ControlTarget, exchange: Exchange, id: string, action: string | undefined): Promise<void> {
  const method = exchange.req.method
  if (!isUploadId(id)) return exchange.problem(404, { type: 'about:blank', title: 'no such upload' })
  if (action === undefined && (method === 'GET' || method === 'HEAD')) {
    const info = await target.upload(id)
    if (info) exchange.json(200, info)
    else exchange.problem(404, { type: 'about:blank', title: 'no such upload' })
    return
  }
  if ((action === 'expire' || action === 'forget') && method === 'POST') {
    const found = action === 'expire' ? await target.expire(id) : await target.forget(id)
    if (found) exchange.reply(204)
    else exchange.problem(404, { type: 'about:blank', title: 'no such upload' })
    return
  }
  exchange.problem(405, { type: 'about:blank', title: 'method not allowed' }, { Allow: action ? 'POST, OPTIONS' : 'GET, OPTIONS' })
}

/** Answers a request under {@link CONTROL_PREFIX}; `path` is the URL path. */
export async function handleControl(target: ControlTarget, exchange: Exchange, path: string): Promise<void> {
  const method = exchange.req.method ?? ''
  if (method === 'OPTIONS') return exchange.reply(204, preflightHeaders(exchange.req))
  const parts = path.slice(CONTROL_PREFIX.length).split('/')
  const [resource, id, action, ...rest] = parts
  if (resource === 'faults' && id === undefined) {
    if (method === 'POST') return addFault(target, exchange)
    if (method === 'GET') return exchange.json(200, target.faults.list().map(faultJson))
    if (method === 'DELETE') {
      target.faults.clear()
      return exchange.reply(204)
    }
    return exchange.problem(405, { type: 'about:blank', title: 'method not allowed' }, { Allow: 'GET, POST, DELETE, OPTIONS' })
  }
  if (resource === 'uploads' && id === undefined && method === 'GET') return exchange.json(200, await target.uploads())
  if (resource === 'uploads' && id !== undefined && rest.length === 0) return uploadRoute(target, exchange, id, action)
  if (resource === 'stats' && id === undefined && method === 'GET') return exchange.json(200, statsJson(target.stats))
  exchange.problem(404, { type: 'about:blank', title: 'no such control route' })
}
