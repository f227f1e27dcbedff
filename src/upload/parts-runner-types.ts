/**
 * The vocabulary of the parts runner (parts-runner.ts): what it needs from the Upload (a source,
 * a parts protocol, a way to send one part, settings, a record and an event sink) and what it
 * answers. Types only, plus the adapter from the Upload's {@link RequestSender}.
 * @module
 */
import type { Emitter } from 'mitt'
import type { RetryOptions, UploadEvents, UploadOptions, UploadResult, UploadState } from '../options'
import type { UploadPersistence } from '../persistence'
import type { S3Protocol } from '../protocols/s3'
import type { MaybePromise, S3PartRequest, S3RecordState, S3UploadRef } from '../protocols/s3-types'
import type { RequestSender } from '../request-sender'
import type { HttpResponse, Source, SourceChunk } from '../types'
import type { UploadEnvironment } from './environment'
import type { UploadSession } from './session'

/** What one part request gets besides its body. */
export interface PartSendHooks {
  /** Aborts the request (pause, abort, or another part that ended the round). */
  signal: AbortSignal
  /** Body bytes of this request sent so far. */
  onProgress: (sent: number) => void
}

/** Sends one part and resolves with S3's answer; rejects with an UploadError when none came. */
export type PartSender = (request: S3PartRequest, chunk: SourceChunk, hooks: PartSendHooks) => Promise<HttpResponse>

/** What a record write says besides the protocol state: where the upload stands, for people and `findPrevious`. */
export interface PartsRecordProgress {
  /** Bytes in the parts the server holds. */
  offset: number
  /** The object's URL (a signed part URL without its query), once a part of this upload was signed. */
  url: string | undefined
}

/** Reads and writes the upload's record (the Upload's persistence, for this upload's key). */
export interface PartsRecordHooks {
  /** The stored state, or undefined when there is none (anything else is checked before use). */
  load(): MaybePromise<unknown>
  /** Writes `state`; the runner calls it at most once a second while parts complete, then once when it stops. */
  save(state: S3RecordState, progress: PartsRecordProgress): MaybePromise<void>
}

/** The Upload's event sink: the same names and payloads as `upload.on(name, handler)`. */
export type PartsEmit = <Name extends keyof UploadEvents>(name: Name, event: UploadEvents[Name]) => void

/** Input of the parts runner. */
export interface PartsRunnerInput {
  /** The bytes. A source of unknown size is read front to back, holding at most `concurrency` parts. */
  source: Source
  /** The parts protocol (`s3(...)`). */
  protocol: S3Protocol
  /** Sends one part (see {@link partSenderFor}). */
  send: PartSender
  /** Parts in flight at once, a positive integer. */
  concurrency: number
  /** The `chunkSize` option: the part size (undefined: the protocol's default for the size). */
  chunkSize?: number | undefined
  /** The user's metadata, given to the callbacks. */
  metadata?: Readonly<Record<string, string>>
  /** p-retry options, for each part and for each callback (create, list, complete). */
  retry: RetryOptions
  /**
   * The longest `Retry-After` honoured before a retry, in seconds (the Upload's `maxRetryAfter`):
   * a part answered 503 `SlowDown` or 429 with one waits that long, then p-retry's backoff. Default: 300.
   */
  maxRetryAfter?: number
  /** Fresh uploads after S3 forgot one (`NoSuchUpload`) before failing with `upload-gone`. */
  maxRestarts: number
  /** Re-signs of one part after an expired signature before it fails. Default: 3. */
  maxReSigns?: number
  /** The record; none: nothing is stored or resumed. */
  record?: PartsRecordHooks
  /** Events, as the Upload emits them. */
  emit: PartsEmit
  /** Pause or abort: stops every request and backoff; `run()` then rejects with `aborted`. */
  signal: AbortSignal
  /**
   * Resolves once the network is back, or undefined when online (the Upload's environment): a part
   * that fails while offline waits for it, and that costs no retry. Default: always online.
   */
  offline?: (signal: AbortSignal) => Promise<void> | undefined
  /** The clock, ms since the epoch. Default: `Date.now`. */
  now?: () => number
}

