import { describe, expect, it } from 'vitest'
import {
  SF_INTEGER_MAX,
  SfDate,
  SfDecimal,
  SfDisplayString,
  SfToken,
  parseBoolean,
  parseDictionary,
  parseItem,
  parseList,
  parseNonNegativeInteger,
  serializeBoolean,
  serializeDictionary,
  serializeInteger,
  serializeItem,
  serializeList,
  type SfDictionary,
  type SfItem,
} from '../../src/protocols/structured-fields'

const bare = (input: string): unknown => parseItem(input)?.value
const item = (value: SfItem['value'], params: [string, SfItem['value']][] = []): SfItem => ({ value, params: new Map(params) })

describe('integers', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['999999999999999', 999_999_999_999_999],
    ['-999999999999999', -999_999_999_999_999],
    ['-1', -1],
    ['007', 7],
    ['-0', 0],
    [' 5 ', 5],
    ['5;a=1', 5],
  ])('parses %j as the Integer %d', (input, value) => {
    expect(bare(input)).toBe(value)
  })

  it.each(['1234567890123456', '-1234567890123456', '1e3', '5 junk', '5, 6', '+5', '- 5', '5.', '0x10', '', ' ', '5\t'])(
    'rejects %j as an Item',
    (input) => {
      expect(parseItem(input)).toBeUndefined()
    },
  )

  it('keeps an Integer and a Decimal apart', () => {
    expect(bare('1.5')).toEqual(new SfDecimal(1.5))
    expect(bare('5.0')).toEqual(new SfDecimal(5))
    expect(bare('123456789012.123')).toEqual(new SfDecimal(123456789012.123))
    expect(parseItem('1234567890123.1')).toBeUndefined()
    expect(parseItem('1.1234')).toBeUndefined()
  })

  it('parseNonNegativeInteger accepts 0 to 15 digits and nothing else', () => {
    expect(parseNonNegativeInteger('0')).toBe(0)
    expect(parseNonNegativeInteger('999999999999999')).toBe(SF_INTEGER_MAX)
    expect(parseNonNegativeInteger(' 25000000 ')).toBe(25_000_000)
    expect(parseNonNegativeInteger('5;a=1')).toBe(5)
    for (const input of ['-1', '-0', '1.5', '5.0', '1e3', '5 junk', '5, 6', '1234567890123456', '"5"', 'five', '?1', '', null, undefined]) {
      expect(parseNonNegativeInteger(input), String(input)).toBeUndefined()
    }
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
    expect(parseBoolean('?1;a')).toBe(true)
  })

  it.each(['true', 'false', '1', '0', '?2', '?', '?10', '"?1"', '', '?1, ?0'])('rejects %j', (input) => {
    expect(parseBoolean(input)).toBeUndefined()
  })

  it('serializes ?1 and ?0', () => {
    expect(serializeBoolean(true)).toBe('?1')
    expect(serializeBoolean(false)).toBe('?0')
  })
})

describe('strings, tokens, byte sequences, dates and display strings', () => {
  it('parses strings with escapes and rejects bad ones', () => {
    expect(bare('"hello world"')).toBe('hello world')
    expect(bare('"a\\"b\\\\c"')).toBe('a"b\\c')
    expect(bare('""')).toBe('')
    for (const input of ['"unterminated', '"bad \\a escape"', '"tab\there"', '"caf\u00e9"', '"a\\"']) {
      expect(parseItem(input), input).toBeUndefined()
    }
  })

  it('parses tokens', () => {
    expect(bare('sha-256')).toEqual(new SfToken('sha-256'))
    expect(bare('*foo/bar:baz')).toEqual(new SfToken('*foo/bar:baz'))
    expect(bare('text/html;q=1')).toEqual(new SfToken('text/html'))
    expect(parseItem('foo bar')).toBeUndefined()
  })

  it('parses byte sequences with or without padding, strictly', () => {
    expect(bare(':aGVsbG8=:')).toEqual(new TextEncoder().encode('hello'))
    expect(bare(':aGVsbG8:')).toEqual(new TextEncoder().encode('hello'))
    expect(bare('::')).toEqual(new Uint8Array())
    for (const input of [':aGVsbG8', ':a:', ':abcde=:', ':ab=c:', ':a===:', ':ab cd:', ':ab-_:']) {
      expect(parseItem(input), input).toBeUndefined()
    }
  })

  it('parses dates, which must be Integers', () => {
    expect(bare('@1659578233')).toEqual(new SfDate(1659578233))
    expect(bare('@-1')).toEqual(new SfDate(-1))
    expect(parseItem('@1.5')).toBeUndefined()
    expect(parseItem('@1.0')).toBeUndefined()
    expect(parseItem('@')).toBeUndefined()
  })

  it('parses display strings as UTF-8 with lowercase escapes', () => {
    expect(bare('%"caf%c3%a9"')).toEqual(new SfDisplayString('café'))
    expect(bare('%"100%25 %22ok%22"')).toEqual(new SfDisplayString('100% "ok"'))
    for (const input of ['%"caf%C3%A9"', '%"%c3"', '%"a%2"', '%"open', '%"é"', '%x']) {
      expect(parseItem(input), input).toBeUndefined()
    }
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
    const dictionary = parseDictionary('a, b;x=1, c=(1 2);y, d=?0,\te="s"')
    expect(dictionary?.get('a')).toEqual(item(true))
    expect(dictionary?.get('b')).toEqual(item(true, [['x', 1]]))
    expect(dictionary?.get('c')).toEqual({ items: [item(1), item(2)], params: new Map([['y', true]]) })
    expect(dictionary?.get('d')).toEqual(item(false))
    expect(dictionary?.get('e')).toEqual(item('s'))
  })

  it('keeps the first position and the last value of a duplicate key', () => {
    const dictionary = parseDictionary('a=1, b=2, a=3')
    expect([...(dictionary?.keys() ?? [])]).toEqual(['a', 'b'])
    expect(dictionary?.get('a')).toEqual(item(3))
    expect(parseItem('1;a=1;b=2;a=3')?.params).toEqual(new Map([['a', 3], ['b', 2]]))
  })

  it('reads an empty value as an empty dictionary', () => {
    expect(parseDictionary('')?.size).toBe(0)
    expect(parseDictionary('   ')?.size).toBe(0)
    expect(parseDictionary(undefined)).toBeUndefined()
  })

  it.each(['a=1,', 'a=1, ', ',a=1', 'a=1,,b=2', 'A=1', '1a=1', 'a=', 'a=1 b=2', 'a=(1 2', 'a=(1,2)', 'a=1;', 'a = 1'])(
    'rejects %j',
    (input) => {
      expect(parseDictionary(input)).toBeUndefined()
    },
  )

  it('carries wrong member types through for the caller to judge', () => {
    const dictionary = parseDictionary('max-size="big", min-size=1.5, max-age=-1')
    expect(dictionary?.get('max-size')).toEqual(item('big'))
    expect(dictionary?.get('min-size')).toEqual(item(new SfDecimal(1.5)))
    expect(dictionary?.get('max-age')).toEqual(item(-1))
  })
})

