/**
 * The digest of a request body a protocol asks for (tus `Upload-Checksum`), computed by the loop
 * so that protocols never read source bytes.
 * @module
 */
import type { DigestAlgorithm, HeaderMap, Protocol, RequestDescription, SourceChunk } from '../types'

/**
 * The headers carrying the digest `protocol` wants for `request`'s body, and the chunk to send
 * (a stream body read for the digest is replaced by its bytes: it cannot be read twice).
 */
export async function digestHeaders(protocol: Protocol, request: RequestDescription, chunk: SourceChunk): Promise<{ headers: HeaderMap; chunk: SourceChunk }> {
  const algorithm = protocol.bodyDigest?.(request)
  if (algorithm === undefined || protocol.digestHeaders === undefined) return { headers: {}, chunk }
  const bytes = await (await import('../sources/read')).readChunk(chunk)
  const digest = await digestOf(algorithm, bytes)
  const body = chunk.body instanceof Uint8Array || (typeof Blob !== 'undefined' && chunk.body instanceof Blob) ? chunk.body : bytes
  return { headers: protocol.digestHeaders(request, algorithm, digest), chunk: { ...chunk, body } }
}

/** The raw digest of `bytes` (Web Crypto). */
export async function digestOf(algorithm: DigestAlgorithm, bytes: Uint8Array): Promise<Uint8Array> {
  // Web Crypto takes only ArrayBuffer-backed views: copy bytes that live in shared memory.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
  return new Uint8Array(await crypto.subtle.digest(algorithm, view))
}
