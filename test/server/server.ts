/**
 * The reference server: an HTTP/1.1 server on 127.0.0.1 speaking the IETF resumable-upload draft
 * (interop versions 3–8) with fault injection. Node's own limits apply: request headers up to
 * 16 KiB (431 beyond), at most 2000 header lines, 60 s to receive the headers, 5 s keep-alive; a
 * malformed request line or header gets 400. There is no limit on a whole request's duration: a
 * connection is closed when no byte went either way for `idleTimeoutMs`.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { handleAppend } from './append'
import { handleControl, type ControlTarget } from './control'
import { bindCors, controlAllowed, corsHeaders, CorsPolicy, isPreflight } from './cors'
import { handleCreation, handlePlain } from './creation'
import { Exchange, type ExchangeHooks } from './exchange'
import { FaultRegistry, type ClaimedFaults } from './faults'
import { DEFAULT_INTEROP_VERSIONS, formatUploadLimit, resolveInterop, type Interop } from './protocol'
import { UploadRegistry, type UploadEntry } from './registry'
import { handleCancellation, handleOffsetRetrieval, handleOptions, handleUnsupportedVersion } from './resource'
import { routeRequest, uploadUrlFor, type Route } from './routes'
import { isUploadId, UploadStorage } from './storage'
import type { ServerCore } from './transfer'
import type { ReferenceServerOptions, RequestKind, ServerEvents, ServerStats, UploadInfo, UploadLimits } from './types'

const DEFAULT_LINGER_MS = 2000

/** Defaults of the server as users run it (`npm run server`, `npm run demo`). */
export const PUBLIC_DEFAULTS = {
  /** `max-size` in bytes: 16 GiB. */
  maxSize: 16 * 1024 ** 3,
  /** Open uploads at once (in-process default too). */
  maxUploads: 1000,
  /** Seconds without a byte either way before a connection is closed (in-process default too). */
  idleTimeoutSeconds: 60,
} as const

/** Seconds a client is told to wait (`Retry-After`) when the open-upload cap is reached. */
const CAPACITY_RETRY_AFTER_SECONDS = 60

/** Longest timer Node accepts, in ms. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Why a server could not start: a port in use, an unusable directory. The message is one line. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError'
}

/** The request each handler is answering, so URLs can follow the `Host` it addressed. */
const currentRequest = new AsyncLocalStorage<IncomingMessage>()

function emptyStats(): ServerStats {
  const requests: Record<RequestKind, number> = { create: 0, append: 0, head: 0, delete: 0, options: 0, plain: 0, control: 0 }
  return { requests, bodyBytesReceived: 0, perUpload: new Map() }
}

function validateOptions(options: ReferenceServerOptions): void {
  const limits: UploadLimits = options.limits ?? {}
  for (const [name, value] of Object.entries(limits)) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
      throw new TypeError(`limits.${name} must be a non-negative integer`)
    }
  }
  const versions = options.interopVersions
  if (versions !== undefined && (versions.length === 0 || !versions.every((v) => Number.isSafeInteger(v) && v >= 0))) {
    throw new TypeError('interopVersions must be a non-empty list of integers')
  }
  checkInteger('port', options.port, 0, 65535)
  checkInteger('maxUploads', options.maxUploads, 1, Number.MAX_SAFE_INTEGER)
  checkInteger('idleTimeoutMs', options.idleTimeoutMs, 0, MAX_TIMER_MS)
  checkInteger('lingerMs', options.lingerMs, 0, MAX_TIMER_MS)
}

function checkInteger(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min || value > max)) {
    throw new TypeError(`${name} must be an integer from ${min} to ${max}`)
  }
}

/** Creates the upload directory and checks that it is a writable directory. */
async function prepareDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    const probe = join(dir, `.write-probe-${randomBytes(6).toString('hex')}`)
    await writeFile(probe, '', { flag: 'wx' })
    await rm(probe, { force: true })
  } catch (error) {
    const code = (error as { code?: string }).code
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'is not a directory'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `is not writable (${code})`
          : `cannot be used (${code ?? String(error)})`
    throw new ServerStartError(`upload directory ${dir} ${why}`)
  }
}

