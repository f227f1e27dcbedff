/**
 * The contracts between the layers: a Protocol describes requests and reads responses (no I/O),
 * a Transport performs one request, a Source hands out byte ranges, a Store keeps records.
 * @module
 */
import type { UploadError } from './errors'

/** Header names in lower case mapped to their values. */
export type HeaderMap = Record<string, string>

/** HTTP methods the protocols use. */
export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'HEAD' | 'GET' | 'DELETE' | 'OPTIONS'

/** A request as a protocol describes it: which bytes of the source go in the body, not the bytes. */
export interface RequestDescription {
  /** HTTP method. */
  method: HttpMethod
  /** Absolute URL. */
  url: string
  /** Headers the protocol requires, names in lower case. The Upload adds the user's headers. */
  headers: HeaderMap
  /** Byte range `[start, end)` of the source to send as the body, or null for no body. */
  body: { start: number; end: number } | null
  /** What the request is for, so that reading its answer never re-parses the headers it carries. */
  intent: RequestIntent
}

/**
 * What a request is for. `end` is where its body ends (its start plus its length); `length` is
 * the upload's length as the request knows it (the size, or the end of a completing request);
 * `declaresLength` whether the request states it to the server.
 */
export type RequestIntent =
  | { kind: 'discover' }
  | { kind: 'create'; end: number; complete: boolean; length: number | undefined; declaresLength: boolean }
  | { kind: 'offset' }
  | { kind: 'append'; offset: number; end: number; complete: boolean; length: number | undefined; declaresLength: boolean }
  | { kind: 'cancel' }

/** The digests a protocol may ask for (Web Crypto names). */
export type DigestAlgorithm = 'SHA-1' | 'SHA-256'

/** A final (non-1xx) response as a transport hands it back. */
export interface HttpResponse {
  /** Status code. */
  status: number
  /** Headers, names in lower case; repeated fields joined with `, `. */
  headers: HeaderMap
  /** The response body as text (at most the transport's cap, 1 MiB by default). */
  body: string
}

/** An informational (1xx) response, seen only by transports that can see them (node-http). */
export interface InterimResponse {
  /** Status code, 100..199. */
  status: number
  /** Headers, names in lower case. */
  headers: HeaderMap
}

/** What a body can be when it reaches a transport. */
export type RequestBody = Blob | Uint8Array | AsyncIterable<Uint8Array>

/** One request for a transport: a description plus the bytes of its body. */
export interface TransportRequest {
  /** HTTP method. */
  method: HttpMethod
  /** Absolute URL. */
  url: string
  /** All headers to send, names in lower case. */
  headers: HeaderMap
  /** The body, or null. */
  body: RequestBody | null
  /** Length of the body in bytes (sent as Content-Length); 0 when body is null. */
  bodyLength: number
}

/** Per-request options for a transport. */
export interface SendOptions {
  /** Aborts the request; the transport then rejects with an `aborted` UploadError. */
  signal: AbortSignal
  /** Called as body bytes leave (best effort; XHR and node-http report it, fetch does not). */
  onUploadProgress?: (bytesSent: number) => void
  /** Called for each 1xx response the transport can see, as soon as it arrives. */
  onInterim?: (response: InterimResponse) => void
}

/** Performs one HTTP request. Only I/O: no retries, no protocol rules. */
export interface Transport {
  /** Transport name, for events and diagnostics. */
  readonly name: string
  /** Whether `onInterim` can ever fire (true for node-http, false in browsers). */
  readonly seesInterimResponses: boolean
  /**
   * Whether `onUploadProgress` follows the body as it leaves (xhr, node-http), so a request whose
   * progress stops can be told from a slow one. fetch reports once, at the end.
   */
  readonly reportsUploadProgress: boolean
  /**
   * Sends the request and resolves with the final response. Rejects with an UploadError:
   * `network` when no response arrived, `aborted` when the signal fired.
   */
  send(request: TransportRequest, options: SendOptions): Promise<HttpResponse>
}

/** Bytes of a source, read lazily: never the whole file. */
export interface Source {
  /** Total size in bytes, or undefined while a stream's end has not been reached. */
  readonly size: number | undefined
  /** Name, type and lastModified when known, for fingerprints and Content-Disposition. */
  readonly name?: string
  /** Media type when known. */
  readonly type?: string
  /** Last-modified time in ms since the epoch, when known. */
  readonly lastModified?: number
  /**
   * The bytes `[start, end)` (end is clipped to the size once it is known). Rejects with a
   * `source-error` UploadError when the range can no longer be supplied (a stream already past it).
   */
  slice(start: number, end: number): Promise<SourceChunk>
  /** Releases files or readers. */
  close(): Promise<void>
}

/** A range of a source: its body and its exact length. */
export interface SourceChunk {
  /** The body for the transport. */
  body: RequestBody
  /** Exact byte length of the body (shorter than asked at the end of the source). */
  length: number
  /** True when this range reaches the end of the source (its size is then known). */
  last: boolean
}

/** Server-announced limits (`Upload-Limit`). All optional; absent means unknown. */
export interface UploadLimits {
  /** Largest allowed upload size in bytes. */
  maxSize?: number
  /** Uploads below this size may not be resumable. */
  minSize?: number
  /** Most bytes one creation or append request may carry. */
  maxAppendSize?: number
  /** Fewest bytes one creation or append request may carry (except the last). */
  minAppendSize?: number
  /** When the upload resource expires, ms since the epoch (from `max-age` or `expires`). */
  expiresAt?: number
}

/** How the upload URL became known. */
export type UrlSource = '104' | 'created' | 'stored'

