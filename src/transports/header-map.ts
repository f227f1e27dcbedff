/**
 * Header maps (`HeaderMap`: lower-case names, repeated fields joined with `, `) built from what
 * each runtime hands back: Node's raw headers, XHR's header text, fetch's `Headers`.
 * @module
 */
import type { HeaderMap } from '../types'
import { addHeader } from './header-text'

export { addHeader, headersFromText } from './header-text'

/**
 * Builds a header map from Node's `rawHeaders` (`[name, value, name, value, …]`), which keeps
 * every repeated field (unlike `IncomingMessage.headers`, which drops repeats of some fields).
 * @param raw alternating names and values
 */
export function headersFromRaw(raw: readonly string[]): HeaderMap {
  const map: HeaderMap = {}
  for (let i = 0; i + 1 < raw.length; i += 2) addHeader(map, raw[i] as string, raw[i + 1] as string)
  return map
}

/**
 * Builds a header map from a fetch `Headers` object.
 * @param headers the response headers
 */
export function headersFromFetch(headers: Headers): HeaderMap {
  const map: HeaderMap = {}
  headers.forEach((value, name) => addHeader(map, name, value))
  return map
}

/**
 * A copy of `headers` without the named fields (names compared in lower case).
 * @param headers the request headers
 * @param names lower-case names to drop
 */
export function withoutHeaders(headers: HeaderMap, ...names: string[]): HeaderMap {
  const copy: HeaderMap = {}
  for (const [name, value] of Object.entries(headers)) {
    if (!names.includes(name.toLowerCase())) copy[name] = value
  }
  return copy
}
