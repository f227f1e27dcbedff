import { describe, expect, it } from 'vitest'
import { parseRecord } from '../../src/stores/record'
import type { UploadRecord } from '../../src/types'

const valid: UploadRecord = {
  key: 'ru1:abc',
  url: 'https://uploads.example/files/1',
  protocol: 'ietf',
  protocolVersion: '8',
  endpoint: '/uploads',
  size: 1000,
  offset: 250,
  createdAt: 1_700_000_000_000,
  updatedAt: 1_700_000_001_000,
  expiresAt: 1_700_086_400_000,
  metadata: { filename: 'a.bin', 'content-type': 'application/octet-stream' },
}

const withField = (field: string, value: unknown): unknown => ({ ...valid, [field]: value })
const without = (field: string): unknown => Object.fromEntries(Object.entries(valid).filter(([name]) => name !== field))

describe('parseRecord', () => {
  it('accepts a valid record and returns a fresh copy with a fresh metadata object', () => {
    const parsed = parseRecord(valid)
    expect(parsed).toEqual(valid)
    expect(parsed).not.toBe(valid)
    expect(parsed?.metadata).not.toBe(valid.metadata)
  })

  it('accepts the optional fields being absent, an unknown size, http URLs and empty metadata', () => {
    const minimal = { ...valid, url: 'http://127.0.0.1:8080/u/1', size: undefined, metadata: {} }
    delete (minimal as Partial<UploadRecord>).expiresAt
    expect(parseRecord(minimal)).toEqual(minimal)
    expect(parseRecord(without('size'))).toMatchObject({ size: undefined })
    expect(parseRecord({ ...valid, offset: 1000 })).toMatchObject({ offset: 1000 })
    expect(parseRecord({ ...valid, size: 0, offset: 0 })).toMatchObject({ size: 0, offset: 0 })
  })

  it('survives a JSON round trip (the file store) and an object without a prototype', () => {
    expect(parseRecord(JSON.parse(JSON.stringify(valid)))).toEqual(valid)
    expect(parseRecord(Object.assign(Object.create(null) as object, valid))).toEqual(valid)
  })

  it('keeps a Blob (persistBlob) and shares it rather than copying', () => {
    const blob = new Blob(['hello'])
    expect(parseRecord({ ...valid, blob })?.blob).toBe(blob)
    expect(parseRecord({ ...valid, blob: 'hello' })).toBeUndefined()
    expect(parseRecord({ ...valid, blob: new Uint8Array(3) })).toBeUndefined()
    expect(parseRecord({ ...valid, blob: null })).toBeUndefined()
  })

  it('keeps complete only when true', () => {
    expect(parseRecord({ ...valid, complete: true })).toEqual({ ...valid, complete: true })
    expect(parseRecord({ ...valid, complete: false })).toEqual(valid)
    expect(Object.keys(parseRecord({ ...valid, complete: false }) ?? {})).not.toContain('complete')
  })

  it("keeps a parts protocol's state text as it is, and only a string", () => {
    const state = JSON.stringify({ uploadId: 'u-1', partSize: 5_242_880, parts: [[1, '"etag-1"']] })
    expect(parseRecord({ ...valid, state })).toEqual({ ...valid, state })
    expect(parseRecord({ ...valid, state: '' })).toEqual({ ...valid, state: '' })
    expect(parseRecord(JSON.parse(JSON.stringify({ ...valid, state })))?.state).toBe(state)
    expect(Object.keys(parseRecord(valid) ?? {})).not.toContain('state')
    for (const wrong of [null, 42, { uploadId: 'u-1' }, ['a']]) expect(parseRecord({ ...valid, state: wrong })).toBeUndefined()
  })

  it('drops unknown fields, so credentials or headers never ride along', () => {
    const parsed = parseRecord({ ...valid, headers: { authorization: 'Bearer x' }, token: 't' })
    expect(parsed).toEqual(valid)
    expect(Object.keys(parsed ?? {})).not.toContain('headers')
  })

  it('keeps a __proto__ metadata key from JSON as a plain key, without touching prototypes', () => {
    const json = JSON.stringify({ ...valid, metadata: {} }).replace('"metadata":{}', '"metadata":{"__proto__":"x"}')
    const parsed = parseRecord(JSON.parse(json))
    expect(parsed).toBeDefined()
    expect(Object.getPrototypeOf(parsed?.metadata)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(parsed?.metadata, '__proto__')?.value).toBe('x')
  })

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'record'],
    ['an array', [valid]],
    ['a class instance', new (class Record {})()],
    ['a Date', new Date()],
  ])('rejects %s', (_label, value) => {
    expect(parseRecord(value)).toBeUndefined()
  })

  it.each(['key', 'url', 'protocol', 'protocolVersion', 'endpoint', 'offset', 'createdAt', 'updatedAt', 'metadata'])('rejects a record without %s', (field) => {
    expect(parseRecord(without(field))).toBeUndefined()
  })

  it.each<[string, unknown]>([
    ['key', ''],
    ['key', 42],
    ['url', '/files/1'],
    ['url', 'files/1'],
    ['url', 'ftp://uploads.example/1'],
    ['url', 'javascript:alert(1)'],
    ['url', 'not a url'],
    ['url', new URL('https://uploads.example/files/1')],
    ['complete', 'yes'],
    ['complete', 1],
    ['protocol', 1],
    ['protocolVersion', 8],
    ['endpoint', null],
    ['size', -1],
    ['size', 1.5],
    ['size', null],
    ['size', '1000'],
    ['size', 2 ** 53],
    ['offset', -1],
    ['offset', 0.5],
    ['offset', NaN],
    ['offset', 1001],
    ['offset', '0'],
    ['createdAt', Infinity],
    ['createdAt', '2024-01-01'],
    ['updatedAt', NaN],
    ['expiresAt', -Infinity],
    ['expiresAt', null],
    ['metadata', null],
    ['metadata', []],
    ['metadata', { n: 1 }],
    ['metadata', { nested: { a: 'b' } }],
    ['metadata', new Map([['a', 'b']])],
  ])('rejects %s = %o', (field, value) => {
    expect(parseRecord(withField(field, value))).toBeUndefined()
  })
})
