/**
 * RFC 9651 Structured Field Values, serialized: Integers and Booleans (Dictionaries are in
 * ./structured-fields, which re-exports these). Apart from the parser so that request code
 * carries none of it.
 * @module
 */

/** The largest magnitude an SF Integer may have (15 digits). */
export const SF_INTEGER_MAX = 999_999_999_999_999

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
