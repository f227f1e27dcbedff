/**
 * The Upload: the one stateful piece. It owns the state machine, the retry policy, the chunk plan
 * and the rule "after any failure, ask the server for its offset before sending another byte".
 * Protocols, transports and sources do the rest.
 * @module
 */
import mitt, { type Emitter, type Handler } from 'mitt'
import pRetry from 'p-retry'
import { UploadError, type UploadErrorCode } from './errors'
import {
  DEFAULT_MAX_RESTARTS,
  DEFAULT_MAX_RETRY_AFTER,
  checkUploadOptions,
  type RetryOptions,
  type UploadEvents,
  type UploadOptions,
  type UploadProgress,
  type UploadResult,
  type UploadState,
} from './options'
import { UploadPersistence } from './persistence'
import { RequestSender } from './request-sender'
import { loadProtocol } from './protocols/load'
import { checkLimits, isRealProgress, planChunk } from './protocols/limits'
import type {
  HttpResponse,
  InterimResponse,
  Protocol,
  ProtocolResult,
  RequestDescription,
  Source,
  SourceChunk,
  Store,
  Transport,
  UploadLimits,
  UrlSource,
} from './types'
import { originOf, retryAfterDelay, toUploadError } from './utils'

/** What an entry point (browser or Node) supplies: default transport, sources, network status. */
export interface UploadEnvironment<Input> {
  /** Builds the named transport; the entry decides which names exist. */
  transport(name: 'xhr' | 'fetch' | 'node-http' | undefined): Transport
  /** Turns what the user passed into a Source. */
  source(input: Input): Source | Promise<Source>
  /** Base for relative endpoints (the page's URL in browsers). */
  baseUrl(): string | undefined
  /** Resolves once the network is back (browsers: the `online` event); undefined when online. */
  offline(signal: AbortSignal): Promise<void> | undefined
  /** The store for a store option (the default when undefined); undefined for none. */
  store(option: UploadOptions['store'], options: UploadOptions): Store | undefined
}

const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024
const SMALL_CREATION_BODY = 1024 * 1024
const DEFAULT_RETRY: Required<RetryOptions> = { retries: 8, minTimeout: 500, maxTimeout: 30_000, factor: 2, randomize: true }
const MAX_MISMATCHES_IN_A_ROW = 3
/** The smallest request size tried after a 413 that named no `max-append-size` (halving stops here). */
const SMALLEST_CHUNK_AFTER_413 = 64 * 1024
const FINISHED: ReadonlySet<UploadState> = new Set(['complete', 'failed', 'aborted'])
const FORGET_ON: ReadonlySet<UploadErrorCode> = new Set<UploadErrorCode>([
  'offset-invalid',
  'length-mismatch',
  'location-refused',
  'location-changed',
  'too-large',
  'limit-unusable',
  'redirect-refused',
  'upload-gone',
  'upload-failed',
  'source-changed',
])

/**
 * What the attempts since the last real progress did: the retry count and backoff apply to
 * attempts in a row that made none (see {@link isRealProgress}).
 */
interface Round {
  /** `bytesAcked` when the round began (0 again after a restart). */
  ackedAtStart: number
  /** Body bytes the round's requests were to carry. */
  offered: number
  /** An upload URL was learned (a 104 before a cut): progress on its own. */
  learnedUrl: boolean
}

/**
 * The upload orchestrator shared by the browser and Node entries; use `Upload` from
 * `resumable-upload`, which fills in the environment.
 */
export class BaseUpload<Input> {
  /** The current state. */
  state: UploadState = 'idle'
  /** The upload resource URL, once known. */
  url: string | undefined
  /** Bytes the server has confirmed. Never decreases, except when a gone upload restarts. */
  bytesAcked = 0