function listenError(error: unknown, port: number): ServerStartError {
  const code = (error as { code?: string }).code
  if (code === 'EADDRINUSE') return new ServerStartError(`port ${port} on 127.0.0.1 is already in use`)
  if (code === 'EACCES') return new ServerStartError(`no permission to listen on port ${port}`)
  return new ServerStartError(`cannot listen on 127.0.0.1:${port} (${code ?? String(error)})`)
}

/** The state request handlers work on; the registry is replaced on restart. */
class Core implements ServerCore {
  constructor(
    public registry: UploadRegistry,
    readonly faults: FaultRegistry,
    readonly stats: ServerStats,
    readonly limits: UploadLimits,
    readonly interopVersions: readonly number[],
    readonly progressInterimEvery: number,
    private readonly baseUrl: () => string,
  ) {}

  /** Absolute upload URL on the origin the current request addressed (its `Host`), else the server's. */
  uploadUrl(id: string): string {
    return uploadUrlFor(currentRequest.getStore(), id, this.baseUrl())
  }

  uploadLimit(version: number, entry?: UploadEntry): string {
    const remaining = entry && !entry.record.complete ? this.registry.remainingAge(entry) : undefined
    return formatUploadLimit(this.limits, version, remaining)
  }

  track(exchange: Exchange, id: string): void {
    exchange.uploadId = id
    const counters = this.stats.perUpload.get(id) ?? { bodyBytesReceived: 0, requests: 0 }
    counters.requests++
    this.stats.perUpload.set(id, counters)
  }
}

/** A running reference server. Create it with {@link startReferenceServer}. */
export class ReferenceServer implements ControlTarget {
  /** Faults injected into matching requests. */
  readonly faults = new FaultRegistry()
  /** Live counters (kept across restarts). */
  readonly stats: ServerStats = emptyStats()
  /** Emits `request` as each routed request starts (before its handler runs), so tests need not poll. */
  readonly events = new EventEmitter<ServerEvents>()
  private readonly core: Core
  private readonly hooks: ExchangeHooks
  private readonly sockets = new Set<Socket>()
  private readonly pending = new Set<Promise<void>>()
  private http: Server | undefined
  private port: number
  private readonly control: boolean
  private readonly cors: CorsPolicy
  private readonly maxUploads: number
  private readonly idleTimeoutMs: number
  private readonly now: () => number

  private constructor(
    /** Absolute path of the upload directory. */
    readonly dir: string,
    private readonly ownsDir: boolean,
    options: ReferenceServerOptions,
  ) {
    this.port = options.port ?? 0
    this.control = options.control ?? false
    this.cors = new CorsPolicy(options.cors)
    this.maxUploads = options.maxUploads ?? PUBLIC_DEFAULTS.maxUploads
    this.idleTimeoutMs = options.idleTimeoutMs ?? PUBLIC_DEFAULTS.idleTimeoutSeconds * 1000
    this.now = options.now ?? Date.now
    const limits = { ...options.limits }
    this.core = new Core(
      this.newRegistry(limits),
      this.faults,
      this.stats,
      limits,
      options.interopVersions ?? DEFAULT_INTEROP_VERSIONS,
      options.progressInterimEvery ?? 0,
      () => this.url,
    )
    this.hooks = {
      lingerMs: options.lingerMs ?? DEFAULT_LINGER_MS,
      countBodyBytes: (exchange, bytes) => {
        this.stats.bodyBytesReceived += bytes
        const counters = exchange.uploadId === undefined ? undefined : this.stats.perUpload.get(exchange.uploadId)
        if (counters) counters.bodyBytesReceived += bytes
      },
    }
  }

