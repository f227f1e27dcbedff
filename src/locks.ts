/**
 * Cross-tab safety: while a tab uploads a file, it holds a Web Lock named after the record key,
 * so a second tab (or a second Upload in the same tab) never sends the same upload's bytes at the
 * same time.
 * @module
 */
import { UploadError } from './errors'
import type { RecordLock } from './types'

/** Prefix of lock names: `resumable-upload:` + record key. */
export const LOCK_PREFIX = 'resumable-upload:'

/** A held Web Lock. */
export interface UploadLock extends RecordLock {
  /** The lock's name: {@link LOCK_PREFIX} + key. */
  readonly name: string
  /** Releases the lock; later calls do nothing. */
  release(): void
}

/**
 * Takes the Web Lock for an upload's record key (`navigator.locks`, exclusive), held until
 * `release()` is called or the page goes away.
 *
 * - `wait`: waits until the lock is free (another tab finished, or closed).
 * - `fail`: rejects at once with a `locked` UploadError when the lock is held elsewhere.
 *
 * Resolves to undefined (no lock, no error) where `navigator.locks` is missing (Node, old
 * browsers, insecure origins) or refuses to work (a document that is not fully active): uploads
 * then go on without cross-tab safety.
 * @param key the record key (the fingerprint)
 * @param mode what to do when the lock is held elsewhere
 * @param signal stops waiting (default none); an aborted wait rejects with an `aborted` UploadError.
 *   Once the lock is granted the signal no longer matters: call `release()`.
 */
export async function acquireUploadLock(key: string, mode: 'wait' | 'fail', signal?: AbortSignal): Promise<UploadLock | undefined> {
  const locks = lockManager()
  if (locks === undefined) return undefined
  if (signal?.aborted === true) throw abortedError(signal)
  const name = LOCK_PREFIX + key
  let release = (): void => undefined
  const held = new Promise<void>((resolve) => (release = resolve))
  return new Promise<UploadLock | undefined>((resolve, reject) => {
    // The Web Locks API refuses `signal` together with `ifAvailable`; 'fail' never waits anyway.
    const options: LockOptions = mode === 'fail' ? { ifAvailable: true } : signal === undefined ? {} : { signal }
    const granted = (lock: Lock | null): Promise<void> | undefined => {
      if (lock === null) {
        reject(new UploadError('locked', 'Another tab or upload is sending this file.', { retryable: false }))
        return undefined
      }
      resolve({ name, release, wanted: () => isUploadLockWanted(key) })
      return held
    }
    locks.request(name, options, granted).catch(() => {
      if (signal?.aborted === true) reject(abortedError(signal))
      else resolve(undefined)
    })
  })
}

/**
 * Whether another tab (or Upload) is waiting for the lock of this key, per `navigator.locks.query()`.
 * False where Web Locks are missing.
 * @param key the record key
 */
export async function isUploadLockWanted(key: string): Promise<boolean> {
  const locks = lockManager()
  if (locks === undefined || typeof locks.query !== 'function') return false
  try {
    const { pending = [] } = await locks.query()
    return pending.some((lock) => lock.name === LOCK_PREFIX + key)
  } catch {
    return false
  }
}

function lockManager(): LockManager | undefined {
  if (typeof navigator === 'undefined') return undefined
  const locks = (navigator as Partial<Navigator>).locks
  return typeof locks?.request === 'function' ? locks : undefined
}

function abortedError(signal: AbortSignal): UploadError {
  return new UploadError('aborted', 'Waiting for the upload lock was aborted.', { retryable: false, cause: signal.reason })
}