  private readonly emitter: Emitter<UploadEvents> = mitt<UploadEvents>()
  private protocol: Protocol | undefined
  private protocolLoad: Promise<Protocol> | undefined
  private discovered = false
  private readonly sender: RequestSender
  private readonly endpoint: string | undefined
  private readonly allowedOrigins: Set<string>
  private readonly retry: Required<RetryOptions>
  private chunkSize: number
  private limits: UploadLimits = {}
  private source: Source | undefined
  private offset = 0
  private bytesSent = 0
  private needsOffset: boolean
  private urlVia: UrlSource | undefined
  private running: Promise<UploadResult> | undefined
  private runController = new AbortController()
  private pauseController = new AbortController()
  private resumeGate: (() => void) | undefined
  private mismatchesInARow = 0
  /** Fresh uploads started because the previous one was gone; bounded by `maxRestarts`. */
  private restarts = 0
  private round: Round = newRound(0)
  private readonly persistence: UploadPersistence
  /** The next attempt starts at once and costs no retry (back online, or a limit learned mid-request). */
  private retryAtOnce = false

  /**
   * @param input the file, Blob or (in Node) path, Buffer or stream
   * @param options see {@link UploadOptions}
   * @param environment supplied by the entry point
   */
  constructor(
    /** What is being uploaded (the File after `restoreAll`). */
    readonly input: Input,
    /** The options it was made with. */
    readonly options: UploadOptions,
    private readonly environment: UploadEnvironment<Input>,
  ) {
    checkUploadOptions(options)
    const base = environment.baseUrl()
    this.endpoint = options.endpoint === undefined ? undefined : new URL(options.endpoint, base).href
    this.url = options.url === undefined ? undefined : new URL(options.url, base).href
    if (this.endpoint === undefined && this.url === undefined) {
      throw new TypeError('resumable-upload: `endpoint` or `url` is required')
    }
    this.needsOffset = this.url !== undefined
    if (this.url !== undefined) this.urlVia = 'stored'
    const transport = typeof options.transport === 'object' ? options.transport : environment.transport(options.transport)
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
    this.retry = { ...DEFAULT_RETRY, ...options.retry }
    const trusted = [this.endpoint, this.url, ...(options.allowedOrigins ?? [])].filter((value) => value !== undefined)
    this.allowedOrigins = new Set(trusted.map((value) => originOf(value)))
    this.sender = new RequestSender(transport, options.headers, (url) => this.allowedOrigins.has(originOf(url)), options.stallTimeout ?? 30_000)
    this.persistence = new UploadPersistence(
      {
        store: this.url === undefined ? environment.store(options.store, options) : undefined,
        endpoint: this.endpoint,
        fingerprint: options.fingerprint,
        sampleContent: options.sampleContent ?? false,
        removeOnSuccess: options.removeOnSuccess ?? true,
        persistBlob: options.persistBlob ?? false,
        lock: options.lock ?? 'wait',
        metadata: options.metadata ?? {},
      },
      (warning) => this.emitter.emit('warning', warning),
    )
    if (options.signal?.aborted) void this.abort()
    else options.signal?.addEventListener('abort', () => void this.abort(), { once: true })
  }

  /** Subscribes to an event; see {@link UploadEvents}. */
  on<Name extends keyof UploadEvents>(name: Name, handler: Handler<UploadEvents[Name]>): this {
    this.emitter.on(name, handler)
    return this
  }

  /** Removes a handler added with `on`. */
  off<Name extends keyof UploadEvents>(name: Name, handler: Handler<UploadEvents[Name]>): this {
    this.emitter.off(name, handler)
    return this
  }

  /** Byte counts now. */
  get progress(): UploadProgress {
    return { bytesSent: this.bytesSent, bytesAcked: this.bytesAcked, bytesTotal: this.source?.size }
  }

  /**
   * Starts (or joins) the upload. Resolves when the server reports it complete; rejects with an
   * UploadError when it fails for good or is aborted. Calling it again returns the same promise.
   */
  start(): Promise<UploadResult> {
    this.running ??= this.run()
    return this.running
  }

  /** Stops sending (the request in flight is aborted) until `resume()`. Bytes already stored stay. */
  pause(): void {
    if (this.state !== 'creating' && this.state !== 'uploading' && this.state !== 'retrying') return
    this.setState('paused')
    this.pauseController.abort()
  }

  /** Continues a paused upload: asks the server for its offset, then sends the rest. */
  resume(): void {
    if (this.state !== 'paused') return
    this.pauseController = new AbortController()
    this.needsOffset = this.url !== undefined
    this.setState(this.url === undefined ? 'creating' : 'uploading')
    this.resumeGate?.()
  }