/** What a protocol makes of a response. */
export type ProtocolResult =
  /** The upload resource exists at `url`; `offset` bytes are stored when known. */
  | { kind: 'created'; url: string; offset: number | undefined; limits: UploadLimits }
  /** The server holds `offset` bytes (HEAD). */
  | { kind: 'offset'; offset: number; complete: boolean; length: number | undefined; limits: UploadLimits }
  /** An append (or creation with body) was fully processed; more bytes are expected. */
  | { kind: 'appended'; offset: number | undefined; limits: UploadLimits }
  /**
   * The upload is complete; `response` is the target resource's answer, `offset` the
   * `Upload-Offset` it stated, when it stated one (the Upload checks it is the source's length).
   */
  | { kind: 'complete'; url: string | undefined; response: HttpResponse; offset?: number }
  /** The request's offset was wrong; resume from `offset` (HEAD first when undefined). */
  | { kind: 'mismatch'; offset: number | undefined }
  /** The upload resource no longer exists (404/410). */
  | { kind: 'gone' }
  /** The request was too large for the server; `limits` hold what it said. */
  | { kind: 'too-large'; limits: UploadLimits }
  /** The upload resource was cancelled. */
  | { kind: 'cancelled' }
  /** Discovery (e.g. tus OPTIONS) succeeded; the protocol keeps what it learned. */
  | { kind: 'discovered'; limits: UploadLimits }
  /** Anything else: a typed error, `retryable` says whether to retry. */
  | { kind: 'error'; error: UploadError }

/** What a protocol makes of an interim (1xx) response. */
export type InterimResult = { kind: 'location'; url: string; limits: UploadLimits } | { kind: 'progress'; offset: number } | { kind: 'ignored' }

/** Input for a creation request. */
export interface CreateInput {
  /** Where uploads are created. */
  endpoint: string
  /** Total size, when known. */
  size: number | undefined
  /** Bytes `[0, end)` sent with the creation request, or null for an empty creation. */
  body: { start: number; end: number } | null
  /** True when the body ends the upload. */
  complete: boolean
  /** User metadata (protocols map it onto headers). */
  metadata: Record<string, string>
  /** File name, for Content-Disposition. */
  name?: string
  /** Media type of the file. */
  type?: string
}

/** Input for an append request. */
export interface AppendInput {
  /** The upload resource. */
  url: string
  /** Where the bytes start. */
  offset: number
  /** Where they end (exclusive). */
  end: number
  /** Total size, when known. */
  size: number | undefined
  /** True when these bytes end the upload. */
  complete: boolean
}

/** Which request a response answers, for {@link Protocol.interpret}. */
export type RequestKind = 'discover' | 'create' | 'offset' | 'append' | 'cancel'

/**
 * A sans-I/O protocol: turns the upload's state into request descriptions and responses into
 * typed results. No fetch, no timers, no storage.
 */
export interface Protocol {
  /** Protocol name stored in records, e.g. `ietf`. */
  readonly name: string
  /** Protocol version stored in records (for ietf, the interop version). */
  readonly version: string
  /**
   * Whether the server can name the upload URL before a creation request's body ends (IETF: the
   * 104). Only then may a creation request carry file bytes when the transport sees 1xx: without
   * it, a cut during creation would lose every byte sent.
   */
  readonly earlyLocation: boolean
  /** The creation request. */
  createRequest(input: CreateInput): RequestDescription
  /** The offset-retrieval request (HEAD); `size` is the source's size when known (GCS names it in its status query). */
  offsetRequest(url: string, size?: number): RequestDescription
  /**
   * Optional: where each creation goes, instead of the `endpoint` (GCS: the session URI the app's
   * backend opens for the file). Rejects with an UploadError.
   */
  endpointFor?(source: Source, metadata: Record<string, string>): Promise<string>
  /** Optional: origins of the protocol's own upload URLs, trusted as the endpoint's is, but never sent the user's `headers` (GCS). */
  readonly origins?: readonly string[]
  /** Optional: the end of the next chunk `[offset, end)` the server accepts (GCS: whole 256 KiB units, except the last). */
  alignChunkEnd?(offset: number, end: number, size: number | undefined): number
  /** The append request. */
  appendRequest(input: AppendInput): RequestDescription
  /** The cancellation request (DELETE). */
  cancelRequest(url: string): RequestDescription
  /**
   * Optional: a request the Upload sends once before creating an upload (tus: OPTIONS, to learn
   * the server's versions, extensions and limits). Its answer goes to `interpret('discover', …)`.
   */
  discoverRequest?(endpoint: string): RequestDescription | undefined
  /**
   * Optional: the digest of the body a request needs (tus: `Upload-Checksum`), or undefined for
   * none. The Upload computes it (the protocol never reads bytes) and hands it to `digestHeaders`.
   */
  bodyDigest?(request: RequestDescription): DigestAlgorithm | undefined
  /** Optional: the headers that carry the digest `bodyDigest` asked for. */
  digestHeaders?(request: RequestDescription, algorithm: DigestAlgorithm, digest: Uint8Array): HeaderMap
  /** Reads a 1xx response seen while `request` was in flight. */
  interpretInterim(request: RequestDescription, response: InterimResponse): InterimResult
  /**
   * Reads the final response to `request`. It may answer with a promise: a protocol may load the
   * code that reads responses lazily, after the first request is on its way (see `warm`).
   */
  interpret(kind: RequestKind, request: RequestDescription, response: HttpResponse): ProtocolResult | Promise<ProtocolResult>
  /**
   * Optional: starts loading what `interpret` needs, without waiting for it. The Upload calls it
   * once the first request's body is on its way, so that code never delays the first byte.
   */
  warm?(): void
}

export type { RecordLock, Store, UploadRecord } from './store-types'
