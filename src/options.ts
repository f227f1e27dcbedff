/**
 * Options and events of an Upload. The types are the documentation: each option says its default.
 * @module
 */
import type { UploadError } from './errors'
import type { FingerprintFunction } from './fingerprint'
import type { UploadWarning } from './persistence'
import type { ProtocolName } from './protocols/load'
import type { HeaderMap, HttpResponse, Protocol, RequestDescription, Store, Transport, UrlSource } from './types'
import type { UploadPartsProtocol } from './upload/parts-runner-types'

/** Retry policy, handed to p-retry. */
export interface RetryOptions {
  /** Retries after the first attempt before the upload fails. Default: 8. */
  retries?: number
  /** First backoff delay in ms. Default: 500. */
  minTimeout?: number
  /** Largest backoff delay in ms. Default: 30_000. */
  maxTimeout?: number
  /** Backoff growth per retry. Default: 2. */
  factor?: number
  /** Multiply each delay by a random factor in [1, 2) (jitter). Default: true. */
  randomize?: boolean
}

/** Headers for every request, or a function that returns them per request (e.g. a fresh token). */
export type HeadersOption = HeaderMap | ((request: RequestDescription) => HeaderMap | Promise<HeaderMap>)

/** Options of `new Upload(source, options)`. */
export interface UploadOptions {
  /**
   * Where uploads are created (absolute, or relative to the page in browsers).
   * Required unless `url` is given.
   * @example '/uploads'
   */
  endpoint?: string
  /** An existing upload resource to continue (skips creation; HEAD first). */
  url?: string
  /**
   * `'ietf'` (the newest draft, interop version 8), `'tus'` (tus 1.0, loaded on demand) or a
   * Protocol object such as `ietfProtocol({ interopVersion: 6 })`, or a parts protocol such as
   * `s3(callbacks)` from `resumable-upload/s3` (no `endpoint` needed). Default: `'ietf'`.
   */
  protocol?: ProtocolName | Protocol | UploadPartsProtocol
  /**
   * The IETF draft interop version (`Upload-Draft-Interop-Version`) spoken with `protocol: 'ietf'`:
   * 3 (draft -01, `Upload-Incomplete`; tusd, iOS 17), 5 and 6 (drafts -03 to -05; tusd), 7, or 8
   * (drafts -09 to -12). A server that does not speak it fails with `version-unsupported`.
   * Ignored for a Protocol object (pass it to `ietfProtocol` instead). Default: 8.
   */
  interopVersion?: number
  /**
   * Largest number of bytes per request. `Infinity` sends one request: resumable in Node through
   * the 104's `Location`; in browsers the upload URL is first obtained with an empty creation
   * request. Server limits (`max-append-size`) still split it. Default: `Infinity` in Node with
   * the IETF protocol (the 104 names the URL before the body ends), 8 MiB elsewhere.
   */
  chunkSize?: number
  /**
   * Parts in flight at once, for protocols that send numbered parts (`s3()` from
   * `resumable-upload/s3`). The IETF and tus protocols send one request at a time and ignore it.
   * A positive integer (else RangeError). Default: 4.
   */
  concurrency?: number
  /** Extra headers (e.g. authorization). Sent only to the endpoint's origin and `allowedOrigins`. */
  headers?: HeadersOption
  /** User metadata, stored with the record and given to the protocol. Default: `{}`. */
  metadata?: Record<string, string>
  /** Retry policy. Default: 8 retries, 500 ms doubling to 30 s, with jitter. */
  retry?: RetryOptions
  /**
   * `'xhr'` (browser default: upload progress), `'fetch'`, `'node-http'` (Node default: sees the
   * 104), or a Transport.
   */
  transport?: 'xhr' | 'fetch' | 'node-http' | Transport
  /** Aborts the upload like `abort()` (without terminating it on the server). */
  signal?: AbortSignal
  /**
   * Origins (e.g. `'https://uploads.example.com'`) an upload `Location` may point to besides the
   * endpoint's own. A `Location` elsewhere fails with `location-refused`. Default: `[]`.
   */
  allowedOrigins?: string[]
  /**
   * What to do when a known upload URL answers 404/410: start a fresh upload (true) or fail with
   * `upload-gone` (false). Default: true.
   */
  restartOnGone?: boolean
  /**
   * How many times one Upload starts over after its upload resource is gone (404/410) before it
   * fails with `upload-gone`. Bounds what a server that forgets every upload costs: at most
   * `maxRestarts + 1` creation requests. A non-negative integer. Default: 3.
   */
  maxRestarts?: number
  /**
   * The longest `Retry-After` wait honoured, in seconds; a longer one is cut to this (and never
   * beyond what a timer can hold, about 24.8 days). A non-negative number. Default: 300.
   */
  maxRetryAfter?: number
  /**
   * Abort a request, then retry, when it made no progress for this many ms (no body byte accepted,
   * no response). Applies to transports that report upload progress and to requests without a
   * body. 0 turns it off. Default: 30_000.
   */
  stallTimeout?: number
  /**
   * Where upload state is kept so that a reload, a crash or a new process resumes instead of
   * starting over: `'indexeddb'` (browser default), `'memory'`, `'file'` (Node default, in
   * `storeDirectory`), a Store, or false for none. Records never hold credentials or headers.
   */
  store?: 'indexeddb' | 'memory' | 'file' | Store | false
  /**
   * Directory of the `'file'` store (Node); it must belong to the current user and not be
   * writable by group or others, else the upload goes on in memory with a warning. Default: a
   * per-user state directory, mode 0700 (`$XDG_STATE_HOME/resumable-upload` or
   * `~/.local/state/resumable-upload`; `~/Library/Application Support/resumable-upload` on macOS;
   * `%LOCALAPPDATA%\resumable-upload` on Windows).
   */
  storeDirectory?: string
  /**
   * The key that finds a stored upload for a source. Default: from name, size, type,
   * lastModified and the endpoint; sources without a name and lastModified (bytes, streams,
   * plain Blobs) get no key and are not stored unless you pass a function here.
   */
  fingerprint?: FingerprintFunction
  /**
   * Add a SHA-256 of the first and last 64 KiB to the default fingerprint, so another file with
   * the same name and size is never resumed onto old bytes. Default: false.
   */
  sampleContent?: boolean
  /** Delete the stored record when the upload completes. Default: true. */
  removeOnSuccess?: boolean
  /**
   * Keep the File/Blob itself in the store (IndexedDB keeps it by reference where it can), so
   * `Upload.restoreAll()` can resume after a reload without a file picker. Default: false.
   */
  persistBlob?: boolean
  /**
   * When another tab is uploading the same file: `'wait'` until it is done (then resume from its
   * state), or `'fail'` at once with code `locked`. Uses the store's lock (the file store's works
   * across processes), else Web Locks where present. Default: 'wait'.
   */
  lock?: 'wait' | 'fail'
}

