/**
 * RFC 9651 Structured Field Values, serialized: Integers, Booleans and Dictionaries of them. Apart
 * from the parser (./structured-fields) so that request code carries none of it.
 * @module
 */

/** The largest magnitude an SF Integer may have (15 digits). */
export const SF_INTEGER_MAX = 999_999_999_999_999

/** A Dictionary key (RFC 9651 §3.1.2), as a regular expression source. */
export const KEY = '[a-z*][a-z0-9_.*-]*'

/** Serializes an SF Integer; throws RangeError for a non-integer or a magnitude over SF_INTEGER_MAX. */
export function serializeInteger(value: number): string {
  if (!Number.isInteger(value) || Math.abs(value) > SF_INTEGER_MAX) {
    throw new RangeError(`not a structured-field integer: ${value}`)
  }
  return String(value === 0 ? 0 : value)
}

/** Serializes an SF Boolean: `?1` or `?0`. */
export function serializeBoolean(value: boolean): string {
  return value ? '?1' : '?0'
}

/**
 * Serializes a Dictionary of Integers and Booleans (a `true` member is its bare key), e.g.
 * `serializeDictionary({ 'max-size': 100 })` gives `max-size=100`. Throws RangeError for a key
 * that is not a structured-field key or a value that is not an SF Integer.
 */
export function serializeDictionary(entries: Record<string, number | boolean>): string {
  return Object.entries(entries)
    .map(([key, value]) => {
      if (!new RegExp(`^${KEY}$`).test(key)) throw new RangeError(`not a structured-field key: ${key}`)
      if (value === true) return key
      return `${key}=${typeof value === 'boolean' ? serializeBoolean(value) : serializeInteger(value)}`
    })
    .join(', ')
}
