import { describe, expect, it } from 'vitest'
import {
  SF_INTEGER_MAX,
  parseBoolean,
  parseDictionary,
  parseNonNegativeInteger,
  serializeBoolean,
  serializeDictionary,
  serializeInteger,
  type SfItem,
} from '../../src/protocols/structured-fields'

const item = (value: SfItem['value']): SfItem => ({ value })
/** The value of the member `a` of the Dictionary `a=<text>`: undefined for a valid member of a type the client does not read. */
const member = (text: string): SfItem | undefined => parseDictionary(`a=${text}`)?.get('a')

describe('integers', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['999999999999999', 999_999_999_999_999],
    ['-999999999999999', -999_999_999_999_999],
    ['-1', -1],
    ['007', 7],
    ['-0', 0],
    ['5;a=1', 5],
    ['5;a;b=?0;c="x";d=1.5', 5],
  ])('reads %j in a Dictionary as the Integer %d', (input, value) => {
    expect(member(input)).toEqual(item(value))
  })

  it.each(['1234567890123456', '-1234567890123456', '1e3', '5 junk', '+5', '- 5', '5.', '0x10', '', '5;'])('rejects %j', (input) => {
    expect(parseDictionary(`a=${input}`)).toBeUndefined()
  })

  it('keeps an Integer and a Decimal apart: a Decimal is never read as a number', () => {
    for (const input of ['1.5', '5.0', '123456789012.123']) expect(member(input), input).toEqual(item(undefined))
    expect(parseDictionary('a=1234567890123.1')).toBeUndefined()
    expect(parseDictionary('a=1.1234')).toBeUndefined()
  })

  it('parseNonNegativeInteger accepts 0 to 15 digits and nothing else', () => {
    expect(parseNonNegativeInteger('0')).toBe(0)
    expect(parseNonNegativeInteger('007')).toBe(7)
    expect(parseNonNegativeInteger('999999999999999')).toBe(SF_INTEGER_MAX)
    expect(parseNonNegativeInteger(' 25000000 ')).toBe(25_000_000)
    expect(parseNonNegativeInteger('5;a=1')).toBe(5)
    expect(parseNonNegativeInteger('5;a=%"caf%c3%a9";b=:aGVsbG8=:')).toBe(5)
    const rejected = [
      '-1',
      '-0',
      '1.5',
      '5.0',
      '1e3',
      '5 junk',
      '5, 6',
      '1234567890123456',
      '"5"',
      'five',
      '?1',
      '',
      ' ',
      '5\t',
      '5;',
      '5;A=1',
      '5;a=%"%c3"',
      null,
      undefined,
    ]
    for (const input of rejected) expect(parseNonNegativeInteger(input), String(input)).toBeUndefined()
  })

  it('serializes integers within ±15 digits and refuses anything else', () => {
    expect(serializeInteger(0)).toBe('0')
    expect(serializeInteger(-0)).toBe('0')
    expect(serializeInteger(-7)).toBe('-7')
    expect(serializeInteger(SF_INTEGER_MAX)).toBe('999999999999999')
    for (const value of [1.5, SF_INTEGER_MAX + 1, -SF_INTEGER_MAX - 1, Number.NaN, Infinity]) {
      expect(() => serializeInteger(value)).toThrow(RangeError)
    }
  })
})

describe('booleans', () => {
  it('parses ?1 and ?0, with parameters', () => {
    expect(parseBoolean('?1')).toBe(true)
    expect(parseBoolean('?0')).toBe(false)
    expect(parseBoolean(' ?1 ')).toBe(true)
    expect(parseBoolean('?1;a')).toBe(true)
    expect(member('?0;x=2')).toEqual(item(false))
  })

  it.each(['true', 'false', '1', '0', '?2', '?', '?10', '"?1"', '', '?1, ?0', '?1;', null, undefined])('rejects %j', (input) => {
    expect(parseBoolean(input)).toBeUndefined()
  })

  it('serializes ?1 and ?0', () => {
    expect(serializeBoolean(true)).toBe('?1')
    expect(serializeBoolean(false)).toBe('?0')
  })
})

