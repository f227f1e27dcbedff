/**
 * A strict parser and serializer for RFC 9651 Structured Field Values, the syntax of every
 * `Upload-*` header. Parsing never throws: a value that is not valid structured-field syntax
 * yields `undefined`, which callers treat as "field absent" (as the draft requires).
 * Serializing throws a RangeError for a value that has no structured-field form.
 * @module
 */

/** A token, kept apart from strings so that a `Dictionary` round-trips unchanged. */
export class SfToken {
  /** @param value the token's text, e.g. `sha-256` */
  constructor(readonly value: string) {}
}

/** A Decimal bare item (`1.5`), kept apart from Integers so that `5.0` is never taken for `5`. */
export class SfDecimal {
  /** @param value the number; serialized with at most three fractional digits */
  constructor(readonly value: number) {}
}

/** A Date bare item (`@1659578233`), seconds since the epoch. */
export class SfDate {
  /** @param seconds whole seconds since 1970-01-01T00:00:00Z */
  constructor(readonly seconds: number) {}
}

/** A Display String bare item (`%"caf%c3%a9"`), already decoded. */
export class SfDisplayString {
  /** @param value the decoded Unicode text */
  constructor(readonly value: string) {}
}

/**
 * One bare item: an Integer is a `number`, a Decimal an {@link SfDecimal}, a String a `string`,
 * a Boolean a `boolean`, a Byte Sequence a `Uint8Array`.
 */
export type SfBareItem = number | SfDecimal | string | boolean | Uint8Array | SfToken | SfDate | SfDisplayString

/** Parameters of an Item or Inner List, in order. */
export type SfParameters = Map<string, SfBareItem>

/** An Item: a bare item and its parameters. */
export interface SfItem {
  /** The item's value. */
  value: SfBareItem
  /** Its parameters (empty when it has none). */
  params: SfParameters
}

/** An Inner List: `(a b c);p=1`. */
export interface SfInnerList {
  /** The members, each an Item. */
  items: SfItem[]
  /** The inner list's parameters. */
  params: SfParameters
}

/** A member of a List or a Dictionary. */
export type SfMember = SfItem | SfInnerList

/** A Dictionary, keys in order. */
export type SfDictionary = Map<string, SfMember>

/** The largest magnitude an SF Integer may have (15 digits). */
export const SF_INTEGER_MAX = 999_999_999_999_999

const KEY = /^[a-z*][a-z0-9_\-.*]*/
const TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/

class Parser {
  private pos = 0
  constructor(private readonly input: string) {}

  fail(): never {
    throw new SyntaxError('structured field')
  }

  get done(): boolean {
    return this.pos >= this.input.length
  }

  peek(): string {
    return this.input[this.pos] ?? ''
  }

  skipSpaces(): void {
    while (this.peek() === ' ') this.pos++
  }

  expect(char: string): void {
    if (this.peek() !== char) this.fail()
    this.pos++
  }

  /** Consumes a match of `pattern` (anchored at `^`) or fails. */
  take(pattern: RegExp): string {
    const match = pattern.exec(this.input.slice(this.pos))
    if (!match) this.fail()
    this.pos += match[0].length
    return match[0]
  }

  /** Skips OWS, a comma and OWS between members; returns false at the end of input. */
  nextMember(): boolean {
    const ows = /^[ \t]*/
    this.take(ows)
    if (this.done) return false
    this.expect(',')
    this.take(ows)
    if (this.done) this.fail() // trailing comma
    return true
  }

  parseItem(): SfItem {
    const value = this.parseBareItem()
    return { value, params: this.parseParameters() }
  }

  parseMember(): SfMember {
    return this.peek() === '(' ? this.parseInnerList() : this.parseItem()
  }

  parseInnerList(): SfInnerList {
    this.expect('(')
    const items: SfItem[] = []
    for (;;) {
      this.skipSpaces()
      if (this.peek() === ')') {
        this.pos++
        return { items, params: this.parseParameters() }
      }
      items.push(this.parseItem())
      const next = this.peek()
      if (next !== ' ' && next !== ')') this.fail()
    }
  }

  parseParameters(): SfParameters {
    const params: SfParameters = new Map()
    while (this.peek() === ';') {
      this.pos++
      this.skipSpaces()
      const key = this.take(KEY)
      let value: SfBareItem = true
      if (this.peek() === '=') {
        this.pos++
        value = this.parseBareItem()
      }
      params.set(key, value) // a repeated key keeps its first position and its last value
    }
    return params
  }

