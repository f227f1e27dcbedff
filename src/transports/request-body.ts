/**
 * Request bodies (Blob, Uint8Array or AsyncIterable) in the forms transports write: pieces of
 * {@link WRITE_CHUNK_SIZE}, a Blob, a pull-based ReadableStream, bytes backed by an ArrayBuffer.
 * @module
 */
import type { RequestBody } from '../types'
import { isAsyncIterable, iterateStream } from './streams'

/** Size of the pieces a body is cut into when a transport writes it (and reports progress). */
export const WRITE_CHUNK_SIZE = 64 * 1024

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
 * A Uint8Array typed as backed by an ArrayBuffer, as Blob and fetch require; copies only when the
 * bytes live in a SharedArrayBuffer.
 * @param bytes the view
 */
export function ownedBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice()
}

/**
 * Collects an AsyncIterable body into a Blob, for transports that cannot stream a request body.
 * This holds the whole body in memory (as the Blob's parts).
 * @param body the chunks
 * @param type media type of the Blob (default none)
 */
export async function collectToBlob(body: AsyncIterable<Uint8Array>, type = ''): Promise<Blob> {
  const parts: BlobPart[] = []
  for await (const chunk of body) parts.push(ownedBytes(chunk))
  return new Blob(parts, { type })
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
