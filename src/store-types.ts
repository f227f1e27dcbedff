/**
 * The contract of a Store: the records it keeps and its optional lock.
 * @module
 */

/** What a store keeps about one upload: enough to resume, never credentials or headers. */
export interface UploadRecord {
  /** The fingerprint of source and endpoint. */
  key: string
  /** The upload resource URL. */
  url: string
  /** Protocol name. */
  protocol: string
  /** Protocol version (interop version for ietf). */
  protocolVersion: string
  /** The endpoint the upload was created at. */
  endpoint: string
  /** Size of the source, when known. */
  size: number | undefined
  /** Bytes the server had acknowledged when the record was last written. */
  offset: number
  /** ms since the epoch. */
  createdAt: number
  /** ms since the epoch. */
  updatedAt: number
  /** When the server forgets the upload, ms since the epoch, when known. */
  expiresAt?: number
  /**
   * True when the upload completed while another tab waited for it: that tab then finds the
   * finished upload (HEAD) instead of sending the file again, and removes the record.
   */
  complete?: boolean
  /** User metadata. */
  metadata: Record<string, string>
  /**
   * A parts protocol's own state (S3 multipart, Azure block blobs: upload id, part size, parts
   * completed), JSON text, opaque to the core. Absent for IETF and tus.
   */
  state?: string
  /**
   * The source itself when persistBlob is on; only stores that can keep Blobs (IndexedDB, memory)
   * keep it.
   */
  blob?: Blob
}

/** Keeps upload records. All methods may reject; the Upload treats that as "no store". */
export interface Store {
  /** The record with this key, or undefined. */
  get(key: string): Promise<UploadRecord | undefined>
  /** Writes (replaces) a record. */
  put(record: UploadRecord): Promise<void>
  /** Removes a record; no error when it is absent. */
  delete(key: string): Promise<void>
  /** Every record. */
  list(): Promise<UploadRecord[]>
  /**
   * Optional: takes this store's exclusive lock for one record key, so that two Uploads of the
   * same source never send it at the same time (the file store: a lock file shared by every
   * process; the memory store: a lock within the process). Without it the Upload uses Web Locks
   * where they exist, and warns `lock-unavailable` where they do not.
   *
   * - `wait`: resolves once the lock is free; an aborted `signal` rejects with an `aborted` UploadError.
   * - `fail`: rejects at once with a `locked` UploadError when the lock is held.
   *
   * Any other rejection means the store cannot lock (it is then treated as unavailable).
   * @param key the record key
   * @param mode what to do when the lock is held
   * @param signal stops waiting
   */
  lock?(key: string, mode: 'wait' | 'fail', signal: AbortSignal): Promise<RecordLock>
}

/** A held record lock (see {@link Store.lock}). */
export interface RecordLock {
  /**
   * Whether another Upload is waiting for this lock: the holder then marks the finished record
   * complete instead of removing it, so the waiter finds the finished upload.
   */
  wanted(): Promise<boolean>
  /** Releases the lock; later calls do nothing. */
  release(): void | Promise<void>
}
