/**
 * `lazyMemoryStore` for the script-tag bundle, which holds every module anyway: the memory store
 * itself, with no loading wrapper (rollup.config.mjs puts this module in place of lazy-memory.ts).
 * @module
 */
import type { Store } from '../types'
import { memoryStore, sharedMemoryStore } from './memory'

/** The page's shared memory store when `isShared`, else a fresh one (see lazy-memory.ts). */
export function lazyMemoryStore(isShared: boolean): Store {
  return isShared ? sharedMemoryStore() : memoryStore()
}
