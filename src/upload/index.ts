/**
 * The Upload: a thin loop around the pure session (./session). It asks the session for the next
 * step, performs it with the transport, source and store, and feeds the outcome back; retries go
 * through p-retry, events through mitt.
 * @module
 */
import mitt, { type Emitter, type Handler } from 'mitt'
import pRetry from 'p-retry'
import { UploadError } from '../errors'
import type { UploadEvents, UploadOptions, UploadProgress, UploadResult, UploadState } from '../options'
import { UploadPersistence } from '../persistence'
import { checkLimits } from '../protocols/limits'
import { loadProtocol } from '../protocols/load'
import { RequestSender } from '../request-sender'
import type { Protocol, Source } from '../types'
import { originOf, sleep, toUploadError } from '../utils'
import { createRequestSizer } from './request-size'
import { performEffect } from './effects'
import type { UploadEnvironment } from './environment'
import { FORGET_ON } from './rules'
import { UploadSession, type Outcome } from './session'
import { FINISHED } from './session-types'
import { chunkSizing, resolveSettings, type Settings } from './settings'
import { performStep } from './steps'

export type { UploadEnvironment } from './environment'

/**
 * The upload orchestrator shared by the browser and Node entries; use `Upload` from
 * `resumable-upload`, which fills in the environment.
 */
