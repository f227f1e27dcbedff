/**
 * The I/O loop of a parts upload (S3 multipart): creates the upload, or resumes it from the
 * record through `listParts` (the truth; the record only narrows it), sends up to `concurrency`
 * parts at once as the {@link PartsSession} hands them out (each retried on its own, see
 * parts-runner-part.ts), starts over when S3 forgot the upload (at most `maxRestarts` times, then
 * `upload-gone`), and completes. Every decision is the session's or the protocol's; this file only
 * calls, sends, emits and writes the record.
 *
 * Events are the Upload's: `state` (creating, uploading, complete, failed; pause and abort are
 * the caller's), `progress` (acknowledged parts plus the bytes the transport reports for parts in
 * flight, as `bytesSent`), `chunk` per stored part, `retry` per part retry, `url` on completion,
 * `warning` when a record write fails.
 * @module
 */
import { UploadError } from '../errors'
import type { UploadEvents, UploadState } from '../options'
import type { S3File, S3HeldPart, S3UploadRef } from '../protocols/s3-types'
import { partsOutcome } from './parts'
import { asUploadError, callback, isGone, withRetry, type RetrySettings } from './parts-runner-calls'
import { sendPart, type PartContext } from './parts-runner-part'
import { RecordWriter } from './parts-runner-record'
import type { PartsRunResult, PartsRunnerInput } from './parts-runner-types'
import { PartsSession } from './parts-session'
import type { Effect } from './session-types'

export * from './parts-runner-types'

/** Re-signs of one part after expired signatures, by default. */
export const DEFAULT_MAX_RESIGNS = 3

/** Where a round of parts starts: the upload, its part size, the parts S3 holds. */
interface RoundStart {
  upload: S3UploadRef
  partSize: number
  held: S3HeldPart[]
}

/** Drives one S3 multipart upload; `run()` once, then `terminate()` if it is to be dropped. */
export class PartsRunner {
  private readonly file: S3File
  private readonly writer: RecordWriter
  private readonly now: () => number
  private upload: S3UploadRef | undefined
  private state: UploadState = 'idle'
  private restarts = 0
  private lastPartUrl: string | undefined

  /** @param input the source, protocol, sender, settings, record and events (see {@link PartsRunnerInput}) */
  constructor(private readonly input: PartsRunnerInput) {
    if (!Number.isInteger(input.concurrency) || input.concurrency < 1) throw new RangeError(`concurrency must be a positive integer: ${input.concurrency}`)
    this.file = input.protocol.file(input.source, input.metadata ?? {})
    this.now = input.now ?? Date.now
    this.writer = new RecordWriter(input.record, (warning) => input.emit('warning', warning), this.now)
  }

  /** The multipart upload in use, once created or resumed. */
  get current(): S3UploadRef | undefined {
    return this.upload
  }

  /** Fresh uploads made after S3 forgot one. */
  get restartCount(): number {
    return this.restarts
  }

  /**
   * Uploads every part and completes the object.
   * @throws UploadError: `aborted` when the signal fired (the record is written first), else the
   *   failure that ended the upload (`upload-gone` once restarts ran out)
   */
  async run(): Promise<PartsRunResult> {
    const { source, signal } = this.input
    try {
      if (source.size === undefined) throw new UploadError('source-error', 'the parts runner needs a source of known size', { retryable: false })
      signal.throwIfAborted()
      let start = await this.begin(source.size)
      for (;;) {
        try {
          const held = await this.round(start, source.size)
          return await this.complete(start.upload, held)
        } catch (error) {
          if (signal.aborted || !isGone(error)) throw error
          this.restarted(error)
          start = await this.create(source.size)
        }
      }
    } catch (error) {
      await this.writer.flush()
      const failure = asUploadError(error, signal)
      if (failure.code !== 'aborted') this.enter('failed')
      throw failure
    }
  }

