/**
 * What persistence does when its store fails, on a read or a write: the memory store, once.
 * @module
 */
import type { PersistenceState } from './persistence-types'
import { lazyMemoryStore } from './stores/lazy-memory'

/**
 * The store broke: go on with a memory store, once, and say so; when that breaks too, with none.
 * @param state the persistence whose store failed
 * @param cause the store's error
 */
export function storeFailed(state: PersistenceState, cause: unknown): void {
  if (state.store && !state.fellBack) {
    state.fellBack = true
    state.store = lazyMemoryStore(false)
    state.warn({ code: 'store-unavailable', message: 'the upload store failed; the upload goes on with a memory store (not resumable after a reload)', cause })
  } else {
    state.store = undefined
  }
}
