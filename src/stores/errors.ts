/**
 * The error every store rejects with.
 * @module
 */

/**
 * What went wrong in a store:
 * - `unavailable`: the storage cannot be used at all (no `indexedDB`, private mode, an open that
 *   fails or is blocked, a directory that cannot be written). Fall back to another store.
 * - `quota`: the storage is full. For a record with a blob, retry without the blob.
 * - `corrupt`: an entry is not a valid record (damaged, or written by something else).
 * - `failed`: any other failure of one operation (an aborted transaction, an I/O error).
 */
export type StoreErrorCode = 'unavailable' | 'quota' | 'corrupt' | 'failed'

/** A failure of a {@link Store} operation; callers branch on `code`. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  /** What went wrong; see {@link StoreErrorCode}. */
  readonly code: StoreErrorCode

  /**
   * @param code what went wrong
   * @param message a sentence for people; never contains an upload URL
   * @param cause the underlying error, if any (default none)
   */
  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
  }
}
