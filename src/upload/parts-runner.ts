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
import type { S3File, S3HeldPart, S3RecordState, S3UploadRef } from '../protocols/s3-types'
import { asUploadError, callback, isGone, withRetry, type RetrySettings } from './parts-runner-calls'
import { RecordWriter } from './parts-runner-record'
import { sizedRound, type RoundIO } from './parts-runner-round'
import { streamRound } from './parts-runner-stream'
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
  /** The signal of the current run. */
  private signal: AbortSignal
  /** The latest state of the upload, for a run after a pause (the same as the record's, without a store too). */
  private resumeState: S3RecordState | undefined

  /** @param input the source, protocol, sender, settings, record and events (see {@link PartsRunnerInput}) */
  constructor(private readonly input: PartsRunnerInput) {
    if (!Number.isInteger(input.concurrency) || input.concurrency < 1) throw new RangeError(`concurrency must be a positive integer: ${input.concurrency}`)
    this.file = input.protocol.file(input.source, input.metadata ?? {})
    this.signal = input.signal
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
   * Uploads every part and completes the object. Call it again after a pause (with a new signal):
   * the run goes on with the same upload, through `listParts`.
   * @param signal pause or abort of this run; default: the input's
   * @throws UploadError: `aborted` when the signal fired (the record is written first), else the
   *   failure that ended the upload (`upload-gone` once restarts ran out)
   */
  async run(signal: AbortSignal = this.input.signal): Promise<PartsRunResult> {
    const { source } = this.input
    this.signal = signal
    try {
      signal.throwIfAborted()
      if (source.size === undefined) return await this.runStream()
      let start = await this.begin(source.size)
      for (;;) {
        try {
          const session = new PartsSession({
            size: source.size,
            partSize: start.partSize,
            concurrency: this.input.concurrency,
            maxAttempts: 1,
            held: start.held,
          })
          return await this.complete(start.upload, await sizedRound(session, this.roundIO(start, source.size)))
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

  /** A source of unknown size: a new upload (a stream cannot resume or start over), read and sent part by part. */
  private async runStream(): Promise<PartsRunResult> {
    const start = await this.create(undefined)
    const { parts } = await streamRound(this.input.source, this.input.protocol, start.partSize, this.input.concurrency, this.roundIO(start, undefined))
    return this.complete(start.upload, parts)
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
    const { protocol, record } = this.input
    const signal = this.signal
    const recorded = this.resumeState ?? (record === undefined ? undefined : protocol.readRecordState(await record.load()))
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

  /** A new multipart upload, recorded at once (a source of known size). */
  private async create(size: number | undefined): Promise<RoundStart> {
    const { protocol } = this.input
    const signal = this.signal
    this.enter('creating')
    this.upload = undefined
    const partSize = protocol.partSize(size, this.input.chunkSize)
    const answer = await withRetry(
      () => callback(protocol, 'createMultipartUpload', signal, () => protocol.callbacks.createMultipartUpload(this.file, signal)),
      this.retrying(),
    )
    const upload = protocol.readCreated(answer)
    this.upload = upload
    this.lastPartUrl = undefined
    // A stream cannot be read again after a reload: it has no record.
    if (size !== undefined) await this.writer.writeNow((this.resumeState = protocol.recordState(upload, partSize, [])), { offset: 0, url: undefined })
    return { upload, partSize, held: [] }
  }

  /** The runner's side of a round over `start`. */
  private roundIO(start: RoundStart, size: number | undefined): RoundIO {
    const { protocol, source, send, retry, maxRetryAfter, maxReSigns, emit } = this.input
    return {
      signal: this.signal,
      context: (stop, sent) => ({
        protocol,
        file: this.file,
        upload: start.upload,
        send,
        retry,
        maxRetryAfter,
        maxReSigns: maxReSigns ?? DEFAULT_MAX_RESIGNS,
        signal: stop,
        now: this.now,
        chunk: (part) => source.slice(part.start, part.end),
        onProgress: sent,
        onRetry: (event) => emit('retry', event),
        offline: this.input.offline,
        onSigned: (url) => (this.lastPartUrl = url),
      }),
      apply: (effects, held) => this.apply(effects, start, held),
      progress: (acked, inFlight) => emit('progress', { bytesSent: acked + inFlight, bytesAcked: acked, bytesTotal: size ?? source.size }),
    }
  }

  /** Completes the object from the held parts. */
  private async complete(upload: S3UploadRef, held: S3HeldPart[]): Promise<PartsRunResult> {
    const { protocol, emit } = this.input
    const signal = this.signal
    const options = { ...upload, parts: protocol.completionParts(held), signal }
    const answer = await withRetry(
      () => callback(protocol, 'completeMultipartUpload', signal, () => protocol.callbacks.completeMultipartUpload(this.file, options)),
      this.retrying(),
    )
    const { location } = protocol.readCompleted(answer)
    this.writer.cancel()
    this.resumeState = undefined
    const url = location ?? objectUrl(this.lastPartUrl) ?? upload.key
    emit('url', { url, via: 'created' })
    this.enter('complete')
    return { url, location, upload }
  }

  /** Performs a round's effects: events, and the record as parts complete. */
  private apply(effects: readonly Effect[], start: RoundStart, held: () => S3HeldPart[]): void {
    for (const effect of effects) {
      if (effect.kind === 'state') this.enter(effect.state)
      else if (effect.kind === 'chunk') {
        this.input.emit('chunk', { start: effect.start, end: effect.end })
        if (!effect.save) continue
        const parts = held()
        const progress = { offset: heldBytes(parts, start.partSize, this.input.source.size ?? 0), url: objectUrl(this.lastPartUrl) }
        this.writer.update((this.resumeState = this.input.protocol.recordState(start.upload, start.partSize, parts)), progress)
      }
    }
  }

  /** Counts a fresh start after the storage service forgot the upload (S3 `NoSuchUpload`, Azure's blocks gone). */
  private restarted(error: unknown): void {
    this.restarts++
    if (this.restarts <= this.input.maxRestarts) return
    const text = `the storage service no longer knows the upload, and ${this.input.maxRestarts} fresh starts ran out`
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
    const { retry, maxRetryAfter, offline, emit } = this.input
    return { retry, maxRetryAfter, signal: this.signal, offline, onRetry: (event: UploadEvents['retry']) => emit('retry', event) }
  }

  private enter(state: UploadState): void {
    if (state === this.state) return
    const previous = this.state
    this.state = state
    this.input.emit('state', { state, previous })
  }
}

/** Bytes in `parts` of a `size` byte source in parts of `partSize` (each full but the last). */
function heldBytes(parts: readonly S3HeldPart[], partSize: number, size: number): number {
  let bytes = 0
  for (const { number } of parts) bytes += Math.max(0, Math.min(partSize, size - (number - 1) * partSize))
  return bytes
}

/** The object's URL from one of its part URLs: the same URL without the query. */
function objectUrl(partUrl: string | undefined): string | undefined {
  if (partUrl === undefined) return undefined
  const url = new URL(partUrl)
  return `${url.origin}${url.pathname}`
}
