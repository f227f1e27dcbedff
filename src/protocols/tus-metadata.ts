/**
 * tus `Upload-Metadata` (tus 1.0 creation extension): comma-separated pairs of a key, one space
 * and the standard Base64 (with padding) of the value's UTF-8 bytes. Pure functions, no globals
 * beyond TextEncoder/TextDecoder.
 * @module
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Whether `key` can be a metadata key: not empty, and only visible ASCII other than `,` (no
 * spaces, no commas as the protocol demands; ASCII as it recommends, and as header values allow).
 * @example
 * isMetadataKey('filename') // true
 * isMetadataKey('file name') // false
 */
export function isMetadataKey(key: string): boolean {
  return /^[\x21-\x2b\x2d-\x7e]+$/.test(key)
}

/**
 * Standard Base64 with padding (RFC 4648 §4) of some bytes.
 * @example
 * encodeBase64(new TextEncoder().encode('hello')) // 'aGVsbG8='
 */
export function encodeBase64(bytes: Uint8Array): string {
  let text = ''
  for (let at = 0; at < bytes.length; at += 3) {
    const [a = 0, b, c] = [bytes[at], bytes[at + 1], bytes[at + 2]]
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0)
    const sextet = (shift: number): string => ALPHABET.charAt((triple >> shift) & 63)
    text += sextet(18) + sextet(12) + (b === undefined ? '=' : sextet(6)) + (c === undefined ? '=' : sextet(0))
  }
  return text
}

/**
 * The bytes of a standard, padded Base64 text; undefined when it is not one (wrong alphabet,
 * length or padding).
 * @example
 * decodeBase64('aGVsbG8=') // Uint8Array of 'hello'
 * decodeBase64('aGVsbG8') // undefined
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const bytes = new Uint8Array((text.length / 4) * 3 - padding)
  let out = 0
  for (let at = 0; at < text.length; at += 4) {
    // Padding ('=') is not in the alphabet: it counts as 0 and its bytes are not written.
    const triple = [0, 1, 2, 3].reduce((sum, i) => (sum << 6) | Math.max(0, ALPHABET.indexOf(text.charAt(at + i))), 0)
    for (const shift of [16, 8, 0]) if (out < bytes.length) bytes[out++] = (triple >> shift) & 255
  }
  return bytes
}

/**
 * The `Upload-Metadata` value for some metadata, in the record's key order; an empty value is
 * sent as the bare key. Undefined when there is no pair at all (then the header is left out).
 * @param metadata keys and UTF-8 text values
 * @throws TypeError naming the key when a key is not valid ({@link isMetadataKey})
 * @example
 * encodeMetadata({ filename: 'world_domination_plan.pdf', is_confidential: '' })
 * // 'filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential'
 */
export function encodeMetadata(metadata: Record<string, string>): string | undefined {
  const encoder = new TextEncoder()
  const pairs = Object.entries(metadata).map(([key, value]) => {
    if (!isMetadataKey(key)) throw new TypeError(`tus metadata key ${JSON.stringify(key)} must be non-empty visible ASCII without spaces or commas`)
    return value === '' ? key : `${key} ${encodeBase64(encoder.encode(value))}`
  })
  return pairs.length === 0 ? undefined : pairs.join(',')
}

/**
 * Reads an `Upload-Metadata` value (e.g. from a HEAD response) back into keys and text values; a
 * bare key has the value `''`. Undefined when the value is malformed: a bad key, a value that is
 * not padded Base64 or not UTF-8, or a repeated key. An empty or absent value gives `{}`.
 * @example
 * decodeMetadata('filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential')
 * // { filename: 'world_domination_plan.pdf', is_confidential: '' }
 */
export function decodeMetadata(value: string | undefined): Record<string, string> | undefined {
  const metadata = new Map<string, string>()
  if (value === undefined || value.trim() === '') return {}
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  for (const pair of value.split(',')) {
    const [key = '', encoded, ...rest] = pair.trim().split(' ')
    if (!isMetadataKey(key) || rest.length > 0 || metadata.has(key)) return undefined
    const bytes = encoded === undefined ? new Uint8Array(0) : decodeBase64(encoded)
    if (bytes === undefined) return undefined
    try {
      metadata.set(key, decoder.decode(bytes))
    } catch {
      return undefined
    }
  }
  // fromEntries defines own properties, so a key like `__proto__` stays a key.
  return Object.fromEntries(metadata)
}