/** The states of an upload. */
export type UploadState = 'idle' | 'creating' | 'uploading' | 'paused' | 'retrying' | 'complete' | 'failed' | 'aborted'

/** Byte counts of a progress event. */
export interface UploadProgress {
  /** Bytes handed to the network so far in this attempt, counted from 0 of the file. */
  bytesSent: number
  /** Bytes the server has confirmed it stores. Never decreases. */
  bytesAcked: number
  /** Size of the source, when known. */
  bytesTotal: number | undefined
}

/** What `start()` resolves with. */
export interface UploadResult {
  /** The upload resource URL (or the final `Location`). */
  url: string
  /**
   * The target resource's final response. When the final response was lost and the server
   * reported completion through HEAD, this is the HEAD response.
   */
  response: HttpResponse
}

/** Events of an Upload, by name (`upload.on(name, handler)`). */
export type UploadEvents = {
  /** The upload URL became known, and how. */
  url: { url: string; via: UrlSource }
  /** Bytes moved or were acknowledged. */
  progress: UploadProgress
  /** The state changed. */
  state: { state: UploadState; previous: UploadState }
  /** Attempt `attempt` failed; after the backoff (and `Retry-After`) the upload asks for the offset and goes on. */
  retry: { attempt: number; retriesLeft: number; error: UploadError }
  /** The server acknowledged the bytes `[start, end)`. */
  chunk: { start: number; end: number }
  /** The upload failed for good (also rejects `start()`). */
  error: UploadError
  /** Something about stored state went wrong; the upload goes on (see UploadWarningCode). */
  warning: UploadWarning
}
