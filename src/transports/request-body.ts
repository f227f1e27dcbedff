/**
 * Request bodies (Blob, Uint8Array or AsyncIterable) in the forms a browser transport sends:
 * telling an AsyncIterable apart, bytes backed by an ArrayBuffer, a Blob collected from chunks.
 * What streams a body (fetch, node-http) is in streams.ts, so XHR's chunk carries none of it.
 * @module
 */

/** Whether `value` is an AsyncIterable (and not a Blob or a Uint8Array). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
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