  /**
   * Stops the upload for good; `start()` rejects with code `aborted`. With `terminate: true` the
   * upload resource is also deleted on the server (DELETE).
   */
  async abort({ terminate = false }: { terminate?: boolean } = {}): Promise<void> {
    if (!FINISHED.has(this.state)) {
      this.setState('aborted')
      this.runController.abort()
      this.pauseController.abort()
      this.resumeGate?.()
    }
    if (terminate && this.url !== undefined && this.state !== 'complete') {
      await Promise.all([this.cancel(this.url), this.persistence.remove()])
    }
  }

  private async run(): Promise<UploadResult> {
    try {
      this.source = await this.environment.source(this.input)
      this.protocol = await this.resolveProtocol()
      // With the URL from a 104 a single request resumes as well as chunks do, and runs at the
      // ceiling (no round trip per chunk): the default where the transport and protocol allow it.
      if (this.options.chunkSize === undefined && this.sender.transport.seesInterimResponses && this.protocol.earlyLocation) this.chunkSize = Infinity
      const sizeError = checkLimits(this.source.size, this.limits)
      if (sizeError) throw sizeError
      await this.resumeStored(this.source)
      const result = await this.runWithRetries(this.source)
      const size = this.source.size ?? this.bytesAcked
      this.bytesAcked = size
      this.bytesSent = size
      this.emitProgress()
      await this.persistence.complete(this.source.size)
      this.setState('complete')
      return result
    } catch (error) {
      const failure = this.state === 'aborted' ? new UploadError('aborted', 'the upload was aborted', { retryable: false }) : toUploadError(error)
      // A dead or inconsistent upload is forgotten; one that ran out of retries stays resumable.
      if (FORGET_ON.has(failure.code)) await this.persistence.remove()
      if (this.state !== 'aborted') {
        this.setState('failed')
        this.emitter.emit('error', failure)
      }
      throw failure
    } finally {
      await this.persistence.close()
      await this.source?.close().catch(() => undefined)
    }
  }

  /** Continues a stored upload of the same source, if the store has one this Upload may use. */
  private async resumeStored(source: Source): Promise<void> {
    if (this.url !== undefined) return
    const trusted = (url: string): boolean => this.allowedOrigins.has(originOf(url))
    const record = await this.persistence.open(source, this.input, this.proto, trusted, this.runController.signal)
    if (!record) return
    this.url = record.url
    this.urlVia = 'stored'
    this.needsOffset = true
    this.emitter.emit('url', { url: record.url, via: 'stored' })
  }

  /**
   * Attempts under p-retry. A failure after real progress (the server stored 64 KiB or all that
   * the round offered, see {@link isRealProgress}, or named the upload URL) starts a fresh round
   * at once: backoff and the retry count apply to failures in a row, so a long upload survives any
   * number of separate cuts, and a server that keeps a few bytes of each request does not.
   */
  private async runWithRetries(source: Source): Promise<UploadResult> {
    for (;;) {
      this.throwIfAborted()
      this.round = newRound(this.bytesAcked)
      const progressed = (): boolean => this.round.learnedUrl || isRealProgress({ stored: this.bytesAcked - this.round.ackedAtStart, offered: this.round.offered })
      try {
        return await pRetry(() => this.attempt(source), {
          ...this.retry,
          signal: this.pauseController.signal,
          shouldRetry: ({ error }) => error instanceof UploadError && error.retryable && !progressed(),
          onFailedAttempt: (context) => this.onFailedAttempt(context.error, context.attemptNumber, context.retriesLeft),
          shouldConsumeRetry: () => !this.retryAtOnce,
        })
      } catch (error) {
        if (this.state === 'paused') {
          await new Promise<void>((resolve) => (this.resumeGate = resolve))
          this.resumeGate = undefined
        } else if (!(error instanceof UploadError && error.retryable && progressed())) {
          throw this.outOfRetries(error)
        }
      }
    }
  }