  /**
   * Drops the multipart upload and its parts (`abortMultipartUpload`): the one in use, else the
   * recorded one, retried as callbacks are. Call it once `run()` has settled, so that no part
   * lands after it.
   */
  async terminate(signal: AbortSignal = new AbortController().signal): Promise<void> {
    const { protocol, record } = this.input
    const upload = this.upload ?? (record === undefined ? undefined : protocol.readRecordState(await record.load()))
    if (upload === undefined) return
    const options = { uploadId: upload.uploadId, key: upload.key, signal }
    const settings = { ...this.retrying(), signal }
    await withRetry(() => callback(protocol, 'abortMultipartUpload', signal, () => protocol.callbacks.abortMultipartUpload(this.file, options)), settings)
  }

  /** The recorded upload with the parts `listParts` names, or a new upload. */
  private async begin(size: number): Promise<RoundStart> {
    const { protocol, record, signal } = this.input
    const recorded = record === undefined ? undefined : protocol.readRecordState(await record.load())
    if (recorded === undefined || !this.fits(size, recorded.partSize)) return this.create(size)
    const upload = { uploadId: recorded.uploadId, key: recorded.key }
    this.upload = upload
    try {
      const options = { ...upload, signal }
      const listed = await withRetry(() => callback(protocol, 'listParts', signal, () => protocol.callbacks.listParts(this.file, options)), this.retrying())
      const held = protocol.resumeParts(protocol.readListedParts(listed, { size, partSize: recorded.partSize }), recorded.parts)
      return { upload, partSize: recorded.partSize, held }
    } catch (error) {
      if (signal.aborted || !isGone(error)) throw error
      this.restarted(error)
      return this.create(size)
    }
  }

  /** A new multipart upload, recorded at once. */
  private async create(size: number): Promise<RoundStart> {
    const { protocol, signal } = this.input
    this.enter('creating')
    this.upload = undefined
    const partSize = protocol.partSize(size, this.input.chunkSize)
    const answer = await withRetry(
      () => callback(protocol, 'createMultipartUpload', signal, () => protocol.callbacks.createMultipartUpload(this.file, signal)),
      this.retrying(),
    )
    const upload = protocol.readCreated(answer)
    this.upload = upload
    await this.writer.writeNow(protocol.recordState(upload, partSize, []))
    return { upload, partSize, held: [] }
  }

  /** Sends the parts S3 lacks, `concurrency` at once; resolves with every part once all are held. */
  private round(start: RoundStart, size: number): Promise<S3HeldPart[]> {
    const { concurrency, signal } = this.input
    const session = new PartsSession({ size, partSize: start.partSize, concurrency, maxAttempts: 1, held: start.held })
    const stop = new AbortController()
    const sending = new Map<number, number>()
    const tasks = new Set<Promise<void>>()
    const progress = (): void => this.progress(session.acked, sending, size)
    const ctx = this.partContext(start, stop.signal, (number, sent) => {
      sending.set(number, sent)
      if (sent > 0) progress()
    })
    return new Promise((resolve, reject) => {
      let over = false
      const finish = (error: unknown, parts?: S3HeldPart[]): void => {
        if (over) return
        over = true
        stop.abort()
        signal.removeEventListener('abort', onAbort)
        void Promise.allSettled(tasks).then(() => (parts === undefined ? reject(error) : resolve(parts)))
      }
      const onAbort = (): void => finish(asUploadError(signal.reason, signal))
      const pump = (): void => {
        const { parts, effects } = session.next()
        this.apply(effects, session, start, progress)
        for (const part of parts) {
          const task = sendPart(ctx, part).then(
            (etag) => {
              if (over) return
              sending.delete(part.number)
              const outcome = session.partDone(part.number, etag)
              this.apply(outcome.effects, session, start, progress)
              if (outcome.done === undefined) pump()
              else finish(undefined, outcome.done)
            },
            (error: unknown) => {
              if (over) return
              const outcome = session.partFailed(part.number, asUploadError(error, stop.signal))
              if (!isGone(error)) this.apply(outcome.effects, session, start, progress)
              finish(outcome.error ?? error)
            },
          )
          tasks.add(task)
          void task.finally(() => tasks.delete(task))
        }
      }
      signal.addEventListener('abort', onAbort, { once: true })
      const position = session.position
      const outcome = position.kind === 'parts' ? partsOutcome(position.parts) : undefined
      if (signal.aborted) onAbort()
      else if (outcome?.kind === 'done') finish(undefined, outcome.parts)
      else pump()
    })
  }

