/**
 * The Upload: a thin loop around the pure session (./session). It asks the session for the next
 * step, performs it with the transport, source and store, and feeds the outcome back; retries go
 * through p-retry, events through mitt. What runs only once an answer or a failure arrives (the
 * session's response side, p-retry) is loaded (./later) while the first request is on its way.
 * @module
 */
import mitt, { type Emitter, type Handler } from 'mitt'
import type { UploadEvents, UploadOptions, UploadProgress, UploadResult, UploadState } from '../options'
import { UploadPersistence } from '../persistence'
import { loadProtocol } from '../protocols/load'
import { RequestSender } from '../request-sender'
import type { Protocol, Source } from '../types'
import { originOf, toUploadError } from '../utils'
import type { UploadEnvironment } from './environment'
import type { UploadPartsProtocol } from './parts-runner-types'
import { UploadSession, type Outcome } from './session'
import { FINISHED } from './session-types'
import { chunkSizing, resolveSettings, type Settings } from './settings'
import { aborted, laterLoaded, loadLater, performStep, type Later, type LoopContext } from './steps'

export type { UploadEnvironment } from './environment'

/**
 * The upload orchestrator shared by the browser and Node entries; use `Upload` from
 * `resumable-upload`, which fills in the environment.
 */
export class BaseUpload<Input> {
  readonly #environment: UploadEnvironment<Input>
  readonly #emitter: Emitter<UploadEvents> = mitt<UploadEvents>()
  readonly #settings: Settings
  readonly #session: UploadSession
  readonly #sender: RequestSender
  readonly #persistence: UploadPersistence
  readonly #endpoint: string | undefined
  /** Whether a URL's origin may be used (the endpoint's, the `url` option's, `allowedOrigins`). */
  readonly #trusted: (url: string) => boolean
  #protocol: Protocol | undefined
  #source: Source | undefined
  #running: Promise<UploadResult> | undefined
  /** A new run is queued behind the one that failed or was aborted. */
  #restartPending = false
  #runController = new AbortController()
  #pauseController = new AbortController()
  #resumeGate: (() => void) | undefined

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
    environment: UploadEnvironment<Input>,
  ) {
    const settings = (this.#settings = resolveSettings(options))
    const base = environment.baseUrl()
    const absolute = (url: string | undefined): string | undefined => (url === undefined ? url : new URL(url, base).href)
    // A parts protocol (s3()) or gcs() needs no endpoint: its records name its own (`s3:`, `gcs:`).
    const own = options.protocol as Partial<UploadPartsProtocol & Protocol> | undefined
    const endpoint = (this.#endpoint = absolute(options.endpoint ?? own?.endpoint))
    const url = absolute(options.url)
    // (An absolute URL is never empty.)
    if (!endpoint && !url) throw new TypeError('resumable-upload: `endpoint` or `url` is required')
    const origins = new Set([endpoint, url, ...settings.allowedOrigins].map((value) => value && originOf(value)))
    // Such an endpoint's opaque origin ("null") trusts nothing.
    origins.delete('null')
    const mine = (candidate: string): boolean => origins.has(originOf(candidate))
    // A protocol's own origins (GCS) are trusted, but only the Upload's get the user's headers.
    const trusted = (this.#trusted = (candidate: string): boolean => mine(candidate) || !!own?.origins?.includes(originOf(candidate)))
    this.#environment = environment
    const session = (this.#session = new UploadSession({ ...settings, endpoint, trusted }))
    if (url) Object.assign(session, { url, urlVia: 'stored', needsOffset: true })
    const transport = typeof options.transport === 'object' ? options.transport : environment.transport(options.transport)
    this.#sender = new RequestSender(transport, options.headers, mine, settings.stallTimeout)
    this.#persistence = new UploadPersistence(
      { ...settings, store: url ? undefined : environment.store(options.store, options), endpoint, fingerprint: options.fingerprint },
      (warning) => this.#emitter.emit('warning', warning),
    )
    if (options.signal?.aborted) void this.abort()
    else options.signal?.addEventListener('abort', () => void this.abort(), { once: true })
  }

  /** The current state (read-only; see {@link UploadState}). */
  get state(): UploadState {
    return this.#session.state
  }

  /** The upload resource URL, once known. */
  get url(): string | undefined {
    return this.#session.url
  }

  /** Bytes the server has confirmed. Never decreases, except when a gone upload restarts. */
  get bytesAcked(): number {
    return this.#session.acked
  }

  /** Byte counts now. */
  get progress(): UploadProgress {
    return { bytesSent: this.#session.sent, bytesAcked: this.#session.acked, bytesTotal: this.#source?.size }
  }

  /** Subscribes to an event; see {@link UploadEvents}. */
  on<Name extends keyof UploadEvents>(name: Name, handler: Handler<UploadEvents[Name]>): this {
    this.#emitter.on(name, handler)
    return this
  }

  /** Removes a handler added with `on`. */
  off<Name extends keyof UploadEvents>(name: Name, handler: Handler<UploadEvents[Name]>): this {
    this.#emitter.off(name, handler)
    return this
  }

  /**
   * Starts (or joins) the upload. Resolves when the server reports it complete; rejects with an
   * UploadError when it fails for good or is aborted. Calling it again while it runs (or once it
   * is complete) returns the same promise. After a failure or an abort it starts a new run that
   * resumes: HEAD at the known URL, or the stored record.
   */
  start(): Promise<UploadResult> {
    if (this.#running === undefined) this.#running = this.#run()
    else if ((this.state === 'failed' || this.state === 'aborted') && !this.#restartPending && this.options.signal?.aborted !== true) {
      this.#restartPending = true
      this.#running = this.#running.catch(() => this.#restart())
    }
    return this.#running
  }

  /** Stops sending (the request in flight is aborted) until `resume()`. Bytes already stored stay. */
  pause(): void {
    if (this.state !== 'creating' && this.state !== 'uploading' && this.state !== 'retrying') return
    this.#apply(this.#session.setState('paused'))
    this.#pauseController.abort()
  }

  /** Continues a paused upload: asks the server for its offset, then sends the rest. */
  resume(): void {
    if (this.state !== 'paused') return
    this.#pauseController = new AbortController()
    this.#apply(this.#session.setState(this.url ? 'uploading' : 'creating'))
    this.#resumeGate?.()
  }

  /**
   * Stops the upload for good; `start()` rejects with code `aborted`. With `terminate: true` the
   * upload resource is also deleted on the server (DELETE; a parts protocol's own call, e.g. S3's
   * `abortMultipartUpload`).
   */
  async abort({ terminate }: { terminate?: boolean } = {}): Promise<void> {
    if (!FINISHED.has(this.state)) {
      this.#apply(this.#session.setState('aborted'))
      this.#runController.abort()
      this.#pauseController.abort()
      this.#resumeGate?.()
    }
    if (terminate && this.state !== 'complete')
      await (this.url
        ? Promise.all([this.#cancel(this.url), this.#persistence.remove()])
        : (this.#protocol as Partial<UploadPartsProtocol> | undefined)?.terminate?.(this))
  }

  /** A new run after a failure or an abort: fresh signals and bounds, the offset in doubt. */
  #restart(): Promise<UploadResult> {
    this.#restartPending = false
    this.#runController = new AbortController()
    this.#pauseController = new AbortController()
    this.#apply(this.#session.rerun())
    return this.#run()
  }

  async #run(): Promise<UploadResult> {
    const session = this.#session
    try {
      const source = (this.#source = await this.#environment.source(this.input))
      const protocol = (this.#protocol = await this.#resolveProtocol())
      // A parts protocol (s3()) runs the whole upload on its side, with this Upload's session, events and persistence.
      const parts = protocol as Partial<UploadPartsProtocol>
      if (parts.run) return await parts.run(this, source, session, this.#emitter, this.#persistence, this.#environment)
      // What the session learns once the source and protocol are known (the chunk size default among them).
      const context = { seesInterimResponses: this.#sender.transport.seesInterimResponses, earlyLocation: protocol.earlyLocation }
      const endpoint = this.#endpoint
      const discovers = endpoint !== undefined && protocol.discoverRequest?.(endpoint) !== undefined
      const chunkSize = chunkSizing(this.options.chunkSize, context)
      session.config = { ...session.config, ...context, chunkSize, sizer: undefined, size: source.size, discovers }
      // Limits learned in an earlier run (only answers bring them, read by ./later, loaded then) may refuse the source now.
      if (Object.keys(session.limits).length > 0) this.#apply({ effects: [], error: (await loadLater()).checkLimits(source.size, session.limits) })
      // A stored upload of the same source this Upload may use; at a URL it holds, only the lock again.
      const [persistence, signal] = [this.#persistence, this.#runController.signal]
      const record = await (this.url ? persistence.relock(signal) : persistence.open(source, this.input, protocol, this.#trusted, signal))
      if (record) this.#apply(session.resumeAt(record.url, 'stored'))
      const result = await this.#rounds(source, protocol)
      this.#apply((await loadLater()).finish(session))
      await this.#persistence.complete(source.size)
      this.#apply(session.setState('complete'))
      return result
    } catch (error) {
      const failure = this.state === 'aborted' ? aborted('aborted') : toUploadError(error)
      // Failures that forget the record come from answers: ./later, which lists them, has loaded by then.
      if (laterLoaded()?.FORGET_ON.has(failure.code)) await this.#persistence.remove()
      if (this.state !== 'aborted') {
        this.#apply(session.setState('failed'))
        this.#emitter.emit('error', failure)
      }
      throw failure
    } finally {
      await this.#persistence.close()
      await this.#source?.close().catch(() => undefined)
    }
  }

  /**
   * Attempts in rounds: backoff and retries count failures in a row without real progress. The
   * first attempt of a round runs at once; p-retry (loaded with ./later) takes over from its failure.
   */
  async #rounds(source: Source, protocol: Protocol): Promise<UploadResult> {
    const session = this.#session
    for (;;) {
      if (this.state === 'aborted') throw aborted('aborted')
      // Paused: wait for resume() (or abort(), which opens the gate too), then ask again.
      if (this.state === 'paused') {
        await new Promise<void>((resolve) => (this.#resumeGate = resolve))
        continue
      }
      session.newRound()
      const signal = this.#pauseController.signal
      const [sender, endpoint, { metadata }] = [this.#sender, this.#endpoint, this.#settings]
      const signals = [this.#runController.signal, signal]
      const ctx: LoopContext = { source, protocol, session, sender, endpoint, metadata, signals, apply: (outcome) => this.#apply(outcome) }
      try {
        let first: unknown
        try {
          const result = await performStep(ctx)
          // As p-retry does after each attempt: a pause or an abort that came with the answer wins.
          signal.throwIfAborted()
          return result
        } catch (error) {
          first = error
        }
        const offline = (signal: AbortSignal): Promise<void> | undefined => this.#environment.offline(signal)
        const retry = { session, retry: this.#settings.retry, signal, apply: ctx.apply, emitter: this.#emitter, offline }
        const done = await (await this.#later(first)).retryRound(first, () => performStep(ctx), retry)
        if (done) return done
      } catch (error) {
        if (!signal.aborted || this.#runController.signal.aborted) throw error // (a pause's failure goes on, even after resume(); abort()'s not)
      }
    }
  }

  /** ./later; while offline (its chunk cannot arrive) it waits for the network; `error` is thrown when it cannot load. */
  async #later(error: unknown): Promise<Later> {
    for (;;) {
      try {
        return await loadLater()
      } catch {
        const signal = this.#pauseController.signal
        const offline = signal.aborted ? undefined : this.#environment.offline(signal)
        if (!offline) throw error
        await offline
      }
    }
  }

  /** Performs the session's effects (events through mitt, record writes, a DELETE), then throws the error it returned. */
  #apply(outcome: Outcome): void {
    const [emitter, persistence, { limits }, protocol, size] = [this.#emitter, this.#persistence, this.#session, this.#protocol, this.#source?.size]
    for (const effect of outcome.effects) {
      const kind = effect.kind
      if (kind === 'cancel') void this.#cancel(effect.url)
      else if (kind === 'progress') emitter.emit(kind, this.progress)
      else if (kind === 'state') emitter.emit(kind, { state: effect.state, previous: effect.previous })
      else if (kind === 'forget') void persistence.remove()
      else if (kind === 'url') {
        if (effect.via !== 'stored' && protocol) persistence.saveUrl(effect.url, protocol, size, limits)
        emitter.emit(kind, { url: effect.url, via: effect.via })
      } else {
        if (effect.save) persistence.saveOffset(effect.end, size, limits)
        emitter.emit(kind, { start: effect.start, end: effect.end })
      }
    }
    if (outcome.error) throw outcome.error
  }

  /** Deletes the upload on the server, best effort (a failure leaves it to expire). */
  async #cancel(url: string): Promise<void> {
    const request = (await this.#resolveProtocol()).cancelRequest(url)
    await this.#sender.send(request, undefined, {}, { signals: [], stopped: () => false }).catch(() => undefined)
  }

  /** The protocol #run has, else the option's; a failed load is not kept, so start() again loads it again. */
  async #resolveProtocol(): Promise<Protocol> {
    const option = this.#settings.protocol
    return this.#protocol ?? (typeof option === 'object' ? option : loadProtocol(option, { clock: Date.now, interopVersion: this.options.interopVersion }))
  }
}
