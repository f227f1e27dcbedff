/**
 * The fields a creation request carries about the file: `Content-Disposition` and `Content-Type`.
 * Apart from the response-side field helpers (./http-fields, which re-exports these) so that what
 * builds requests stays small. Pure functions.
 * @module
 */

/**
 * A `Content-Disposition` value for a file name (RFC 6266): `filename` carries an ASCII fallback
 * in a quoted-string (non-ASCII and control characters and `\` become `_`, `"` is escaped) and
 * `filename*` carries the exact name as percent-encoded UTF-8 (RFC 8187; a lone surrogate is
 * encoded as U+FFFD).
 *
 * @param name the file name
 * @param type the disposition type; default `inline`, which the draft recommends
 * @example
 * contentDisposition('naïve "cv".pdf')
 * // inline; filename="na_ve \"cv\".pdf"; filename*=UTF-8''na%C3%AFve%20%22cv%22.pdf
 */
export function contentDisposition(name: string, type = 'inline'): string {
  const fallback = name.replace(/[^\x20-\x7e]|\\/gu, '_').replace(/"/g, '\\"')
  // encodeURIComponent leaves ' ( ) * alone, which are no RFC 8187 attr-chars; it encodes some that
  // are (# $ & + ^ ` |), which is allowed.
  const encoded = encodeURIComponent(name.replace(/\p{Cs}/gu, '\ufffd')).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/**
 * The `Content-Type` for a file's media type: the type itself when it is a syntactically valid
 * media type (parameters allowed), `application/octet-stream` otherwise (empty, or unsafe text).
 */
export function fileContentType(type: string | undefined): string {
  return type !== undefined && /^[!#$%&'*+\-.^_`|~\w]+\/[!#$%&'*+\-.^_`|~\w]+(?:[ \t]*;[\x20-\x7e\t]*)?$/.test(type) ? type : 'application/octet-stream'
}
