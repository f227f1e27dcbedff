/**
 * Streaming bodies, for the transports that can (fetch, node-http): a web ReadableStream as an
 * async iterator (through a reader, which older browsers need), an AsyncIterable as a pull-based
 * ReadableStream, any request body cut into pieces of {@link WRITE_CHUNK_SIZE}.
 * @module
 */
import type { RequestBody } from '../types'
import { isAsyncIterable, ownedBytes } from './request-body'

/** Size of the pieces a body is cut into when a transport writes it (and reports progress). */
export const WRITE_CHUNK_SIZE = 64 * 1024

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

/**
 * Any request body as a sequence of byte chunks of at most `pieceSize` bytes (subarrays, no copies).
 * @param body Blob, Uint8Array or AsyncIterable
 * @param pieceSize largest piece to yield (default {@link WRITE_CHUNK_SIZE})
 */
export async function* iterateBody(body: RequestBody, pieceSize = WRITE_CHUNK_SIZE): AsyncGenerator<Uint8Array, void, undefined> {
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> =
    body instanceof Uint8Array ? [body] : isAsyncIterable(body) ? body : iterateStream(body.stream())
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.length; at += pieceSize) yield chunk.subarray(at, at + pieceSize)
  }
}

/**
 * Wraps an AsyncIterable in a pull-based ReadableStream: one chunk is read per pull, so the
 * consumer's backpressure reaches the iterable. Cancelling the stream ends the iterator.
 * @param body the chunks
 */
export function toReadableStream(body: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let iterator: AsyncIterator<Uint8Array> | undefined
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      async pull(controller) {
        iterator ??= body[Symbol.asyncIterator]()
        const next = await iterator.next()
        if (next.done) controller.close()
        else controller.enqueue(ownedBytes(next.value))
      },
      async cancel(reason) {
        await iterator?.return?.(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
