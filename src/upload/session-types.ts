/**
 * The vocabulary between the Upload's loop and its session: configuration, steps, requests sent,
 * effects and outcomes.
 * @module
 */
import type { UploadError } from '../errors'
import type { UploadState } from '../options'
import type { HttpResponse, UrlSource } from '../types'
import type { PartsState } from './parts'
import type { RequestSizer } from './request-size'

/** What the session needs to know; fixed for one run (what is optional is known once the run has its source and protocol). */
export interface SessionConfig {
  /** The source's size, when known. */
  size?: number | undefined
  /** Where uploads are created; without it a gone upload cannot restart. */
  endpoint: string | undefined
  /** Bytes per request; undefined: ask `sizer` (adaptive). */
  chunkSize?: number | undefined
  /** The adaptive sizer used when `chunkSize` is undefined (made at the first answer when not given). */
  sizer?: RequestSizer
  /** The transport sees 1xx responses: a creation may carry bytes. */
  seesInterimResponses?: boolean
  /** The protocol names the URL in a 104 (IETF): the creation may carry a whole chunk. */
  earlyLocation?: boolean
  /** The protocol discovers the server once before creating (tus OPTIONS). */
  discovers?: boolean
  /** Whether an upload URL's origin may be used. */
  trusted: (url: string) => boolean
  /** Restart after 404/410 (option `restartOnGone`). */
  restartOnGone: boolean
  /** Fresh uploads after gone (option `maxRestarts`). */
  maxRestarts: number
  /** Longest Retry-After honoured, seconds (option `maxRetryAfter`). */
  maxRetryAfter: number
}

/** The next thing the Upload does. `end` may be Infinity (a stream: slice what there is). */
export type Step =
  | { kind: 'discover' }
  | { kind: 'create'; end: number | undefined }
  | { kind: 'offset'; url: string }
  | { kind: 'append'; url: string; offset: number; end: number }
  | { kind: 'stopped'; state: 'paused' | 'aborted' }

/** A request the Upload sent: the step with the body it really carried. */
export type Sent =
  | { kind: 'discover' }
  | { kind: 'offset'; url: string }
  | { kind: 'create'; length: number | undefined; complete: boolean }
  | { kind: 'append'; url: string; offset: number; length: number; complete: boolean }

/** What the Upload does for the session. */
export type Effect =
  | { kind: 'state'; state: UploadState; previous: UploadState }
  | { kind: 'url'; url: string; via: UrlSource }
  | { kind: 'progress' }
  | { kind: 'chunk'; start: number; end: number; save: boolean }
  | { kind: 'forget' }
  | { kind: 'cancel'; url: string }

/** The answer to an event: effects to perform, then the error to throw (if a rule was broken), or the finished upload. */
export interface Outcome {
  effects: Effect[]
  error?: UploadError
  done?: { url: string; response: HttpResponse }
}

/** Where an upload stands: one offset (ietf, tus) or a set of parts (s3, azure). */
export type UploadPosition = { kind: 'offset'; offset: number } | { kind: 'parts'; parts: PartsState }

/** The states an upload ends in. */
export const FINISHED: ReadonlySet<UploadState> = new Set(['complete', 'failed', 'aborted'])
