/**
 * RFC 9651 Structured Field Values, narrowed to what the client reads: Integer and Boolean Items
 * (`Upload-Offset`, `Upload-Length`, `Upload-Complete`) and Dictionaries of them (`Upload-Limit`).
 * Parsing is still strict for the whole syntax: a field that is not valid structured-field syntax
 * yields `undefined` (callers treat it as absent, as the draft requires), whatever types it holds.
 * Values of the types the client never reads (Decimal, String, Token, Byte Sequence, Date, Display
 * String, Inner List) and every parameter are checked, then dropped. The checks are regular
 * expressions built from the RFC's grammar: a few hundred bytes instead of a full parser.
 * Serializing (Integers and Booleans in ./sf-serialize, re-exported here) throws a RangeError for a value that has no
 * structured-field form.
 * @module
 */
import { serializeBoolean, serializeInteger } from './sf-serialize'

export { SF_INTEGER_MAX, serializeBoolean, serializeInteger } from './sf-serialize'

/**
 * A Dictionary member as the client reads it: an Integer is a `number`, a Boolean (or a bare key)
 * a `boolean`; a member of any other type is valid but `undefined`. Parameters are dropped.
 */
export interface SfItem {
  /** The member's value when it is an Integer or a Boolean. */
  value: number | boolean | undefined
}

/** A Dictionary as the client reads it, keys in order. */
export type SfDictionary = Map<string, SfItem>

// Plain strings, not String.raw: a tagged template is a call, which bundlers keep in the chunk
// that imports this module first (the entry), instead of the lazy chunk that needs it.
/** A Dictionary key (RFC 9651 §3.1.2), as a regular expression source. */
const KEY = '[a-z*][a-z0-9_.*-]*'
const INTEGER = '-?\\d{1,15}'
const BOOLEAN = '\\?([01])'
// The bare items the client never reads: Decimal, String, Token, Byte Sequence (padding optional,
// but complete when present), Date, Display String (lowercase escapes; UTF-8 checked separately).
const OTHER = [
  '-?\\d{1,12}\\.\\d{1,3}',
  '"(?:[ !#-[\\]-~]|\\\\["\\\\])*"',
  "[A-Za-z*][!#-'*+.^_\\x60|~\\w:/-]*",
  ':(?:[A-Za-z\\d+/]{4})*(?:[A-Za-z\\d+/]{2}(?:==)?|[A-Za-z\\d+/]{3}=?)?:',
  `@${INTEGER}`,
  '%"(?:[ !#$&-~]|%[\\da-f]{2})*"',
].join('|')
const BARE = `(?:${INTEGER}|${BOOLEAN.replace('(', '(?:')}|${OTHER})`
const PARAMETERS = `(?:; *${KEY}(?:=${BARE})?)*`
const ITEM = BARE + PARAMETERS
const INNER_LIST = `\\( *(?:${ITEM}(?: +${ITEM})* *)?\\)${PARAMETERS}`
/** A whole Item field: 1 the Integer, 2 the Boolean's digit. */
const ITEM_FIELD = new RegExp(`^ *(?:(${INTEGER})|${BOOLEAN}|${OTHER})${PARAMETERS} *$`)
/** One Dictionary member and the separator after it: 1 the key, 2 the Integer, 3 the Boolean's digit, 4 `=`. */
const MEMBER = new RegExp(`(${KEY})(?:(=)(?:(?:(${INTEGER})|${BOOLEAN}|${OTHER})${PARAMETERS}|${INNER_LIST})|${PARAMETERS})[ \\t]*(?:$|,[ \\t]*(?!$))`, 'y')

/**
 * Whether every Display String in a syntactically valid field is UTF-8. Strings are matched too,
 * so that a `%"` inside one is skipped; decodeURIComponent throws on any invalid UTF-8 sequence.
 */
function displayStringsValid(input: string): boolean {
  try {
    for (const [, text] of input.matchAll(/"(?:[^"\\]|\\.)*"|%"([^"]*)"/g)) if (text) decodeURIComponent(text)
    return true
  } catch {
    return false
  }
}

function item(input: string | null | undefined): RegExpExecArray | undefined {
  const match = input == null ? null : ITEM_FIELD.exec(input)
  return match && displayStringsValid(match[0]) ? match : undefined
}

/**
 * Parses a field that must be a non-negative SF Integer (`Upload-Offset`, `Upload-Length`).
 * Parameters are allowed by the syntax and ignored. Returns `undefined` for anything else:
 * a sign (even `-0`), a Decimal, more than 15 digits, a string, trailing junk or an absent field.
 */
export function parseNonNegativeInteger(input: string | null | undefined): number | undefined {
  const integer = item(input)?.[1]
  return integer === undefined || integer[0] === '-' ? undefined : Number(integer)
}

/** Parses a field that must be an SF Boolean (`Upload-Complete`); `undefined` otherwise. */
export function parseBoolean(input: string | null | undefined): boolean | undefined {
  const digit = item(input)?.[2]
  return digit === undefined ? undefined : digit === '1'
}

/**
 * Parses a Dictionary field value; `undefined` when absent or invalid. An empty value is an
 * empty dictionary. A repeated key keeps its first position and its last value (RFC 9651 §4.2.2).
 * See {@link SfItem} for what a member holds.
 */
export function parseDictionary(input: string | null | undefined): SfDictionary | undefined {
  if (input == null || !displayStringsValid(input)) return undefined
  const dictionary: SfDictionary = new Map()
  MEMBER.lastIndex = /^ */.exec(input)?.[0].length ?? 0
  while (MEMBER.lastIndex < input.length) {
    const [, key = '', equals, integer, digit] = MEMBER.exec(input) ?? []
    if (!key) return undefined
    // `|| 0`: -0 is 0.
    dictionary.set(key, { value: integer ? +integer || 0 : digit ? digit === '1' : !equals || undefined })
  }
  return dictionary
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
