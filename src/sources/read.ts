/**
 * Reading a chunk's bytes into memory, for the few places that need them (content fingerprints,
 * checksums). Uploads themselves never do this: transports stream the body.
 * @module
 */
import { UploadError } from '../errors'
import type { RequestBody, Source, SourceChunk } from '../types'

/**
 * The bytes of a chunk, whatever its body is: a Uint8Array as it is (no copy), a Blob read whole,
 * an AsyncIterable<Uint8Array> consumed and joined. Read only chunks that fit in memory.
 * @param chunk a chunk from {@link Source.slice}
 * @throws UploadError `source-error` when the body cannot be read or its length is not
 *   `chunk.length` (a file changed on disk, a stream that ended early)
 */
export async function readChunk(chunk: SourceChunk): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readBody(chunk.body)
  } catch (error) {
    if (error instanceof UploadError) throw error
    throw new UploadError('source-error', 'The source could not be read.', { retryable: false, cause: error })
  }
  if (bytes.length !== chunk.length) {
    throw new UploadError('source-error', `Read ${bytes.length} bytes where the source promised ${chunk.length}.`, { retryable: false })
  }
  return bytes
}

/**
 * The first and last `bytes` of a source joined, read through `source.slice()`: what a
 * content-sampling fingerprint hashes. A source no larger than `bytes` is read once, whole; the
 * two ends overlap when it is smaller than twice that.
 * @param source the source
 * @param size its size
 * @param bytes how many bytes to take at each end
 * @throws UploadError `source-error` when the source cannot be read
 */
export async function readEnds(source: Source, size: number, bytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const head = await readChunk(await source.slice(0, Math.min(bytes, size)))
  const tail = size > bytes ? await readChunk(await source.slice(size - bytes, size)) : new Uint8Array(0)
  const joined = new Uint8Array(head.length + tail.length)
  joined.set(head)
  joined.set(tail, head.length)
  return joined
}

async function readBody(body: RequestBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body
  if (typeof Blob !== 'undefined' && body instanceof Blob) return new Uint8Array(await body.arrayBuffer())
  if (!(Symbol.asyncIterator in body)) throw new TypeError('Unsupported chunk body.')
  const pieces: Uint8Array[] = []
  let total = 0
  for await (const piece of body) {
    pieces.push(piece)
    total += piece.length
  }
  if (pieces.length === 1 && pieces[0] !== undefined) return pieces[0]
  const joined = new Uint8Array(total)
  let at = 0
  for (const piece of pieces) {
    joined.set(piece, at)
    at += piece.length
  }
  return joined
}
