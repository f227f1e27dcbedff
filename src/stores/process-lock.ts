/**
 * Record locks that live in one page or process: what the memory store offers, since its records
 * are never seen by another process anyway.
 * @module
 */
import { UploadError } from '../errors'
import type { RecordLock } from '../types'

/** Takes the lock of one key; see {@link Store.lock}. */
export type LockFunction = (key: string, mode: 'wait' | 'fail', signal: AbortSignal) => Promise<RecordLock>

/**
 * An exclusive lock per key, handed to waiters first come, first served. A lock is held until
 * `release()`; `wanted()` says whether someone waits for it.
 */
export function processLocks(): LockFunction {
  const waiters = new Map<string, Array<() => void>>()
  const held = new Set<string>()

  const grant = (key: string): RecordLock => {
    held.add(key)
    let released = false
    return {
      wanted: async () => (waiters.get(key)?.length ?? 0) > 0,
      release: () => {
        if (released) return
        released = true
        const next = waiters.get(key)?.shift()
        if (waiters.get(key)?.length === 0) waiters.delete(key)
        if (next === undefined) held.delete(key)
        else next() // handed over: the key stays held
      },
    }
  }

  return async (key, mode, signal) => {
    if (signal.aborted) throw lockAborted(signal)
    if (!held.has(key)) return grant(key)
    if (mode === 'fail') throw lockedError()
    return new Promise<RecordLock>((resolve, reject) => {
      const queue = waiters.get(key) ?? []
      waiters.set(key, queue)
      const onAbort = (): void => {
        queue.splice(queue.indexOf(granted), 1)
        reject(lockAborted(signal))
      }
      const granted = (): void => {
        signal.removeEventListener('abort', onAbort)
        resolve(grant(key))
      }
      queue.push(granted)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** The error of `lock: 'fail'` when the lock is held. */
export function lockedError(): UploadError {
  return new UploadError('locked', 'Another upload is sending this file.', { retryable: false })
}

/** The error of a wait for a lock that was aborted. */
export function lockAborted(signal: AbortSignal): UploadError {
  return new UploadError('aborted', 'Waiting for the upload lock was aborted.', { retryable: false, cause: signal.reason })
}
