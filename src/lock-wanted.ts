/**
 * Whether a Web Lock is wanted by another tab: asked only when an upload completes, so it is a
 * module of its own, out of what a page loads before an upload's first byte.
 * @module
 */

/**
 * Whether another tab (or Upload) waits for the Web Lock `name`: its request is pending. False
 * when `navigator.locks.query()` is missing or fails.
 * @param name the lock's name (`resumable-upload:` + the record key)
 */
export async function lockWanted(name: string): Promise<boolean> {
  try {
    return (await navigator.locks.query()).pending?.some((lock) => lock.name === name) === true
  } catch {
    return false
  }
}
