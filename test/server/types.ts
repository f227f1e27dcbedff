/**
 * Public types of the reference server: options, upload snapshots, statistics and faults.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { CorsOptions } from './cors'

export type { CorsOptions } from './cors'

/** What a request does; faults and statistics are keyed by it. */
export type RequestKind = 'create' | 'append' | 'head' | 'delete' | 'options' | 'plain' | 'control'

/** The request kinds a fault can target (control routes are never faulted). */
export type FaultableKind = Exclude<RequestKind, 'control'>

/**
 * Limits announced in `Upload-Limit` and enforced by the server. All optional; none by default
 * in-process (the CLI and the demo default `maxSize` to 16 GiB).
 */
export interface UploadLimits {
  /** Largest representation in bytes (`max-size`); bigger uploads get 413. */
  maxSize?: number
  /** Smallest length for which an upload resource is created (`min-size`); default 0. */
  minSize?: number
  /** Most content bytes in one creation or append request (`max-append-size`). */
  maxAppendSize?: number
  /** Fewest content bytes in one request unless it carries `Upload-Complete: ?1` or is an empty creation. */
  minAppendSize?: number
  /** Seconds an upload lives after its creation (`max-age`; `expires` for interop versions <= 6). */
  maxAge?: number
}

/** Options of {@link startReferenceServer}. */
export interface ReferenceServerOptions {
  /** TCP port on 127.0.0.1; default 0 (a random free port). */
  port?: number
  /** Where uploads are stored; default a fresh temporary directory (removed by `close()`). */
  dir?: string
  /** Upload limits; default none (`Upload-Limit: min-size=0`). */
  limits?: UploadLimits
  /** Interop versions answered; default `[3, 4, 5, 6, 7, 8]`. The highest is used when a request names none. */
  interopVersions?: number[]
  /** Send a 104 with `Upload-Offset` every N persisted body bytes; default 0 (off). */
  progressInterimEvery?: number
  /**
   * Serve the `/__control/*` fault-injection routes; default false. Cross-origin browser requests
   * to them are refused (403) unless their `Origin` is listed in `cors.origins` by name.
   */
  control?: boolean
  /** Which cross-origin pages may read responses; default none (same-origin and non-browser clients only). */
  cors?: CorsOptions
  /**
   * Most open uploads (created, not complete, not gone) at once; a creation beyond it gets 503
   * with `Retry-After`. Default 1000.
   */
  maxUploads?: number
  /**
   * Milliseconds a connection may go without receiving or sending a byte before it is closed
   * (a slow upload that keeps sending is never cut); default 60000; 0 = never.
   */
  idleTimeoutMs?: number
  /** Clock in milliseconds since the epoch, for `max-age` tests; default `Date.now`. */
  now?: () => number
  /**
   * How long (ms) a connection answered before its request body was read keeps draining that body
   * before it is destroyed, so that the client reads the response instead of a TCP reset; default 2000.
   */
  lingerMs?: number
}

/** A snapshot of one upload as stored on disk. */
export interface UploadInfo {
  /** 32 lowercase hex digits. */
  id: string
  /** `resumable` for uploads created with `Upload-Complete`, `plain` for ordinary POSTs. */
  kind: 'resumable' | 'plain'
  /** Bytes stored: the real size of the data file. */
  offset: number
  /** The representation length, once known. */
  length: number | undefined
  /** Whether the upload was completed. */
  complete: boolean
  /** SHA-256 (hex) of the stored bytes. */
  sha256: string
  /** Expired by `expire()` or by `max-age`: answers 410. */
  expired: boolean
  /** Cancelled by DELETE: bytes removed, answers 410. */
  deleted: boolean
  /** Deactivated because data went past its length or `max-size`: answers 410. */
  invalidated: boolean
  /** `Content-Type` of the creation request. */
  contentType: string | undefined
  /** `Content-Disposition` of the creation request. */
  contentDisposition: string | undefined
  /** The filename taken from `Content-Disposition`. */
  filename: string | undefined
  /** Interop version of the creation request. */
  interopVersion: number
  /** ISO 8601 creation time. */
  createdAt: string
}

/** Counters per upload. */
export interface UploadStats {
  /** Body bytes read off the wire for this upload (also ones later discarded). */
  bodyBytesReceived: number
  /** Requests that named this upload (creation included). */
  requests: number
}

/** Live counters; the object is updated in place. */
export interface ServerStats {
  /** Requests per kind (requests to unknown paths are not counted). */
  requests: Record<RequestKind, number>
  /** Every request body byte read off the wire, including ones later discarded. */
  bodyBytesReceived: number
  /** Counters of each upload, by id. */
  perUpload: Map<string, UploadStats>
}

/** Which requests a fault applies to; every given field must match. */
export interface FaultMatch {
  /** The request kind. */
  kind?: FaultableKind
  /** The HTTP method, case-insensitive. */
  method?: string
  /** The upload id (never matches a creation request: its id does not exist yet). */
  uploadId?: string
}

/** Fields every fault has. */
export interface FaultCommon {
  /** Default: every request. */
  match?: FaultMatch
  /** How many matching requests it applies to; default 1; `Infinity` (or -1 over HTTP) = all. */
  times?: number
}

/**
 * Persist exactly `afterBytes` body bytes of the request (on creation: after the 104), then destroy
 * the socket without a response. Requests without a body are destroyed instead of being answered.
 */
export interface DestroyFault extends FaultCommon {
  type: 'destroy'
  afterBytes: number
}

/** Answer at once with `status` (and `Retry-After`), leaving the upload alone. */
export interface StatusFault extends FaultCommon {
  type: 'status'
  status: number
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number
  /** Response body (text/plain); default empty. */
  body?: string
}

/** Stop reading and do not answer for `ms` (default: until the connection closes), then go on. */
export interface StallFault extends FaultCommon {
  type: 'stall'
  ms?: number
}

/** Rewrite the final response's headers, or every 104's with `interim: true`. */
export interface HeadersFault extends FaultCommon {
  type: 'headers'
  /** Headers to set (replacing any of the same name, case-insensitive). */
  set?: Record<string, string>
  /** Header names to remove, case-insensitive. */
  remove?: string[]
  /** Rewrite the 104 interim responses instead of the final response. */
  interim?: boolean
}

/** A fault to inject into matching requests. */
export type Fault = DestroyFault | StatusFault | StallFault | HeadersFault

/** A registered fault: the fault plus its id and how often it fired (updated in place). */
export type ActiveFault<F extends Fault = Fault> = F & {
  /** Registration number, unique per server. */
  readonly id: number
  /** How many requests it applied to so far. */
  hits: number
}

/** A request the server started handling. */
export interface RequestEvent {
  kind: RequestKind
  method: string
  /** The request target as sent. */
  url: string
  /** The upload named in the path, if any. */
  uploadId: string | undefined
  /** The request's headers, for tests that check what a client sent (credentials, versions). */
  headers: IncomingHttpHeaders
}

/** Events of `ReferenceServer.events`. */
export interface ServerEvents {
  request: [RequestEvent]
}