  /**
   * The error a round ends with: `no-progress` when its retries ran out while the server stored
   * bytes, but never 64 KiB or all of a request (it keeps a few bytes of each request, then cuts).
   */
  private outOfRetries(error: unknown): unknown {
    const stored = this.bytesAcked - this.round.ackedAtStart
    if (!(error instanceof UploadError) || !error.retryable || error.code === 'no-progress' || stored <= 0) return error
    return new UploadError('no-progress', `the retries ran out; the server stored only ${stored} bytes`, {
      retryable: false,
      cause: error,
    })
  }

  private async onFailedAttempt(error: Error, attempt: number, retriesLeft: number): Promise<void> {
    this.needsOffset = this.url !== undefined
    this.retryAtOnce = error instanceof UploadError && error.code === 'too-large' && error.retryable
    if (!(error instanceof UploadError) || !error.retryable || retriesLeft <= 0 || this.state === 'paused') return
    this.setState('retrying')
    this.emitter.emit('retry', { attempt, retriesLeft, error })
    const signal = this.pauseController.signal
    const offline = this.environment.offline(signal)
    if (offline) {
      await offline
      this.retryAtOnce = true
    } else if (error.retryAfter !== undefined) {
      await sleep(retryAfterDelay(error.retryAfter, this.options.maxRetryAfter ?? DEFAULT_MAX_RETRY_AFTER), signal)
    }
  }

  /** One attempt: HEAD when the offset is in doubt, create when there is no URL, then append. */
  private async attempt(source: Source): Promise<UploadResult> {
    if (this.url !== undefined && this.needsOffset) {
      this.enter('uploading')
      const done = await this.queryOffset(this.url, source)
      if (done) return done
    }
    if (this.url === undefined) {
      this.enter('creating')
      const done = await this.create(source)
      if (done) return done
    }
    for (;;) {
      this.enter('uploading')
      const url = this.url
      if (url === undefined) return this.attempt(source) // the upload was gone and restarts
      const done = this.needsOffset ? await this.queryOffset(url, source) : await this.append(url, source)
      if (done) return done
    }
  }

  private async queryOffset(url: string, source: Source): Promise<UploadResult | undefined> {
    const request = this.proto.offsetRequest(url)
    const { response, result } = await this.exchange('offset', request, undefined)
    if (result.kind === 'gone') return this.restartAfterGone()
    if (result.kind !== 'offset') throw unexpected(result)
    if (result.length !== undefined && source.size !== undefined && result.length !== source.size) {
      throw new UploadError('length-mismatch', `the server expects ${result.length} bytes, the source has ${source.size}`, { retryable: false })
    }
    if (result.complete) checkCompletion(result.offset, source.size)
    this.acceptOffset(result.offset, source)
    this.needsOffset = false
    this.mergeLimits(result.limits)
    return result.complete ? { url, response } : undefined
  }

  private async create(source: Source): Promise<UploadResult | undefined> {
    const endpoint = this.endpoint
    if (endpoint === undefined) throw new UploadError('upload-gone', 'the upload is gone and no endpoint is set to create a new one', { retryable: false })
    await this.discover(endpoint)
    // Without 1xx (browsers) the URL must be known before bytes go out: create with no body first.
    const chunk = await this.creationChunk(source)
    const complete = chunk ? chunk.last : source.size === 0
    const request = this.proto.createRequest({
      endpoint,
      size: source.size,
      body: chunk ? { start: 0, end: chunk.length } : null,
      complete,
      metadata: this.options.metadata ?? {},
      ...(source.name === undefined ? {} : { name: source.name }),
      ...(source.type === undefined ? {} : { type: source.type }),
    })
    this.offset = 0
    // A protocol may leave the body out (tus without creation-with-upload): then none is sent.
    const sent = request.body === null ? undefined : chunk
    const { response, result } = await this.exchange('create', request, sent)
    if (result.kind === 'complete') {
      checkCompletion(result.offset, source.size ?? sent?.length ?? 0)
      return { url: this.confirmFinalLocation(result.url), response }
    }
    if (result.kind === 'too-large') return this.shrinkAfter413(result.limits, sent)
    if (result.kind !== 'created') throw unexpected(result)
    this.learnUrl(result.url, 'created')
    this.mergeLimits(result.limits)
    if (sent) {
      this.acceptOffset(result.offset ?? sent.length, source)
      this.acknowledged(0)
    }
    // Only a server that stored every byte of a completing request and did not complete is wrong.
    if (complete && sent !== undefined && this.offset === sent.length) {
      throw new UploadError('malformed-response', 'the server did not complete an upload whose last byte it received', { retryable: false })
    }
    return undefined
  }

