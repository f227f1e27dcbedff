/**
 * The memory store, its module loaded at first use: a browser upload needs it only for
 * `store: 'memory'` or when its store fails, so the chunks a page loads first leave it out.
 * @module
 */
import type { Store } from '../types'

let shared: Store | undefined

/** A store method, called with whatever arguments it was given. */
type AnyMethod = (...args: unknown[]) => Promise<unknown>

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
  const store: Record<string, AnyMethod> = {}
  for (const method of ['lock', 'get', 'put', 'delete', 'list'] as const) {
    store[method] = async (...args) => ((await load())[method] as AnyMethod)(...args)
  }
  const lazy = store as unknown as Store
  if (isShared) shared = lazy
  return lazy
}
