/**
 * tus checksum extension: which algorithm to use, and the `Upload-Checksum` value of a request
 * body's digest (the Upload computes the digest with `crypto.subtle.digest`).
 * @module
 */
import type { DigestAlgorithm } from '../types'
import { encodeBase64 } from './tus-metadata'

/** The checksum algorithms this client can compute (tus names, lower case). */
export type TusChecksumAlgorithm = 'sha1' | 'sha256'

/** The Web Crypto digest of each tus algorithm. */
export const DIGEST_ALGORITHMS: Record<TusChecksumAlgorithm, DigestAlgorithm> = { sha1: 'SHA-1', sha256: 'SHA-256' }
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
 * The `Upload-Checksum` value for a body's raw digest: the algorithm, a space and the Base64 of
 * the digest.
 * @param algorithm `sha1` or `sha256`
 * @param digest the raw digest of the whole body
 * @example
 * checksumHeader('sha1', sha1OfHello) // 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00='
 */
export function checksumHeader(algorithm: TusChecksumAlgorithm, digest: Uint8Array): string {
  return `${algorithm} ${encodeBase64(digest)}`
}