export class BaseUpload<Input> {
  private readonly emitter: Emitter<UploadEvents> = mitt<UploadEvents>()
  private readonly settings: Settings
  private readonly session: UploadSession
  private readonly sender: RequestSender
  private readonly persistence: UploadPersistence
  private readonly endpoint: string | undefined
  private readonly allowedOrigins: Set<string>
  private protocolLoad: Promise<Protocol> | undefined
  private protocol: Protocol | undefined
  private source: Source | undefined
  private running: Promise<UploadResult> | undefined
  /** A new run is queued behind the one that failed or was aborted. */
  private restartPending = false
  private runController = new AbortController()
  private pauseController = new AbortController()
  private resumeGate: (() => void) | undefined
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
    this.settings = resolveSettings(options)
    const base = environment.baseUrl()
    this.endpoint = options.endpoint === undefined ? undefined : new URL(options.endpoint, base).href
    const url = options.url === undefined ? undefined : new URL(options.url, base).href
    if (this.endpoint === undefined && url === undefined) throw new TypeError('resumable-upload: `endpoint` or `url` is required')
    const trusted = [this.endpoint, url, ...this.settings.allowedOrigins].filter((value) => value !== undefined)
    this.allowedOrigins = new Set(trusted.map((value) => originOf(value)))
    const isTrusted = (candidate: string): boolean => this.allowedOrigins.has(originOf(candidate))
    const { restartOnGone, maxRestarts, maxRetryAfter } = this.settings
    this.session = new UploadSession({
      ...{ size: undefined, endpoint: this.endpoint, chunkSize: options.chunkSize, seesInterimResponses: false, earlyLocation: false, discovers: false },
      ...{ trusted: isTrusted, restartOnGone, maxRestarts, maxRetryAfter },
    })
    if (url !== undefined) Object.assign(this.session, { url, urlVia: 'stored', needsOffset: true })
    const transport = typeof options.transport === 'object' ? options.transport : environment.transport(options.transport)
    this.sender = new RequestSender(transport, options.headers, isTrusted, this.settings.stallTimeout)
    const { sampleContent, removeOnSuccess, persistBlob, lock, metadata } = this.settings
    this.persistence = new UploadPersistence(
      {
        ...{ store: url === undefined ? environment.store(options.store, options) : undefined, endpoint: this.endpoint },
        ...{ fingerprint: options.fingerprint, sampleContent, removeOnSuccess, persistBlob, lock, metadata },
      },
      (warning) => this.emitter.emit('warning', warning),
    )
    if (options.signal?.aborted) void this.abort()
    else options.signal?.addEventListener('abort', () => void this.abort(), { once: true })
  }

  /** The current state (read-only; see {@link UploadState}). */
  get state(): UploadState {
    return this.session.state
  }

  /** The upload resource URL, once known. */
  get url(): string | undefined {
    return this.session.url
  }

  /** Bytes the server has confirmed. Never decreases, except when a gone upload restarts. */
  get bytesAcked(): number {
    return this.session.acked
  }

  /** Byte counts now. */
  get progress(): UploadProgress {
    return { bytesSent: this.session.sent, bytesAcked: this.session.acked, bytesTotal: this.source?.size }
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

  /**
   * Starts (or joins) the upload. Resolves when the server reports it complete; rejects with an
   * UploadError when it fails for good or is aborted. Calling it again while it runs (or once it
   * is complete) returns the same promise. After a failure or an abort it starts a new run that
   * resumes: HEAD at the known URL, or the stored record.
   */
  start(): Promise<UploadResult> {
    if (this.running === undefined) this.running = this.run()
    else if ((this.state === 'failed' || this.state === 'aborted') && !this.restartPending && this.options.signal?.aborted !== true) {
      this.restartPending = true
      this.running = this.running.then(
        (result) => result,
        () => this.restart(),
      )
    }
    return this.running
  }

  /** Stops sending (the request in flight is aborted) until `resume()`. Bytes already stored stay. */
  pause(): void {
    if (this.state !== 'creating' && this.state !== 'uploading' && this.state !== 'retrying') return
    this.apply(this.session.setState('paused'))
    this.pauseController.abort()
  }

  /** Continues a paused upload: asks the server for its offset, then sends the rest. */
  resume(): void {
    if (this.state !== 'paused') return
    this.pauseController = new AbortController()
    this.apply(this.session.setState(this.url === undefined ? 'creating' : 'uploading'))
    this.resumeGate?.()
  }

  /**
   * Stops the upload for good; `start()` rejects with code `aborted`. With `terminate: true` the
   * upload resource is also deleted on the server (DELETE).
   */
  async abort({ terminate = false }: { terminate?: boolean } = {}): Promise<void> {
    if (!FINISHED.has(this.state)) {
      this.apply(this.session.setState('aborted'))
      this.runController.abort()
      this.pauseController.abort()
      this.resumeGate?.()
    }
    if (terminate && this.url !== undefined && this.state !== 'complete') {
      await Promise.all([this.cancel(this.url), this.persistence.remove()])
    }
  }

  /** A new run after a failure or an abort: fresh signals and bounds, the offset in doubt. */
  private restart(): Promise<UploadResult> {
    this.restartPending = false
    this.runController = new AbortController()
    this.pauseController = new AbortController()
    this.retryAtOnce = false
    this.apply(this.session.rerun())
    return this.run()
  }

  private async run(): Promise<UploadResult> {
    try {
      const source = (this.source = await this.environment.source(this.input))
      const protocol = (this.protocol = await this.resolveProtocol())
      this.configure(source, protocol)
      const sizeError = checkLimits(source.size, this.session.limits)
      if (sizeError) throw sizeError
      await this.resumeStored(source, protocol)
      const result = await this.runWithRetries(source, protocol)
      this.apply(this.session.finish())
      await this.persistence.complete(source.size)
      this.apply(this.session.setState('complete'))
      return result
    } catch (error) {
      const failure = this.state === 'aborted' ? new UploadError('aborted', 'the upload was aborted', { retryable: false }) : toUploadError(error)
      if (FORGET_ON.has(failure.code)) await this.persistence.remove()
      if (this.state !== 'aborted') {
        this.apply(this.session.setState('failed'))
        this.emitter.emit('error', failure)
      }
      throw failure
    } finally {
      await this.persistence.close()
      await this.source?.close().catch(() => undefined)
    }
  }

  /** What the session learns once the source and protocol are known (the chunk size default among them). */
  private configure(source: Source, protocol: Protocol): void {
    const context = { seesInterimResponses: this.sender.transport.seesInterimResponses, earlyLocation: protocol.earlyLocation }
    const discovers = this.endpoint !== undefined && protocol.discoverRequest?.(this.endpoint) !== undefined
    const chunking = chunkSizing(this.options.chunkSize, context, createRequestSizer)
    this.session.config = { ...this.session.config, ...context, ...chunking, size: source.size, discovers }
  }

  /** Continues a stored upload of the same source, if the store has one this Upload may use. */
  private async resumeStored(source: Source, protocol: Protocol): Promise<void> {
    if (this.url !== undefined) return
    const trusted = (url: string): boolean => this.allowedOrigins.has(originOf(url))
    const record = await this.persistence.open(source, this.input, protocol, trusted, this.runController.signal)
    if (record) this.apply(this.session.resumeAt(record.url, 'stored'))
  }

  /** Attempts under p-retry, in rounds: backoff and retries count failures in a row without real progress. */
  private async runWithRetries(source: Source, protocol: Protocol): Promise<UploadResult> {
    for (;;) {
      this.throwIfStopped()
      this.session.newRound()
      try {
        return await pRetry(() => performStep(this.loopContext(source, protocol)), {
          ...this.settings.retry,
          signal: this.pauseController.signal,
          shouldRetry: ({ error }) => this.session.shouldRetry(error),
          onFailedAttempt: (context) => this.onFailedAttempt(context.error, context.attemptNumber, context.retriesLeft),
          shouldConsumeRetry: () => !this.retryAtOnce,
        })
      } catch (error) {
        if (this.state === 'paused') {
          await new Promise<void>((resolve) => (this.resumeGate = resolve))
          this.resumeGate = undefined
        } else {
          const end = this.session.roundEnded(error)
          if (end.next === 'fail') throw end.error
        }
      }
    }
  }

  private async onFailedAttempt(error: Error, attempt: number, retriesLeft: number): Promise<void> {
    this.session.failed()
    this.retryAtOnce = error instanceof UploadError && error.code === 'too-large' && error.retryable
    if (!(error instanceof UploadError) || !error.retryable || retriesLeft <= 0 || this.state === 'paused') return
    const { outcome, waitMs } = this.session.retrying(error)
    this.apply(outcome)
    this.emitter.emit('retry', { attempt, retriesLeft, error })
    const signal = this.pauseController.signal
    const offline = this.environment.offline(signal)
    if (offline) {
      await offline
      this.retryAtOnce = true
    } else if (waitMs > 0) await sleep(waitMs, signal)
  }

  /** What a step needs from the Upload. */
  private loopContext(source: Source, protocol: Protocol): Parameters<typeof performStep>[0] {
    const { session, sender, endpoint } = this
    const signals = [this.runController.signal, this.pauseController.signal]
    return { source, protocol, session, sender, endpoint, metadata: this.settings.metadata, signals, apply: (outcome) => this.apply(outcome) }
  }

  /** Performs the session's effects, then throws the error it returned. */
  private apply(outcome: Outcome): void {
    const target = { emitter: this.emitter, persistence: this.persistence, session: this.session, protocol: this.protocol, size: this.source?.size }
    for (const effect of outcome.effects) {
      if (effect.kind === 'cancel') void this.cancel(effect.url)
      else if (effect.kind === 'progress') this.emitter.emit('progress', this.progress)
      else performEffect(target, effect)
    }
    if (outcome.error) throw outcome.error
  }

  /** Deletes the upload on the server, best effort (a failure leaves it to expire). */
  private async cancel(url: string): Promise<void> {
    const request = (await this.resolveProtocol()).cancelRequest(url)
    await this.sender.send(request, undefined, {}, { signals: [], stopped: () => false }).catch(() => undefined)
  }

  private resolveProtocol(): Promise<Protocol> {
    const option = this.settings.protocol
    this.protocolLoad ??=
      typeof option === 'object' ? Promise.resolve(option) : loadProtocol(option, { clock: Date.now, interopVersion: this.options.interopVersion })
    return this.protocolLoad
  }

  private throwIfStopped(): void {
    if (this.state === 'aborted' || this.state === 'paused') throw new UploadError('aborted', `the upload was ${this.state}`, { retryable: false })
  }
}
