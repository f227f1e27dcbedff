/**
 * The memory store, its module loaded at first use: a browser upload needs it only for
 * `store: 'memory'` or when its store fails, so the chunks a page loads first leave it out.
 * @module
 */
import type { Store } from '../types'

let shared: Store | undefined

/**
 * A {@link Store} that imports the memory store module at its first call and hands every call
 * to it: the page's `sharedMemoryStore()` when `shared` (what `store: 'memory'` names; the
 * same wrapper each time), else a fresh `memoryStore()`. A failed import rejects that call (a
 * store failure), and the next call imports again.
 */
export function lazyMemoryStore(isShared: boolean): Store {
  if (isShared && shared) return shared
  let loading: Promise<Required<Store>> | undefined
  const load = (): Promise<Required<Store>> =>
    (loading ??= import('./memory').then(
      (module) => (isShared ? module.sharedMemoryStore() : module.memoryStore()),
      (cause: unknown) => {
        loading = undefined
        throw cause
      },
    ))
  const store: Store = {
    lock: async (key, mode, signal) => (await load()).lock(key, mode, signal),
    get: async (key) => (await load()).get(key),
    put: async (record) => (await load()).put(record),
    delete: async (key) => (await load()).delete(key),
    list: async () => (await load()).list(),
  }
  if (isShared) shared = store
  return store
}