describe('the types the client never reads are checked, then dropped', () => {
  it.each([
    '"hello world"',
    '"a\\"b\\\\c"',
    '""',
    '"100%"',
    'sha-256',
    '*foo/bar:baz',
    'text/html;q=1',
    ':aGVsbG8=:',
    ':aGVsbG8:',
    '::',
    '@1659578233',
    '@-1',
    '%"caf%c3%a9"',
    '%"100%25 %22ok%22"',
    '()',
    '(1 2);y',
    '( 1  "x"  tok );p=?0',
    '(1;a 2);b=tok',
  ])('accepts %j as a valid member without a value', (input) => {
    expect(member(input)).toEqual(item(undefined))
  })

  it.each([
    ['strings', ['"unterminated', '"bad \\a escape"', '"tab\there"', '"caf\u00e9"', '"a\\"']],
    ['tokens', ['foo bar', 'a[b']],
    ['byte sequences', [':aGVsbG8', ':a:', ':abcde=:', ':ab=c:', ':a===:', ':ab cd:', ':ab-_:']],
    ['dates', ['@1.5', '@1.0', '@', '@1234567890123456']],
    ['display strings', ['%"caf%C3%A9"', '%"%c3"', '%"a%2"', '%"open', '%"é"', '%x', '%"%ed%a0%80"']],
    ['inner lists', ['(1 2', '(1,2)', '(1)(2)', '(1 2)x']],
  ])('rejects invalid %s', (_kind, inputs) => {
    for (const input of inputs) expect(parseDictionary(`a=${input}`), input).toBeUndefined()
  })

  it('a %" inside a String is not a Display String', () => {
    expect(member('"%"')).toEqual(item(undefined))
    expect(parseDictionary('a="x%", b=%"%c3%a9", c="%"')?.get('b')).toEqual(item(undefined))
  })
})

describe('dictionaries', () => {
  it('parses an Upload-Limit', () => {
    const dictionary = parseDictionary('max-size=1234567890, max-age=3600')
    expect([...(dictionary ?? [])]).toEqual([
      ['max-size', item(1234567890)],
      ['max-age', item(3600)],
    ])
  })

  it('parses bare keys as true, parameters, inner lists and tabs around commas', () => {
    const dictionary = parseDictionary('a, b;x=1, c=(1 2);y, d=?0,\te="s" ,f=5')
    expect(dictionary?.get('a')).toEqual(item(true))
    expect(dictionary?.get('b')).toEqual(item(true))
    expect(dictionary?.get('c')).toEqual(item(undefined))
    expect(dictionary?.get('d')).toEqual(item(false))
    expect(dictionary?.get('e')).toEqual(item(undefined))
    expect(dictionary?.get('f')).toEqual(item(5))
  })

  it('keeps the first position and the last value of a duplicate key', () => {
    const dictionary = parseDictionary('a=1, b=2, a=3')
    expect([...(dictionary?.keys() ?? [])]).toEqual(['a', 'b'])
    expect(dictionary?.get('a')).toEqual(item(3))
  })

  it('reads an empty value as an empty dictionary', () => {
    expect(parseDictionary('')?.size).toBe(0)
    expect(parseDictionary('   ')?.size).toBe(0)
    expect(parseDictionary(' a=1 ')?.get('a')).toEqual(item(1))
    expect(parseDictionary(undefined)).toBeUndefined()
    expect(parseDictionary(null)).toBeUndefined()
  })

  it.each(['a=1,', 'a=1, ', ',a=1', 'a=1,,b=2', 'A=1', '1a=1', 'a=', 'a=1 b=2', 'a=(1 2', 'a=(1,2)', 'a=1;', 'a = 1', '\ta=1', 'a=1;B=2'])(
    'rejects %j',
    (input) => {
      expect(parseDictionary(input)).toBeUndefined()
    },
  )

  it('carries wrong member types through for the caller to judge', () => {
    const dictionary = parseDictionary('max-size="big", min-size=1.5, max-age=-1, max-append-size')
    expect(dictionary?.get('max-size')).toEqual(item(undefined))
    expect(dictionary?.get('min-size')).toEqual(item(undefined))
    expect(dictionary?.get('max-age')).toEqual(item(-1))
    expect(dictionary?.get('max-append-size')).toEqual(item(true))
  })

  it('serializes Upload-Limit style dictionaries', () => {
    expect(serializeDictionary({ 'max-size': 100, 'min-size': 0 })).toBe('max-size=100, min-size=0')
    expect(serializeDictionary({ a: true, b: false })).toBe('a, b=?0')
    expect(parseDictionary(serializeDictionary({ 'max-size': 100, 'max-age': 0 }))).toEqual(
      new Map([
        ['max-size', item(100)],
        ['max-age', item(0)],
      ]),
    )
    expect(() => serializeDictionary({ 'Max-Size': 1 })).toThrow(RangeError)
    expect(() => serializeDictionary({ 'max-size': 1.5 })).toThrow(RangeError)
  })
})