  /** What each part needs; `sent` reports a part's bytes in flight. */
  private partContext(start: RoundStart, signal: AbortSignal, sent: (number: number, bytes: number) => void): PartContext {
    const { protocol, source, send, retry, maxReSigns } = this.input
    return {
      protocol,
      file: this.file,
      upload: start.upload,
      send,
      retry,
      maxReSigns: maxReSigns ?? DEFAULT_MAX_RESIGNS,
      signal,
      now: this.now,
      chunk: (part) => source.slice(part.start, part.end),
      onProgress: sent,
      onRetry: (event) => this.input.emit('retry', event),
      onSigned: (url) => (this.lastPartUrl = url),
    }
  }

  /** Completes the object from the held parts. */
  private async complete(upload: S3UploadRef, held: S3HeldPart[]): Promise<PartsRunResult> {
    const { protocol, signal, emit } = this.input
    const options = { ...upload, parts: protocol.completionParts(held), signal }
    const answer = await withRetry(
      () => callback(protocol, 'completeMultipartUpload', signal, () => protocol.callbacks.completeMultipartUpload(this.file, options)),
      this.retrying(),
    )
    const { location } = protocol.readCompleted(answer)
    this.writer.cancel()
    const url = location ?? objectUrl(this.lastPartUrl) ?? upload.key
    emit('url', { url, via: 'created' })
    this.enter('complete')
    return { url, location, upload }
  }

  /** Performs the session's effects: events, and the record as parts complete. */
  private apply(effects: readonly Effect[], session: PartsSession, start: RoundStart, progress: () => void): void {
    for (const effect of effects) {
      if (effect.kind === 'state') this.enter(effect.state)
      else if (effect.kind === 'progress') progress()
      else if (effect.kind === 'chunk') {
        this.input.emit('chunk', { start: effect.start, end: effect.end })
        if (effect.save) this.writer.update(this.input.protocol.recordState(start.upload, start.partSize, heldParts(session)))
      }
    }
  }

  private progress(acked: number, sending: ReadonlyMap<number, number>, size: number): void {
    let inFlight = 0
    for (const bytes of sending.values()) inFlight += bytes
    this.input.emit('progress', { bytesSent: acked + inFlight, bytesAcked: acked, bytesTotal: size })
  }

  /** Counts a fresh start after S3 forgot the upload. */
  private restarted(error: unknown): void {
    this.restarts++
    if (this.restarts <= this.input.maxRestarts) return
    const text = `S3 no longer knows the upload, and ${this.input.maxRestarts} fresh starts ran out`
    throw new UploadError('upload-gone', text, { retryable: false, cause: error })
  }

  /** Whether a recorded part size fits this source (another size means another plan: start afresh). */
  private fits(size: number, partSize: number): boolean {
    try {
      return this.input.protocol.partSize(size, partSize) === partSize
    } catch {
      return false
    }
  }

  private retrying(): RetrySettings {
    return { retry: this.input.retry, signal: this.input.signal, onRetry: (event: UploadEvents['retry']) => this.input.emit('retry', event) }
  }

  private enter(state: UploadState): void {
    if (state === this.state) return
    const previous = this.state
    this.state = state
    this.input.emit('state', { state, previous })
  }
}

/** The parts a session holds, with their ETags. */
function heldParts(session: PartsSession): S3HeldPart[] {
  const position = session.position
  if (position.kind !== 'parts') return []
  return [...position.parts.etags].map(([number, etag]) => ({ number, etag }))
}

/** The object's URL from one of its part URLs: the same URL without the query. */
function objectUrl(partUrl: string | undefined): string | undefined {
  if (partUrl === undefined) return undefined
  const url = new URL(partUrl)
  return `${url.origin}${url.pathname}`
}
