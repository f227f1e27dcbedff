/**
 * The header-map helpers the XHR transport needs, in a module of their own so that the others
 * (header-map.ts: Node raw headers, fetch `Headers`) stay with the fetch and node-http transports.
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