  /** Starts a server (see {@link startReferenceServer}). */
  static async start(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
    validateOptions(options)
    new CorsPolicy(options.cors) // throws TypeError on a bad origin before anything is created
    const dir = options.dir === undefined ? await mkdtemp(join(tmpdir(), 'reference-upload-server-')) : resolve(options.dir)
    await prepareDir(dir)
    const server = new ReferenceServer(dir, options.dir === undefined, options)
    await server.core.registry.load()
    await server.listen()
    return server
  }

  /** Origin, e.g. `http://127.0.0.1:4000`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Where uploads are created: `url + '/uploads'`. */
  get endpoint(): string {
    return `${this.url}/uploads`
  }

  /**
   * Adds an origin (`scheme://host[:port]`, or `*`) to the CORS allow-list, e.g. for a page server
   * started after this one. Throws TypeError on anything else.
   */
  allowCorsOrigin(origin: string): void {
    this.cors.allow(origin)
  }

  /** A snapshot of one upload read from disk; undefined when unknown or forgotten. */
  async upload(id: string): Promise<UploadInfo | undefined> {
    const entry = isUploadId(id) ? this.core.registry.get(id) : undefined
    return entry ? this.core.registry.info(entry) : undefined
  }

  /** Snapshots of every upload. */
  async uploads(): Promise<UploadInfo[]> {
    return Promise.all(this.core.registry.all().map((entry) => this.core.registry.info(entry)))
  }

  /** The upload id in an upload URL (absolute or a path); throws TypeError for any other URL. */
  uploadIdFromUrl(url: string): string {
    const match = /^\/uploads\/([0-9a-f]{32})$/.exec(new URL(url, this.url).pathname)
    if (!match?.[1]) throw new TypeError(`not an upload URL: ${url}`)
    return match[1]
  }

  /** Expires an upload: it answers 410 from now on (in-flight requests are killed). False when unknown. */
  expire(id: string): Promise<boolean> {
    return isUploadId(id) ? this.core.registry.expire(id) : Promise.resolve(false)
  }

  /** Removes every trace of an upload: it answers 404 from now on. False when unknown. */
  forget(id: string): Promise<boolean> {
    return isUploadId(id) ? this.core.registry.forget(id) : Promise.resolve(false)
  }

  /** Closes the listener, destroys every connection and waits for received bytes to be written. */
  async stop(): Promise<void> {
    const http = this.http
    if (!http) return
    this.http = undefined
    const closed = new Promise<void>((done) => http.close(() => done()))
    http.closeAllConnections()
    for (const socket of this.sockets) socket.destroy()
    await closed
    await Promise.allSettled([...this.pending])
  }

  /** `stop()`, then listens again on the same port with the same directory, state reloaded from disk. */
  async restart(): Promise<void> {
    await this.stop()
    const registry = this.newRegistry(this.core.limits)
    await registry.load()
    this.core.registry = registry
    await this.listen()
  }

