/**
 * Header maps (`HeaderMap`: lower-case names, repeated fields joined with `, `) built from what
 * each runtime hands back: Node's raw headers, XHR's header text, fetch's `Headers`.
 * @module
 */
import type { HeaderMap } from '../types'

/**
 * Adds one header field to a map: lower-cases the name and joins a repeated field with `, `.
 * @param map the map to change
 * @param name field name, any case
 * @param value field value
 */
export function addHeader(map: HeaderMap, name: string, value: string): void {
  const key = name.toLowerCase()
  const previous = map[key]
  map[key] = previous === undefined ? value : `${previous}, ${value}`
}

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
 * Builds a header map from `XMLHttpRequest.getAllResponseHeaders()` text (`name: value` lines).
 * @param text the CRLF-separated header block
 */
export function headersFromText(text: string): HeaderMap {
  const map: HeaderMap = {}
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    addHeader(map, line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
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
