/**
 * Reading byte streams: a web ReadableStream as an async iterator (through a reader, which older
 * browsers need), and telling an AsyncIterable from a Blob or bytes.
 * @module
 */

/** Whether `value` is an AsyncIterable (and not a Blob or a Uint8Array). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
}

/**
 * Iterates a web ReadableStream through a reader (older browsers lack its async iterator).
 * Stopping early cancels the stream.
 * @param stream the stream to read
 */
export async function* iterateStream<T>(stream: ReadableStream<T>): AsyncGenerator<T, void, undefined> {
  const reader = stream.getReader()
  let done = false
  try {
    for (;;) {
      const result = await reader.read()
      if (result.done) {
        done = true
        return
      }
      yield result.value
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
}