  /** `stop()`; removes the directory only if the server created it. */
  async close(): Promise<void> {
    await this.stop()
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true })
  }

  private newRegistry(limits: UploadLimits): UploadRegistry {
    return new UploadRegistry(new UploadStorage(this.dir), this.now, limits.maxAge)
  }

  private async listen(): Promise<void> {
    // No limit on a whole request (Node's default 300 s would cut a long upload); idleness instead.
    const http = createServer({ requestTimeout: 0, headersTimeout: 60_000 })
    http.timeout = this.idleTimeoutMs
    http.on('request', this.onRequest)
    http.on('checkContinue', this.onRequest)
    http.on('clientError', onClientError)
    http.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((done, fail) => {
      http.once('error', (error) => fail(listenError(error, this.port)))
      http.listen(this.port, '127.0.0.1', () => {
        http.removeAllListeners('error')
        done()
      })
    })
    this.port = (http.address() as AddressInfo).port
    this.http = http
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    bindCors(req, this.cors)
    const task = currentRequest
      .run(req, () => this.dispatch(req, res))
      .catch((error: unknown) => {
        console.error('reference server: request failed', error)
        answerInternalError(req, res)
      })
    this.pending.add(task)
    void task.finally(() => this.pending.delete(task))
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = routeRequest(req, this.control)
    const newest: Interop = { version: Math.max(...this.core.interopVersions), announced: false }
    if (route.kind === 'none') {
      const exchange = new Exchange(req, res, undefined, newest, {}, this.hooks)
      const title = route.status === 404 ? 'not found' : route.status === 405 ? 'method not allowed' : 'bad request'
      return exchange.problem(route.status, { type: 'about:blank', title }, route.allow ? { Allow: route.allow } : {})
    }
    this.stats.requests[route.kind]++
    const uploadId = 'uploadId' in route ? route.uploadId : undefined
    this.events.emit('request', { kind: route.kind, method: req.method ?? '', url: req.url ?? '', uploadId, headers: req.headers })
    if (route.kind === 'control') {
      const exchange = new Exchange(req, res, 'control', newest, {}, this.hooks)
      if (!controlAllowed(req, this.cors)) {
        return exchange.problem(403, {
          type: 'about:blank',
          title: 'control routes refused',
          detail: 'cross-origin control requests need an Origin listed in the CORS allow-list',
        })
      }
      return handleControl(this, exchange, route.path)
    }
    const faults = this.faults.claim({ kind: route.kind, method: req.method ?? '', uploadId })
    const interop = isPreflight(req) ? newest : resolveInterop(req, this.core.interopVersions)
    const exchange = new Exchange(req, res, route.kind, interop ?? newest, faults, this.hooks)
    if (uploadId !== undefined) {
      exchange.uploadId = uploadId
      if (this.core.registry.get(uploadId)) this.core.track(exchange, uploadId)
    }
    if (faults.status) return answerStatusFault(exchange, faults)
    if (!interop) return handleUnsupportedVersion(this.core, exchange, route.kind)
    if ((route.kind === 'create' || route.kind === 'plain') && this.core.registry.openCount() >= this.maxUploads) {
      return exchange.problem(
        503,
        {
          type: 'about:blank',
          title: 'too many open uploads',
          detail: `the server holds ${this.maxUploads} unfinished uploads; finish or cancel some, or retry later`,
        },
        { 'Retry-After': String(CAPACITY_RETRY_AFTER_SECONDS) },
      )
    }
    // Nothing may await between the count above and handle(): creation registers the upload synchronously.
    return this.handle(route, exchange)
  }

  private handle(route: Exclude<Route, { kind: 'none' | 'control' }>, exchange: Exchange): Promise<void> | void {
    switch (route.kind) {
      case 'create':
        return handleCreation(this.core, exchange)
      case 'plain':
        return handlePlain(this.core, exchange)
      case 'append':
        return handleAppend(this.core, exchange)
      case 'head':
        return handleOffsetRetrieval(this.core, exchange)
      case 'delete':
        return handleCancellation(this.core, exchange)
      case 'options':
        return handleOptions(this.core, exchange, route.allow)
    }
  }
}

function answerStatusFault(exchange: Exchange, faults: ClaimedFaults): void {
  const fault = faults.status
  if (!fault) return
  const headers: Record<string, string> = {}
  if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter)
  if (fault.body === undefined) return exchange.reply(fault.status, headers)
  exchange.reply(fault.status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, fault.body)
}

function answerInternalError(req: IncomingMessage, res: ServerResponse): void {
  try {
    if (res.headersSent || req.socket.destroyed) {
      req.socket.destroy()
      return
    }
    const body = JSON.stringify({ type: 'about:blank', title: 'internal server error', status: 500 })
    res.writeHead(500, { ...corsHeaders(req), 'Content-Type': 'application/problem+json', Connection: 'close' })
    res.end(body)
  } catch {
    req.socket.destroy()
  }
}

function onClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}