  private async append(url: string, source: Source): Promise<UploadResult | undefined> {
    const chunk = await this.sliceNext(source, this.offset)
    const start = this.offset
    const request = this.proto.appendRequest({ url, offset: start, end: start + chunk.length, size: source.size, complete: chunk.last })
    const { response, result } = await this.exchange('append', request, chunk)
    switch (result.kind) {
      case 'appended':
        if (chunk.last) throw new UploadError('malformed-response', 'the server did not report the upload complete after its last byte', { retryable: false })
        this.acceptOffset(result.offset ?? start + chunk.length, source)
        this.mismatchesInARow = 0
        this.checkAppendProgress(start, chunk.length, response.status)
        this.acknowledged(start)
        return undefined
      case 'complete':
        if (!chunk.last) throw new UploadError('malformed-response', 'the server reported the upload complete before its last byte', { retryable: false })
        checkCompletion(result.offset, start + chunk.length)
        this.emitter.emit('chunk', { start, end: start + chunk.length })
        return { url: this.confirmFinalLocation(result.url), response }
      case 'mismatch':
        if (++this.mismatchesInARow > MAX_MISMATCHES_IN_A_ROW) throw new UploadError('offset-invalid', 'the server keeps rejecting the offset', { status: 409 })
        if (result.offset === undefined) this.needsOffset = true
        else this.acceptOffset(result.offset, source)
        return undefined
      case 'gone':
        return this.restartAfterGone()
      case 'too-large':
        return this.shrinkAfter413(result.limits, chunk)
      default:
        throw unexpected(result)
    }
  }

  /**
   * A 2xx to an append that stored neither 64 KiB nor all of it (the same offset again, say) is a
   * failed attempt, retried with backoff, not a reason to send the same bytes again at once.
   */
  private checkAppendProgress(start: number, length: number, status: number): void {
    const stored = this.offset - start
    if (length === 0 || isRealProgress({ stored, offered: length })) return
    throw new UploadError('no-progress', `the server stored ${stored} of ${length} bytes`, { status, retryable: true })
  }

  /** Lets a protocol that needs it (tus) learn the server's capabilities, once per Upload. */
  private async discover(endpoint: string): Promise<void> {
    const request = this.discovered ? undefined : this.proto.discoverRequest?.(endpoint)
    if (!request) return
    const { result } = await this.exchange('discover', request, undefined)
    if (result.kind !== 'discovered') throw unexpected(result)
    this.discovered = true
    this.mergeLimits(result.limits)
  }

  /** Sends one request and reads its answer; interim responses are handled as they arrive. */
  private async exchange(kind: 'discover' | 'create' | 'offset' | 'append', request: RequestDescription, chunk: SourceChunk | undefined): Promise<{ response: HttpResponse; result: ProtocolResult }> {
    const response = await this.send(request, chunk, (interim) => this.onInterim(request, interim))
    const result = this.proto.interpret(kind, request, response)
    if (result.kind === 'error') throw result.error
    return { response, result }
  }

  private async send(request: RequestDescription, chunk: SourceChunk | undefined, onInterim: (interim: InterimResponse) => void): Promise<HttpResponse> {
    this.throwIfAborted()
    const bodyHeaders = chunk && this.proto.bodyHeaders ? await this.proto.bodyHeaders(request, chunk) : {}
    const start = request.body?.start ?? 0
    this.round.offered += chunk?.length ?? 0
    return this.sender.send(request, chunk, bodyHeaders, {
      signals: [this.runController.signal, this.pauseController.signal],
      onProgress: (sent) => {
        this.bytesSent = start + sent
        this.emitProgress()
      },
      onInterim,
      stopped: () => this.state === 'paused' || this.state === 'aborted',
    })
  }

