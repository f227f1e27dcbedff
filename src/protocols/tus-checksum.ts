/**
 * tus checksum extension: which algorithm to use, and the `Upload-Checksum` value of one request
 * body, hashed with `crypto.subtle.digest`.
 * @module
 */
import { encodeBase64 } from './tus-metadata'

/** The checksum algorithms this client can compute (tus names, lower case). */
export type TusChecksumAlgorithm = 'sha1' | 'sha256'

const DIGEST_NAMES: Record<TusChecksumAlgorithm, string> = { sha1: 'SHA-1', sha256: 'SHA-256' }
/** Preference order when the caller leaves the choice to the server's list. */
const PREFERRED: readonly TusChecksumAlgorithm[] = ['sha1', 'sha256']

/**
 * The algorithm to checksum request bodies with: none unless the server lists the `checksum`
 * extension; then the caller's choice if the server lists it in `Tus-Checksum-Algorithm`, or by
 * default the first of sha1, sha256 that it lists. `false` turns checksums off.
 * @param preference the caller's choice; default (undefined): let the server's list decide
 * @param extensions the server's `Tus-Extension` list
 * @param algorithms the server's `Tus-Checksum-Algorithm` list (lower case)
 * @example
 * chooseChecksum(undefined, ['creation', 'checksum'], ['md5', 'sha1']) // 'sha1'
 * chooseChecksum('sha256', ['checksum'], ['sha1']) // undefined
 */
export function chooseChecksum(
  preference: TusChecksumAlgorithm | false | undefined,
  extensions: readonly string[],
  algorithms: readonly string[],
): TusChecksumAlgorithm | undefined {
  if (preference === false || !extensions.includes('checksum')) return undefined
  const candidates = preference === undefined ? PREFERRED : [preference]
  return candidates.find((algorithm) => algorithms.includes(algorithm))
}

/**
 * The `Upload-Checksum` value for a request body's bytes: the algorithm, a space and the Base64 of
 * the raw digest (Web Crypto has no incremental digest, so the body is hashed whole: keep chunks
 * bounded when checksums are on).
 * @param algorithm `sha1` or `sha256`
 * @param bytes the whole body
 * @example
 * await checksumValue('sha1', new TextEncoder().encode('hello'))
 * // 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00='
 */
export async function checksumValue(algorithm: TusChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  // Web Crypto takes only ArrayBuffer-backed views: copy bytes that live in shared memory.
  const view = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes)
  const digest = await crypto.subtle.digest(DIGEST_NAMES[algorithm], view)
  return `${algorithm} ${encodeBase64(new Uint8Array(digest))}`
}
