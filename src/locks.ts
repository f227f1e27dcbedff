/**
 * Cross-tab safety: while a tab uploads a file, it holds a Web Lock named after the record key,
 * so a second tab (or a second Upload in the same tab) never sends the same upload's bytes at the
 * same time.
 * @module
 */
import { UploadError } from './errors'
import { lockWanted } from './lock-wanted'
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
  const lock = await takeUploadLock(key, mode, signal)
  return lock && { ...lock, wanted: () => lockWanted(lock.name) }
}

/**
 * {@link acquireUploadLock} without `wanted`: the Upload asks that only when it completes
 * ({@link lockWanted}, loaded then), so what runs before its first byte leaves it out.
 * @param key the record key
 * @param mode what to do when the lock is held elsewhere
 * @param signal stops waiting
 */
export async function takeUploadLock(key: string, mode: 'wait' | 'fail', signal?: AbortSignal): Promise<Omit<UploadLock, 'wanted'> | undefined> {
  const locks = typeof navigator === 'undefined' ? undefined : (navigator as Partial<Navigator>).locks
  if (typeof locks?.request !== 'function') return undefined
  if (signal?.aborted === true) throw abortedError(signal)
  const name = LOCK_PREFIX + key
  return new Promise((resolve, reject) => {
    // The Web Locks API refuses `signal` together with `ifAvailable`; 'fail' never waits anyway.
    const options: LockOptions = mode === 'fail' ? { ifAvailable: true } : signal === undefined ? {} : { signal }
    const granted = (lock: Lock | null): Promise<void> | undefined => {
      if (lock === null) return void reject(new UploadError('locked', 'Another tab or upload is sending this file.', { retryable: false }))
      // The lock is held until the promise returned here settles: until release() is called.
      return new Promise<void>((release) => resolve({ name, release: () => release() }))
    }
    locks.request(name, options, granted).catch(() => (signal?.aborted === true ? reject(abortedError(signal)) : resolve(undefined)))
  })
}

function abortedError(signal: AbortSignal): UploadError {
  return new UploadError('aborted', 'Waiting for the upload lock was aborted.', { retryable: false, cause: signal.reason })
}