describe('lists', () => {
  it('parses items and inner lists', () => {
    expect(parseList('1, "a", (b c);p=?0')).toEqual([
      item(1),
      item('a'),
      { items: [item(new SfToken('b')), item(new SfToken('c'))], params: new Map([['p', false]]) },
    ])
    expect(parseList('')).toEqual([])
    expect(parseList('1,')).toBeUndefined()
    expect(parseList('(1)(2)')).toBeUndefined()
  })
})

describe('serialization', () => {
  it('serializes Upload-Limit style dictionaries from plain values', () => {
    expect(serializeDictionary({ 'max-size': 100, 'min-size': 0 })).toBe('max-size=100, min-size=0')
  })

  it.each([
    'max-size=1234567890, max-age=3600',
    'a, b;x=1, c=(1 2);y, d=?0, e="s\\"q"',
    'f=1.5, g=-0.25, h=5.0, t=sha-256, b=:aGVsbG8=:, d=@1659578233, s=%"caf%c3%a9"',
    'k=(), l=(1;a 2);b=tok',
  ])('round-trips %j', (text) => {
    const parsed = parseDictionary(text) as SfDictionary
    expect(serializeDictionary(parsed)).toBe(text)
    expect(parseDictionary(serializeDictionary(parsed))).toEqual(parsed)
  })

  it('canonicalizes what it parses', () => {
    expect(serializeDictionary(parseDictionary('a=1 ,\tb=?1;x=?1') as SfDictionary)).toBe('a=1, b;x')
    expect(serializeList(parseList('( 1  2 ) ,3') ?? [])).toBe('(1 2), 3')
    expect(serializeItem(parseItem('007;q=1.50') as SfItem)).toBe('7;q=1.5')
  })

  it('rounds decimals to three digits, half to even', () => {
    expect(serializeItem(item(new SfDecimal(0.1875)))).toBe('0.188')
    expect(serializeItem(item(new SfDecimal(1.23456)))).toBe('1.235')
    expect(serializeItem(item(new SfDecimal(0.0625)))).toBe('0.062')
    expect(serializeItem(item(new SfDecimal(2)))).toBe('2.0')
    expect(() => serializeItem(item(new SfDecimal(1e12)))).toThrow(RangeError)
  })

  it('refuses values without a structured-field form', () => {
    expect(() => serializeItem(item('café'))).toThrow(RangeError)
    expect(() => serializeItem(item(new SfToken('1abc')))).toThrow(RangeError)
    expect(() => serializeItem(item(1, [['Bad', 1]]))).toThrow(RangeError)
    expect(() => serializeDictionary({ 'Max-Size': 1 })).toThrow(RangeError)
  })

  it('serializes display strings and byte sequences', () => {
    expect(serializeItem(item(new SfDisplayString('100% "é"')))).toBe('%"100%25 %22%c3%a9%22"')
    expect(serializeItem(item(new Uint8Array([0, 255])))).toBe(':AP8=:')
  })
})