  private onInterim(request: RequestDescription, interim: InterimResponse): void {
    const result = this.proto.interpretInterim(request, interim)
    if (result.kind === 'location') {
      // The URL first: an upload the 104 created is recorded, then cancelled if its limits refuse the source.
      this.learnUrl(result.url, '104')
      this.mergeLimits(result.limits)
      const { maxAppendSize } = this.limits
      if (request.body && maxAppendSize !== undefined && request.body.end - request.body.start > maxAppendSize) {
        // A known max-append-size must not be exceeded: stop now, ask for the offset, go on in smaller requests.
        throw new UploadError('too-large', 'the request is larger than the server\'s max-append-size', { retryable: true })
      }
    } else if (result.kind === 'progress' && result.offset <= this.bytesSent && result.offset > this.bytesAcked) {
      this.bytesAcked = result.offset
      this.emitProgress()
    }
  }

  /** Accepts an upload URL from a 104 or a creation response, after the origin and consistency checks. */
  private learnUrl(url: string, via: UrlSource): void {
    if (!this.allowedOrigins.has(originOf(url))) {
      throw new UploadError('location-refused', 'the server sent an upload URL on an origin that is not allowed (see `allowedOrigins`)', { retryable: false })
    }
    // One creation request makes one upload: a later 104 or its final response must name the same URL.
    if (this.url !== undefined && this.urlVia === '104' && via !== 'stored') {
      if (url !== this.url) {
        void this.cancel(this.url)
        throw new UploadError('location-changed', 'the server named two upload URLs for one creation', { retryable: false })
      }
      return
    }
    if (this.url === url) return
    this.url = url
    this.urlVia = via
    this.round.learnedUrl = true
    this.persistence.saveUrl(url, this.proto, this.source?.size, this.limits)
    this.emitter.emit('url', { url, via })
  }

  private confirmFinalLocation(url: string | undefined): string {
    const final = url ?? this.url ?? this.endpoint
    if (final === undefined) throw new UploadError('location-missing', 'the upload completed without any URL', { retryable: false })
    return final
  }

  private acceptOffset(offset: number, source: Source): void {
    if (source.size !== undefined && offset > source.size) {
      throw new UploadError('offset-invalid', `the server claims ${offset} bytes of a ${source.size}-byte source`, { retryable: false })
    }
    if (offset < this.bytesAcked) {
      throw new UploadError('offset-invalid', `the server's offset went backwards from ${this.bytesAcked} to ${offset}`, { retryable: false })
    }
    this.offset = offset
    this.bytesAcked = offset
    this.bytesSent = Math.max(this.bytesSent, offset)
    this.emitProgress()
  }

  /** The server confirmed `[start, offset)`: tell listeners and the store (once per chunk). */
  private acknowledged(start: number): void {
    this.persistence.saveOffset(this.offset, this.source?.size, this.limits)
    this.emitter.emit('chunk', { start, end: this.offset })
  }

  private mergeLimits(limits: UploadLimits): void {
    this.limits = { ...this.limits, ...limits }
    const size = this.source?.size
    const error = checkLimits(size, this.limits)
    if (error) {
      if (this.url !== undefined) void this.cancel(this.url)
      throw error
    }
  }

  private async shrinkAfter413(limits: UploadLimits, chunk: SourceChunk | undefined): Promise<undefined> {
    this.mergeLimits(limits)
    const sent = chunk?.length ?? 0
    const named = this.limits.maxAppendSize
    const next = named ?? Math.floor(sent / 2)
    // A size the server named is obeyed (mergeLimits refused one below the floor); a guess stops at 64 KiB.
    if (next >= sent || (named === undefined && next < Math.max(this.limits.minAppendSize ?? 0, SMALLEST_CHUNK_AFTER_413))) {
      throw new UploadError('too-large', 'the server refused the request size (413) and no smaller size fits its limits', { status: 413, retryable: false })
    }
    this.chunkSize = Math.min(this.chunkSize, next)
    this.needsOffset = this.url !== undefined
    return undefined
  }