/** What a completed run answers. */
export interface PartsRunResult {
  /** The object's URL: the location `completeMultipartUpload` gave, else a part URL without its query. */
  url: string
  /** The location `completeMultipartUpload` gave, when it gave one. */
  location: string | undefined
  /** The multipart upload that became the object. */
  upload: S3UploadRef
}

/**
 * A {@link PartSender} over the Upload's RequestSender. Give it a sender made for the bucket: no
 * user headers (`new RequestSender(transport, undefined, () => false, stallTimeout)`), as the
 * Upload's `headers` are meant for the app's server, never for the bucket.
 * An abort of a part's signal (pause, abort, or the round ended) rejects with `aborted`.
 */
export function partSenderFor(sender: Pick<RequestSender, 'send'>): PartSender {
  return (request, chunk, hooks) => {
    const { start, end } = request.body
    const intent = { kind: 'append', offset: start, end, complete: false, length: undefined, declaresLength: false } as const
    const description = { method: request.method, url: request.url, headers: request.headers, body: request.body, intent }
    return sender.send(description, chunk, {}, { signals: [hooks.signal], onProgress: hooks.onProgress, stopped: () => hooks.signal.aborted })
  }
}

/** A run of a parts upload, as the Upload drives it. */
export interface PartsRun {
  /** Uploads every part and completes the object; again after a pause, with a new signal (see `PartsRunner.run`). */
  run(signal?: AbortSignal): Promise<PartsRunResult>
  /** Drops the multipart upload (`abortMultipartUpload`), once `run()` settled. */
  terminate(signal?: AbortSignal): Promise<void>
}

/**
 * What the Upload needs of a protocol that sends parts (`s3()` from `resumable-upload/s3`): the
 * core checks `parts === true` and hands the run to the protocol, so nothing of S3 (nor the
 * parts runner) is in the core's bundle.
 */
export interface PartsProtocol {
  /** The protocol name stored in records, e.g. `s3`. */
  readonly name: string
  /** The record format's version. */
  readonly version: string
  /** Marks a parts protocol. */
  readonly parts: true
  /** Checks a `chunkSize` option at construction (throws TypeError or RangeError). */
  checkChunkSize(chunkSize: unknown): void
  /** A run over `input` (everything the runner needs but the protocol itself). */
  createRun(input: Omit<PartsRunnerInput, 'protocol'>): PartsRun
}

/**
 * What the Upload hands a parts protocol's run (see {@link UploadPartsProtocol.run}): the
 * Upload itself (options, input, state), the source, and the Upload's own session (state and
 * byte counts), event emitter, persistence and environment (transports, network status). The core passes them
 * as they are; every decision of a parts upload is made on the protocol's side.
 */
export type PartsHost = [
  upload: { readonly options: UploadOptions; readonly input: unknown; readonly state: UploadState },
  source: Source,
  session: Pick<UploadSession, 'setState' | 'sent' | 'acked' | 'url'>,
  emitter: Emitter<UploadEvents>,
  persistence: UploadPersistence,
  environment: Pick<UploadEnvironment<never>, 'offline' | 'transport'>,
]

/**
 * A parts protocol as `new Upload(file, { protocol })` takes it (`s3()` from
 * `resumable-upload/s3`): the Upload checks for `run` and hands it the whole run, so
 * nothing of the parts upload (pause loop, events, record, terminate) is in the core's bundle.
 */
export interface UploadPartsProtocol extends PartsProtocol {
  /** The endpoint records and fingerprints name when the Upload is given none (`s3:`). */
  readonly endpoint: string
  /** Runs the Upload's upload to the end: pauses and resumes with the Upload, resolves on completion, rejects as the Upload's run does. */
  run(...host: PartsHost): Promise<UploadResult>
  /** `abort({ terminate: true })`: once the Upload's run has settled, drops the upload on the server and its record. */
  terminate(upload: object): Promise<void>
}
