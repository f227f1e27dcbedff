// Unit tests of the GCS resumable upload protocol: request shapes (Content-Range forms, the
// 256 KiB rule), every answer branch (308 with and without Range, partial persistence, final
// 200/201 with the object JSON, 404/410, 400, 429/5xx, 499), and the session URI checks. No network.
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { GCS_CHUNK_UNIT, alignChunkEnd, gcs, heldBytes, parseGcsObject } from '../../src/protocols/gcs'
import type { HeaderMap, HttpResponse, ProtocolResult, RequestDescription } from '../../src/types'

const U = GCS_CHUNK_UNIT
const SESSION = 'https://storage.googleapis.com/upload/storage/v1/b/b/o?uploadType=resumable&name=a.bin&upload_id=ABC'
const res = (status: number, headers: HeaderMap = {}, body = ''): HttpResponse => ({ status, headers, body })
const file = { size: 10 * U }
const protocol = (): ReturnType<typeof gcs> => gcs({ sessionUrl: SESSION, clock: () => Date.UTC(2026, 0, 1) })
const append = (offset: number, end: number, size: number | undefined, complete = end === size): RequestDescription =>
  protocol().appendRequest({ url: SESSION, offset, end, size, complete })

function errorOf(result: ProtocolResult): UploadError {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`)
  return result.error
}

describe('gcs requests', () => {
  it.each([
    ['a first chunk of a known size', 0, 4 * U, 10 * U, false, `bytes 0-${4 * U - 1}/${10 * U}`],
    ['the last chunk, any length', 8 * U, 10 * U - 5, 10 * U - 5, true, `bytes ${8 * U}-${10 * U - 6}/${10 * U - 5}`],
    ['a stream chunk of unknown total', 4 * U, 8 * U, undefined, false, `bytes ${4 * U}-${8 * U - 1}/*`],
    ['the last chunk of a stream names its end', 8 * U, 8 * U + 7, undefined, true, `bytes ${8 * U}-${8 * U + 6}/${8 * U + 7}`],
    ['an empty last chunk of a stream finalizes', 8 * U, 8 * U, undefined, true, `bytes */${8 * U}`],
  ])('append: %s', (_, offset, end, size, complete, range) => {
    const request = append(offset, end, size, complete)
    expect(request).toMatchObject({ method: 'PUT', url: SESSION, headers: { 'content-range': range } })
    expect(request.body).toEqual(end > offset ? { start: offset, end } : null)
    expect(request.intent).toMatchObject({ kind: 'append', offset, end, complete, length: size ?? (complete ? end : undefined) })
  })

  it.each([
    ['a non-final chunk that is not whole units', 0, U + 1, 10 * U, false],
    ['a completing chunk short of the size', 0, 4 * U, 10 * U, true],
    ['a range past the size', 8 * U, 11 * U, 10 * U, false],
    ['a range ending before it starts', 4 * U, 2 * U, 10 * U, false],
  ])('append refuses %s (RangeError)', (_, offset, end, size, complete) => {
    expect(() => append(offset, end, size, complete)).toThrow(RangeError)
  })

  it('create and offset are the status query, empty PUT with bytes */total (or */* with no size known)', () => {
    const p = protocol()
    const create = p.createRequest({ endpoint: SESSION, size: 10 * U, body: { start: 0, end: U }, complete: false, metadata: {} })
    expect(create).toMatchObject({ method: 'PUT', url: SESSION, headers: { 'content-range': `bytes */${10 * U}` }, body: null })
    expect(create.intent).toMatchObject({ kind: 'create', end: 0, length: 10 * U })
    // The total is remembered per session URI for the status query after a cut.
    expect(p.offsetRequest(SESSION).headers).toEqual({ 'content-range': `bytes */${10 * U}` })
    expect(protocol().offsetRequest(SESSION).headers).toEqual({ 'content-range': 'bytes */*' })
    expect(protocol().offsetRequest(SESSION, 7).headers).toEqual({ 'content-range': 'bytes */7' })
    const empty = protocol().createRequest({ endpoint: SESSION, size: 0, body: null, complete: true, metadata: {} })
    expect(empty.headers['content-range']).toBe('bytes */0')
    expect(empty.intent).toMatchObject({ kind: 'create', complete: true })
  })

  it('cancel is DELETE on the session URI', () => {
    expect(protocol().cancelRequest(SESSION)).toMatchObject({ method: 'DELETE', url: SESSION, body: null, intent: { kind: 'cancel' } })
  })

  it('chunk ends are aligned down to whole 256 KiB units (at least one) unless last', () => {
    expect(protocol().alignChunkEnd).toBe(alignChunkEnd)
    expect(alignChunkEnd(0, 1_000_000, 5_000_000)).toBe(3 * U)
    expect(alignChunkEnd(U, U + 10, 5_000_000)).toBe(2 * U) // at least one unit
    expect(alignChunkEnd(19 * U, 19 * U + 10, 19 * U + 100)).toBe(19 * U + 100) // less than a unit left: the last chunk
    expect(alignChunkEnd(4 * U, 5_000_000, 5_000_000)).toBe(5_000_000) // the last chunk
    expect(alignChunkEnd(0, 9 * U + 3, undefined)).toBe(9 * U) // a stream
    expect(alignChunkEnd(0, Infinity, undefined)).toBe(Infinity)
  })
})

describe('gcs answers', () => {
  const status = (p = protocol()): RequestDescription => p.offsetRequest(SESSION, 10 * U)
  const create = (p = protocol()): RequestDescription => p.createRequest({ endpoint: SESSION, size: 10 * U, body: null, complete: false, metadata: {} })

  it.each([
    ['no Range: nothing held', undefined, 0],
    ['Range bytes=0-n: n+1 held', `bytes=0-${2 * U - 1}`, 2 * U],
  ])('308 to the status query, %s', (_, range, offset) => {
    const headers: HeaderMap = range === undefined ? {} : { range }
    expect(protocol().interpret('offset', status(), res(308, headers))).toEqual({ kind: 'offset', offset, complete: false, length: undefined, limits: {} })
    expect(protocol().interpret('create', create(), res(308, headers))).toEqual({ kind: 'created', url: SESSION, offset, limits: {} })
  })

  it.each([
    ['a full non-final chunk', 0, 4 * U, `bytes=0-${4 * U - 1}`, { kind: 'appended', offset: 4 * U, limits: {} }],
    ['part of a non-final chunk (whole units persisted)', 0, 4 * U, `bytes=0-${U - 1}`, { kind: 'appended', offset: U, limits: {} }],
    ['none of a non-final chunk', 2 * U, 4 * U, `bytes=0-${2 * U - 1}`, { kind: 'appended', offset: 2 * U, limits: {} }],
    ['part of the last chunk: send the rest', 8 * U, 10 * U, `bytes=0-${9 * U - 1}`, { kind: 'mismatch', offset: 9 * U }],
  ])('308 to a chunk: %s', (_, offset, end, range, expected) => {
    expect(protocol().interpret('append', append(offset, end, 10 * U), res(308, { range }))).toEqual(expected)
  })

  it.each([
    ['a Range past the upload', 'offset', `bytes=0-${10 * U}`, 'offset-invalid'],
    ['a Range past the chunk', 'append', `bytes=0-${5 * U - 1}`, 'offset-invalid'],
    ['a Range below the chunk', 'append', `bytes=0-${U - 1}`, 'offset-invalid'],
    ['a Range not from 0', 'offset', 'bytes=5-9', 'malformed-response'],
    ['a Range list', 'offset', 'bytes=0-1, 4-5', 'malformed-response'],
    ['a signed Range', 'offset', 'bytes=0--1', 'malformed-response'],
  ] as const)('308 with %s is a typed error', (_, kind, range, code) => {
    const p = protocol()
    const request = kind === 'offset' ? status(p) : p.appendRequest({ url: SESSION, offset: 2 * U, end: 4 * U, size: 10 * U, complete: false })
    const error = errorOf(p.interpret(kind, request, res(308, { range })))
    expect([error.code, error.retryable]).toEqual([code, false])
  })

  it.each([200, 201])('%i is complete, with the object JSON in the response and its size as the offset', (code) => {
    const object = { kind: 'storage#object', bucket: 'b', name: 'a.bin', size: String(10 * U), md5Hash: 'x' }
    const response = res(code, { 'content-type': 'application/json' }, JSON.stringify(object))
    const result = protocol().interpret('append', append(8 * U, 10 * U, 10 * U), response)
    expect(result).toEqual({ kind: 'complete', url: SESSION, response, offset: 10 * U })
    expect(parseGcsObject(response)).toEqual(object)
    expect(protocol().interpret('offset', status(), response).kind).toBe('complete')
    expect(protocol().interpret('create', create(), res(code, {}, 'not json'))).toMatchObject({ kind: 'complete', offset: undefined })
  })

  it.each([404, 410])(
    '%i: gone for status queries and chunks when sessionUrl is a function, else upload-gone; upload-gone for a session just obtained',
    (code) => {
      const renewable = (): ReturnType<typeof gcs> => gcs({ sessionUrl: () => Promise.resolve(SESSION) })
      expect(renewable().interpret('offset', status(), res(code))).toEqual({ kind: 'gone' })
      expect(renewable().interpret('append', append(0, U, 10 * U), res(code))).toEqual({ kind: 'gone' })
      for (const [p, kind, request] of [
        [protocol(), 'offset', status()],
        [protocol(), 'append', append(0, U, 10 * U)],
        [renewable(), 'create', create()],
        [protocol(), 'create', create()],
      ] as const) {
        const error = errorOf(p.interpret(kind, request, res(code)))
        expect([error.code, error.status, error.retryable]).toEqual(['upload-gone', code, false])
      }
    },
  )

  it('400 to a chunk is a mismatch (ask the offset); 400 to a status query fails', () => {
    expect(protocol().interpret('append', append(0, U, 10 * U), res(400))).toEqual({ kind: 'mismatch', offset: undefined })
    const error = errorOf(protocol().interpret('offset', status(), res(400, {}, 'bad')))
    expect([error.code, error.status, error.retryable, error.body]).toEqual(['http-status', 400, false, 'bad'])
  })

  it.each([
    [429, { 'retry-after': '7' }, 7],
    [503, { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, 30],
    [500, {}, undefined],
    [408, {}, undefined],
  ])('%i is retryable with Retry-After', (code, headers, retryAfter) => {
    const error = errorOf(protocol().interpret('append', append(0, U, 10 * U), res(code, headers)))
    expect([error.code, error.retryable, error.retryAfter]).toEqual(['http-status', true, retryAfter])
  })

  it('cancel: 499 (GCS), 404/410 (already gone) and 2xx are cancelled; 500 is an error', () => {
    const request = protocol().cancelRequest(SESSION)
    for (const code of [499, 404, 410, 204]) expect(protocol().interpret('cancel', request, res(code))).toEqual({ kind: 'cancelled' })
    expect(protocol().interpret('cancel', request, res(500)).kind).toBe('error')
  })

  it('heldBytes reads only bytes=0-n', () => {
    expect([heldBytes(undefined), heldBytes('bytes=0-0'), heldBytes(' bytes=0-9 '), heldBytes('bytes=1-9'), heldBytes('0-9')]).toEqual([
      0,
      1,
      10,
      undefined,
      undefined,
    ])
    expect(heldBytes(`bytes=0-${'9'.repeat(16)}`)).toBeUndefined()
  })
})

describe('gcs session URI', () => {
  it('a string is used as it is; its origin is allowed', async () => {
    const p = gcs({ sessionUrl: 'http://127.0.0.1:9/upload?upload_id=1' })
    expect([p.restartable, p.endpoint]).toEqual([false, 'gcs:'])
    expect(p.origins).toEqual(['https://storage.googleapis.com', 'http://127.0.0.1:9'])
    await expect(p.endpointFor(file, {})).resolves.toBe('http://127.0.0.1:9/upload?upload_id=1')
  })

  it('a function is called with the file once per source, and again once its session was gone', async () => {
    const seen: unknown[] = []
    const p = gcs({ sessionUrl: async (f) => (seen.push(f), `${SESSION}${seen.length}`) })
    expect(p.restartable).toBe(true)
    const source = { ...file, name: 'a.bin', type: 'text/plain' }
    await expect(p.endpointFor(source, { k: 'v' })).resolves.toBe(`${SESSION}1`)
    // A creation retried (after a network error) reuses the session; another source gets its own.
    await expect(p.endpointFor(source, { k: 'v' })).resolves.toBe(`${SESSION}1`)
    await expect(p.endpointFor({ size: 1 }, {})).resolves.toBe(`${SESSION}2`)
    expect(p.interpret('append', p.appendRequest({ url: `${SESSION}1`, offset: 0, end: U, size: 10 * U, complete: false }), res(410))).toEqual({ kind: 'gone' })
    await expect(p.endpointFor(source, { k: 'v' })).resolves.toBe(`${SESSION}3`)
    expect(seen).toEqual([
      { size: 10 * U, name: 'a.bin', type: 'text/plain', metadata: { k: 'v' } },
      { size: 1, name: undefined, type: undefined, metadata: {} },
      { size: 10 * U, name: 'a.bin', type: 'text/plain', metadata: { k: 'v' } },
    ])
  })

  it('a function that failed is asked again for the same source', async () => {
    let calls = 0
    const p = gcs({ sessionUrl: () => (++calls === 1 ? Promise.reject(new Error('down')) : Promise.resolve(SESSION)) })
    await expect(p.endpointFor(file, {})).rejects.toMatchObject({ code: 'network', retryable: true })
    await expect(p.endpointFor(file, {})).resolves.toBe(SESSION)
    expect(calls).toBe(2)
  })

  it.each([
    ['throws', () => Promise.reject(new Error('backend down')), 'network', true],
    ['answers a URL on another origin', () => Promise.resolve('https://evil.example/upload'), 'location-refused', false],
    ['answers something that is not a URL', () => Promise.resolve('not a url'), 'malformed-response', false],
    ['answers a non-http URL', () => Promise.resolve('javascript:alert(1)'), 'malformed-response', false],
    ['answers a URL with credentials', () => Promise.resolve('https://u:p@storage.googleapis.com/x'), 'malformed-response', false],
    ['answers a number', () => Promise.resolve(42 as unknown as string), 'malformed-response', false],
  ])('a function that %s gives a typed error', async (_, sessionUrl, code, retryable) => {
    const error: unknown = await gcs({ sessionUrl })
      .endpointFor(file, {})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UploadError)
    expect([(error as UploadError).code, (error as UploadError).retryable]).toEqual([code, retryable])
  })

  it('an UploadError thrown by the function is kept; allowedOrigins replaces the default', async () => {
    const thrown = new UploadError('aborted', 'stop')
    await expect(gcs({ sessionUrl: () => Promise.reject(thrown) }).endpointFor(file, {})).rejects.toBe(thrown)
    const p = gcs({ sessionUrl: () => Promise.resolve(SESSION), allowedOrigins: ['https://gcs.example.com'] })
    await expect(p.endpointFor(file, {})).rejects.toMatchObject({ code: 'location-refused' })
  })

  it('bad options throw at once', () => {
    expect(() => gcs({ sessionUrl: 42 as unknown as string })).toThrow(TypeError)
    expect(() => gcs({ sessionUrl: 'ftp://x/y' })).toThrow(RangeError)
    expect(() => gcs({ sessionUrl: SESSION, allowedOrigins: ['nope'] })).toThrow(RangeError)
  })
})
