/**
 * The types of persistence (persistence.ts) and of the record writes it loads later
 * (persistence-later.ts): the warnings, the settings, the state both share.
 * @module
 */
import type { FingerprintFunction } from './fingerprint'
import type { RecordLock, Store, UploadRecord } from './types'

/** Why the Upload warns; the upload goes on in every case. */
export type UploadWarningCode =
  /** The configured store failed to open or write; the memory store is used instead. */
  | 'store-unavailable'
  /** A stored record was corrupt, foreign (other protocol, endpoint or size) or unreadable; ignored and removed. */
  | 'record-ignored'
  /** A stored record was past its server expiry; removed, and a new upload starts. */
  | 'record-expired'
  /** `persistBlob` could not keep the file (quota); the record was kept without it. */
  | 'blob-not-stored'
  /** The store has no lock and `navigator.locks` is missing: no protection against a second Upload of the same file. */
  | 'lock-unavailable'

/** A warning event. */
export interface UploadWarning {
  /** What happened. */
  code: UploadWarningCode
  /** A sentence for people; never contains the upload URL. */
  message: string
  /** The underlying error, when there is one. */
  cause?: unknown
}

/** What persistence needs from the Upload's options. */
export interface PersistenceSettings {
  store: Store | undefined
  endpoint: string | undefined
  fingerprint: FingerprintFunction | undefined
  sampleContent: boolean
  removeOnSuccess: boolean
  persistBlob: boolean
  lock: 'wait' | 'fail'
  metadata: Record<string, string>
}

/** The state of one Upload's persistence, shared by the reads of persistence.ts and persistence-later.ts. */
export interface PersistenceState {
  readonly settings: PersistenceSettings
  readonly warn: (warning: UploadWarning) => void
  /** The store in use: the configured one, the memory store after it failed, or none after both did. */
  store: Store | undefined
  /** Whether `store` is the fallback memory store already. */
  fellBack?: boolean
  key?: string | undefined
  record?: UploadRecord | undefined
  lock?: HeldLock | undefined
  /** The file to keep with the record (`persistBlob`). */
  blob?: Blob | undefined
  /** Every write and removal, in order. */
  writes: Promise<void>
  /** When the last write was queued (ms since the epoch). */
  lastWrite: number
}

/** The record lock held: the store's own, or a Web Lock, whose `wanted` (lockWanted) loads with persistence-later.ts. */
export type HeldLock = Pick<RecordLock, 'release'> & Partial<Pick<RecordLock, 'wanted'>>
