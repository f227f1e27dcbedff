/**
 * The vocabulary of the Azure Block Blob protocol: the options, the requests it describes (Put
 * Block, Get Block List, Put Block List), what their answers mean, and the record kept to resume.
 * Types only.
 * @module
 */
import type { UploadError } from '../errors'
import type { HeaderMap } from '../types'

/** The small description of the file the `url` function receives. */
export interface AzureFile {
  /** File name, when the source has one. */
  readonly name: string | undefined
  /** Media type, when known (it becomes the blob's `Content-Type`). */
  readonly type: string | undefined
  /** Size in bytes; undefined for a stream whose end has not been reached. */
  readonly size: number | undefined
  /** The user's `metadata` option. */
  readonly metadata: Readonly<Record<string, string>>
}

/**
 * The blob's URL with a SAS token (create + write; + read to resume), or a function the app's
 * backend answers with one: called to start, and again to refresh an expired token.
 */
export type AzureUrl = string | ((file: AzureFile) => string | Promise<string>)

/** Options of `azureBlob()`. */
export interface AzureBlobOptions {
  /** The blob's SAS URL, or a function that fetches one (see {@link AzureUrl}). */
  url: AzureUrl
  /**
   * Origins (`https://account.blob.core.windows.net`) a URL from the `url` function may name.
   * Default: any http(s) origin for the first URL; a refreshed URL must always name the same blob.
   */
  allowedOrigins?: readonly string[]
  /** The `x-ms-version` sent with every request. Default: {@link AZURE_API_VERSION}. */
  version?: string
}

/** The blob in use: its URL without the SAS, and the SAS (the query, without `?`). */
export interface AzureBlobRef {
  /** `https://account.blob.core.windows.net/container/blob`, no query. */
  blobUrl: string
  /** The SAS token: the URL's query without the `?` (may be empty for a public-write emulator). */
  sas: string
}

/** A request the protocol describes; the loop sends it. */
export interface AzureRequest {
  /** `PUT` (Put Block, Put Block List) or `GET` (Get Block List). */
  method: 'PUT' | 'GET'
  /** The blob URL with the SAS and the operation's query. */
  url: string
  /** Headers, names in lower case (`x-ms-version`, and for Put Block List `x-ms-blob-content-type`). */
  headers: HeaderMap
  /** Put Block: the bytes `[start, end)` of the source; Put Block List: the XML; Get Block List: none. */
  body: { start: number; end: number } | string | null
}

/** A block of the plan: its 1-based number, its id and the bytes `[start, end)`. */
export interface AzurePlannedBlock {
  /** 1-based block number. */
  number: number
  /** Block id (base64, not URL-encoded), the same for the same number in every run. */
  id: string
  /** First byte. */
  start: number
  /** End (exclusive). */
  end: number
}

/** What an answer means. */
export type AzureResult =
  /** Azure stored the block (or committed the list). `etag` is the blob's after Put Block List, else undefined. */
  | { kind: 'stored'; etag: string | undefined }
  /** The SAS expired: ask the `url` function for a new one and send again. */
  | { kind: 'refresh'; error: UploadError }
  /** Azure dropped the uncommitted blocks (`InvalidBlockList` on commit): start over, or fail with `error`. */
  | { kind: 'gone'; error: UploadError }
  /** Anything else: `error.retryable` says whether sending again may help. */
  | { kind: 'error'; error: UploadError }

/** What an Azure XML error document (`<Error><Code>…</Code><Message>…</Message></Error>`) says. */
export interface AzureErrorDocument {
  /** Azure's error code (`x-ms-error-code`, or the XML's `Code`). */
  code: string | undefined
  /** Azure's message, without its `RequestId`/`Time` lines. */
  message: string | undefined
  /** `AuthenticationErrorDetail`, which names an expired SAS on Azure. */
  detail: string | undefined
}

/**
 * What to persist to resume (JSON): the blob URL WITHOUT its SAS, the block size (the plan must
 * not change) and the blocks stored so far. Get Block List is the truth; this only narrows it.
 */
export interface AzureRecordState {
  /** The blob URL, no query. */
  blobUrl: string
  /** Bytes per block (the last may be shorter). */
  blockSize: number
  /** Numbers of the blocks stored, ascending. */
  blocks: number[]
}