  parseBareItem(): SfBareItem {
    const char = this.peek()
    if (char === '-' || (char >= '0' && char <= '9')) return this.parseNumber()
    if (char === '"') return this.parseString()
    if (char === '*' || /[A-Za-z]/.test(char)) return new SfToken(this.take(TOKEN))
    if (char === ':') return this.parseByteSequence()
    if (char === '?') return this.parseBoolean()
    if (char === '@') {
      this.pos++
      const seconds = this.parseNumber()
      return typeof seconds === 'number' ? new SfDate(seconds) : this.fail()
    }
    if (char === '%') return this.parseDisplayString()
    return this.fail()
  }

  parseNumber(): number | SfDecimal {
    const [text, sign, whole = '', fraction] = /^(-?)(\d+)(?:\.(\d+))?/.exec(this.input.slice(this.pos)) ?? this.fail()
    if (fraction === undefined ? whole.length > 15 : whole.length > 12 || fraction.length > 3) this.fail()
    this.pos += text.length
    const value = Number(text)
    if (fraction !== undefined) return new SfDecimal(value)
    return sign === '-' && value === 0 ? 0 : value
  }

  parseString(): string {
    // Visible ASCII except `"` and `\`, which appear only escaped.
    const text = this.take(/^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"/)
    return text.slice(1, -1).replace(/\\(["\\])/g, '$1')
  }

  parseByteSequence(): Uint8Array {
    this.expect(':')
    const end = this.input.indexOf(':', this.pos)
    if (end < 0) this.fail()
    const text = this.input.slice(this.pos, end)
    this.pos = end + 1
    const data = text.replace(/=+$/, '')
    // Padding is optional, but when present it must complete the last quantum.
    if (!/^[A-Za-z0-9+/]*$/.test(data) || data.length % 4 === 1) this.fail()
    if (data !== text && (text.length % 4 !== 0 || text.length - data.length > 2)) this.fail()
    let binary: string
    try {
      binary = atob(data)
    } catch {
      return this.fail()
    }
    return Uint8Array.from(binary, (c) => c.charCodeAt(0))
  }

  parseBoolean(): boolean {
    this.expect('?')
    return this.take(/^[01]/) === '1'
  }

  parseDisplayString(): SfDisplayString {
    // Visible ASCII except `"` and `%`, which appear only as lowercase %xx escapes.
    const text = this.take(/^%"(?:[\x20\x21\x23\x24\x26-\x7e]|%[0-9a-f]{2})*"/).slice(2, -1)
    const bytes = Uint8Array.from(text.matchAll(/%([0-9a-f]{2})|[^%]/g), (m) => (m[1] === undefined ? m[0].charCodeAt(0) : parseInt(m[1], 16)))
    try {
      return new SfDisplayString(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    } catch {
      return this.fail()
    }
  }
}

function run<T>(input: string | null | undefined, body: (parser: Parser) => T): T | undefined {
  if (input == null) return undefined
  const parser = new Parser(input)
  try {
    parser.skipSpaces()
    const result = body(parser)
    parser.skipSpaces()
    return parser.done ? result : undefined
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }
}

/** Parses an Item field value; `undefined` when absent or invalid. */
export function parseItem(input: string | null | undefined): SfItem | undefined {
  return run(input, (parser) => parser.parseItem())
}

/** Parses a List field value; `undefined` when absent or invalid. An empty value is an empty list. */
export function parseList(input: string | null | undefined): SfMember[] | undefined {
  return run(input, (parser) => {
    const members: SfMember[] = []
    if (parser.done) return members
    do members.push(parser.parseMember())
    while (parser.nextMember())
    return members
  })
}

/**
 * Parses a Dictionary field value; `undefined` when absent or invalid. An empty value is an
 * empty dictionary. A repeated key keeps its first position and its last value (RFC 9651 §4.2.2).
 */
export function parseDictionary(input: string | null | undefined): SfDictionary | undefined {
  return run(input, (parser) => {
    const dictionary: SfDictionary = new Map()
    if (parser.done) return dictionary
    do {
      const key = parser.take(KEY)
      let member: SfMember
      if (parser.peek() === '=') {
        parser.expect('=')
        member = parser.parseMember()
      } else {
        member = { value: true, params: parser.parseParameters() }
      }
      dictionary.set(key, member)
    } while (parser.nextMember())
    return dictionary
  })
}

/**
 * Parses a field that must be a non-negative SF Integer (`Upload-Offset`, `Upload-Length`).
 * Parameters are allowed by the syntax and ignored. Returns `undefined` for anything else:
 * a sign (even `-0`), a Decimal, more than 15 digits, a string, trailing junk or an absent field.
 */
export function parseNonNegativeInteger(input: string | null | undefined): number | undefined {
  const value = parseItem(input)?.value
  if (typeof value !== 'number' || value < 0 || /^ *-/.test(input ?? '')) return undefined
  return value
}

/** Parses a field that must be an SF Boolean (`Upload-Complete`); `undefined` otherwise. */
export function parseBoolean(input: string | null | undefined): boolean | undefined {
  const value = parseItem(input)?.value
  return typeof value === 'boolean' ? value : undefined
}

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

function serializeDecimal(value: number): string {
  const scaled = value * 1000
  // Round half to even, as RFC 9651 §4.1.5 asks.
  const rounded = Math.abs(scaled % 1) === 0.5 ? 2 * Math.round(scaled / 2) : Math.round(scaled)
  const result = rounded / 1000
  if (!Number.isFinite(result) || Math.abs(Math.trunc(result)) > 999_999_999_999) {
    throw new RangeError(`not a structured-field decimal: ${value}`)
  }
  const text = String(result === 0 ? 0 : result)
  return text.includes('.') ? text : `${text}.0`
}

function serializeDisplayString(value: string): string {
  let out = ''
  for (const byte of new TextEncoder().encode(value)) {
    out += byte === 0x25 || byte === 0x22 || byte < 0x20 || byte > 0x7e ? `%${byte.toString(16).padStart(2, '0')}` : String.fromCharCode(byte)
  }
  return `%"${out}"`
}

function serializeBareItem(value: SfBareItem): string {
  if (typeof value === 'boolean') return serializeBoolean(value)
  if (typeof value === 'number') return serializeInteger(value)
  if (value instanceof SfDecimal) return serializeDecimal(value.value)
  if (typeof value === 'string') {
    if (!/^[\x20-\x7e]*$/.test(value)) throw new RangeError('structured-field strings are ASCII')
    return `"${value.replace(/[\\"]/g, '\\$&')}"`
  }
  if (value instanceof SfToken) return checked(value.value, TOKEN, 'token')
  if (value instanceof SfDate) return `@${serializeInteger(value.seconds)}`
  if (value instanceof SfDisplayString) return serializeDisplayString(value.value)
  let binary = ''
  for (const byte of value) binary += String.fromCharCode(byte)
  return `:${btoa(binary)}:`
}

function checked(text: string, pattern: RegExp, what: string): string {
  if (pattern.exec(text)?.[0] !== text) throw new RangeError(`not a structured-field ${what}: ${text}`)
  return text
}

function serializeParameters(params: SfParameters): string {
  let out = ''
  for (const [key, value] of params) {
    out += `;${checked(key, KEY, 'key')}` + (value === true ? '' : `=${serializeBareItem(value)}`)
  }
  return out
}

function serializeMember(member: SfMember): string {
  if ('items' in member) {
    return `(${member.items.map(serializeItem).join(' ')})${serializeParameters(member.params)}`
  }
  return serializeItem(member)
}

/** Serializes an Item, e.g. `serializeItem({ value: 5, params: new Map() })` gives `5`. */
export function serializeItem(item: SfItem): string {
  return serializeBareItem(item.value) + serializeParameters(item.params)
}

/** Serializes a List (Items and Inner Lists), members joined with `, `. */
export function serializeList(members: SfMember[]): string {
  return members.map(serializeMember).join(', ')
}

/**
 * Serializes a Dictionary. Plain values are accepted for members without parameters, so
 * `serializeDictionary({ 'max-size': 100 })` gives `max-size=100`.
 */
export function serializeDictionary(entries: Record<string, SfBareItem> | SfDictionary): string {
  const members: [string, SfMember][] =
    entries instanceof Map ? [...entries] : Object.entries(entries).map(([key, value]) => [key, { value, params: new Map() }])
  return members
    .map(([key, member]) => {
      const name = checked(key, KEY, 'key')
      return 'value' in member && member.value === true ? name + serializeParameters(member.params) : `${name}=${serializeMember(member)}`
    })
    .join(', ')
}