  private restartAfterGone(): undefined {
    if (this.options.restartOnGone === false || this.endpoint === undefined) {
      throw new UploadError('upload-gone', 'the upload no longer exists on the server', { retryable: false })
    }
    const maxRestarts = this.options.maxRestarts ?? DEFAULT_MAX_RESTARTS
    if (this.restarts >= maxRestarts) {
      throw new UploadError('upload-gone', 'the upload was gone again (see `maxRestarts`)', { retryable: false })
    }
    this.restarts++
    void this.persistence.remove()
    this.url = undefined
    this.urlVia = undefined
    this.offset = 0
    this.bytesAcked = 0
    this.bytesSent = 0
    this.round.ackedAtStart = 0
    this.needsOffset = false
    return undefined
  }

  /**
   * The bytes a creation request carries. Where no 1xx can be seen (browsers), none: the URL must
   * be known before any byte goes. Where the protocol names the URL before the body ends (IETF
   * 104), a whole chunk. Otherwise (tus in Node) at most 1 MiB: a cut during creation loses the
   * URL and every byte sent, so only a small file goes in one request.
   */
  private async creationChunk(source: Source): Promise<SourceChunk | undefined> {
    if (!this.sender.transport.seesInterimResponses) return undefined
    return this.sliceNext(source, 0, this.proto.earlyLocation ? Infinity : SMALL_CREATION_BODY)
  }

  private async sliceNext(source: Source, offset: number, largest = Infinity): Promise<SourceChunk> {
    // A stream of unknown length is never buffered whole: it goes in default-sized chunks.
    const chunkSize = Math.min(largest, source.size === undefined && this.chunkSize === Infinity ? DEFAULT_CHUNK_SIZE : this.chunkSize)
    const end = planChunk({ offset, size: source.size, chunkSize, limits: this.limits })
    return source.slice(offset, end)
  }

  /** Deletes the upload on the server, best effort (a failure leaves it to expire). */
  private async cancel(url: string): Promise<void> {
    const request = (await this.resolveProtocol()).cancelRequest(url)
    await this.sender.send(request, undefined, {}, { signals: [], stopped: () => false }).catch(() => undefined)
  }

  private resolveProtocol(): Promise<Protocol> {
    const option = this.options.protocol ?? 'ietf'
    this.protocolLoad ??= typeof option === 'object' ? Promise.resolve(option) : loadProtocol(option, { clock: Date.now, interopVersion: this.options.interopVersion })
    return this.protocolLoad
  }

  /** The protocol, once `run()` has resolved it. */
  private get proto(): Protocol {
    if (!this.protocol) throw new Error('resumable-upload: protocol used before it was resolved')
    return this.protocol
  }

  /** Moves to `state` unless the upload was paused or aborted meanwhile. */
  private enter(state: 'creating' | 'uploading'): void {
    this.throwIfAborted()
    this.setState(state)
  }

  /** Stops the current step when the upload was paused or aborted (between requests, too). */
  private throwIfAborted(): void {
    if (this.state === 'aborted' || this.state === 'paused') {
      throw new UploadError('aborted', `the upload was ${this.state}`, { retryable: false })
    }
  }

  private setState(state: UploadState): void {
    if (state === this.state || FINISHED.has(this.state)) return
    const previous = this.state
    this.state = state
    this.emitter.emit('state', { state, previous })
  }

  private emitProgress(): void {
    this.emitter.emit('progress', this.progress)
  }
}

function newRound(ackedAtStart: number): Round {
  return { ackedAtStart, offered: 0, learnedUrl: false }
}

/**
 * A completion must cover the whole source: a server that reports it complete at another offset
 * (`offset-invalid`) lost or invented bytes. `end` is the source's length, when known.
 */
function checkCompletion(offset: number | undefined, end: number | undefined): void {
  if (offset === undefined || end === undefined || offset === end) return
  throw new UploadError('offset-invalid', `the server completed the upload at ${offset} of ${end} bytes`, { retryable: false })
}


function unexpected(result: ProtocolResult): UploadError {
  return new UploadError('malformed-response', `unexpected answer from the server (${result.kind})`, { retryable: false })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
