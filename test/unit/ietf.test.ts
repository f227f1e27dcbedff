// Unit tests of the IETF draft protocol and its helpers. Test names carry the digest's client
// checklist numbers ([C1]…[C25]) where a test covers one.
import { describe, expect, it } from 'vitest'
import type { UploadError } from '../../src/errors'
import { contentDisposition, fileContentType, isSameOrigin, parseHttpDate, parseRetryAfter, resolveLocation } from '../../src/protocols/http-fields'
import { ietfProtocol, installIetfResponses, type IetfProtocolOptions } from '../../src/protocols/ietf'
import * as ietfResponses from '../../src/protocols/ietf-responses'
import { checkSize, isExpired, planChunk } from '../../src/protocols/limits'
import { loadProtocol } from '../../src/protocols/load'
import { parseUploadLimit } from '../../src/protocols/upload-limit'
import type { HeaderMap, HttpResponse, ProtocolResult, RequestDescription } from '../../src/types'

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0)
const ENDPOINT = 'https://example.com/files/'
const UPLOAD = 'https://example.com/upload/b530ce8ff'
const V = { 'upload-draft-interop-version': '8' }
const make = (options: IetfProtocolOptions = {}) => ietfProtocol({ clock: () => NOW, ...options })
const protocol = make()
const res = (status: number, headers: HeaderMap = {}, body = ''): HttpResponse => ({ status, headers, body })
const createInput = { endpoint: ENDPOINT, size: 100, body: { start: 0, end: 100 }, complete: true, metadata: { a: 'b' } }
const optimistic = protocol.createRequest({ ...createInput, name: 'a.jpg', type: 'image/jpeg' })
const careful = protocol.createRequest({ ...createInput, body: null, complete: false })
const firstPart = protocol.createRequest({ ...createInput, body: { start: 0, end: 40 }, complete: false })
const lastAppend = protocol.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true })
const partAppend = protocol.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false })
const head = protocol.offsetRequest(UPLOAD)
const cancel = protocol.cancelRequest(UPLOAD)
// As the Node entry does, so that interpretInterim reads 104s (test/unit/ietf-lazy.test.ts tests the load itself).
installIetfResponses(ietfResponses)

function errorOf(result: ProtocolResult): UploadError {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`)
  return result.error
}
const expectError = (result: ProtocolResult, code: string, retryable: boolean) => {
  const error = errorOf(result)
  expect([error.code, error.retryable]).toEqual([code, retryable])
  expect(error.message).not.toContain('b530ce8ff') // [C25] the upload URL is a secret
  return error
}

describe('requests', () => {
  it('[C1] every request carries Upload-Draft-Interop-Version, and version/name identify the protocol', async () => {
    for (const request of [optimistic, careful, lastAppend, head, cancel]) expect(request.headers).toMatchObject(V)
    const seven = make({ interopVersion: 7 })
    expect(seven.offsetRequest(UPLOAD).headers['upload-draft-interop-version']).toBe('7')
    expect([protocol.name, protocol.version, seven.version]).toEqual(['ietf', '8', '7'])
  })

  it('loadProtocol builds the IETF protocol with the interop version, and refuses a name it does not know', async () => {
    expect((await loadProtocol('ietf', { clock: () => NOW, interopVersion: 6 })).version).toBe('6')
    expect((await loadProtocol('ietf', { clock: () => NOW })).version).toBe('8')
    await expect(loadProtocol('tuss' as 'tus', { clock: () => NOW })).rejects.toThrow("unknown protocol 'tuss'")
  })

  it('refuses an interop version that is not an integer from 3', async () => {
    for (const interopVersion of [2, 8.5, Number.NaN, -1]) expect(() => ietfProtocol({ interopVersion })).toThrow(RangeError)
  })

  it('[C3][C6][C22] optimistic creation: POST with ?1, length, media type and inline disposition; metadata stays out', async () => {
    const disposition = `inline; filename="a.jpg"; filename*=UTF-8''a.jpg`
    const headers = { ...V, 'upload-complete': '?1', 'upload-length': '100', 'content-type': 'image/jpeg', 'content-disposition': disposition }
    expect(optimistic).toEqual({ method: 'POST', url: ENDPOINT, headers, body: { start: 0, end: 100 }, intent: expect.anything() })
  })

  it('[C24] careful creation: an empty ?0 POST, octet-stream, no disposition without a name', async () => {
    const headers = { ...V, 'upload-complete': '?0', 'upload-length': '100', 'content-type': 'application/octet-stream' }
    expect(careful).toEqual({ method: 'POST', url: ENDPOINT, headers, body: null, intent: expect.anything() })
    expect(firstPart.body).toEqual({ start: 0, end: 40 })
  })

  it('[C6] states the length when known, or when the request ends the upload', async () => {
    const unknown = { ...createInput, size: undefined }
    expect(protocol.createRequest({ ...unknown, body: { start: 0, end: 40 }, complete: false }).headers).not.toHaveProperty('upload-length')
    expect(protocol.createRequest({ ...unknown, body: { start: 0, end: 40 } }).headers['upload-length']).toBe('40')
    expect(protocol.createRequest({ ...unknown, body: null }).headers['upload-length']).toBe('0')
    const appendInput = { url: UPLOAD, offset: 40, end: 70, size: undefined }
    expect(protocol.appendRequest({ ...appendInput, complete: false }).headers).not.toHaveProperty('upload-length')
    expect(protocol.appendRequest({ ...appendInput, complete: true }).headers['upload-length']).toBe('70')
  })

  it('[C22] Content-Disposition escapes names (RFC 6266/8187) and can be turned off', async () => {
    const name = 'naïve "cv"\\\r\nx: y 😀.pdf'
    expect(protocol.createRequest({ ...createInput, name }).headers['content-disposition']).toBe(
      `inline; filename="na_ve \\"cv\\"___x: y _.pdf"; filename*=UTF-8''na%C3%AFve%20%22cv%22%5C%0D%0Ax%3A%20y%20%F0%9F%98%80.pdf`,
    )
    expect(contentDisposition("it's (1)*.txt", 'attachment')).toBe(`attachment; filename="it's (1)*.txt"; filename*=UTF-8''it%27s%20%281%29%2A.txt`)
    expect(make({ contentDisposition: false }).createRequest({ ...createInput, name: 'a' }).headers).not.toHaveProperty('content-disposition')
    expect(protocol.createRequest({ ...createInput, name: '' }).headers).not.toHaveProperty('content-disposition')
  })

  it('uses the file type only when it is a valid media type', async () => {
    expect(fileContentType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8')
    for (const type of [undefined, '', 'text', 'text/plain\r\nx-evil: 1', 'tëxt/plain']) {
      expect(fileContentType(type)).toBe('application/octet-stream')
    }
  })

  it('[C3][C4][C5] append: PATCH with partial-upload, Upload-Offset, Upload-Complete; a length known at creation is not repeated', async () => {
    const headers = { ...V, 'content-type': 'application/partial-upload', 'upload-offset': '40', 'upload-complete': '?0' }
    expect(partAppend).toEqual({ method: 'PATCH', url: UPLOAD, headers, body: { start: 40, end: 70 }, intent: expect.anything() })
    expect(lastAppend.headers['upload-complete']).toBe('?1')
    const empty = protocol.appendRequest({ url: UPLOAD, offset: 100, end: 100, size: 100, complete: true })
    expect([empty.body, empty.headers['upload-complete']]).toEqual([null, '?1'])
  })

  it('[C5] append media type: partial-upload from interop 5 (draft -03), offset+octet-stream before', async () => {
    const typeFor = (interopVersion: number) =>
      make({ interopVersion }).appendRequest({ url: UPLOAD, offset: 0, end: 1, size: 1, complete: true }).headers['content-type']
    const [old, partial] = ['application/offset+octet-stream', 'application/partial-upload']
    expect([3, 4, 5, 6, 8].map(typeFor)).toEqual([old, old, partial, partial, partial])
  })

  it('[C7] refuses length indications that contradict each other', async () => {
    const bad: (() => unknown)[] = [
      () => protocol.createRequest({ ...createInput, body: { start: 0, end: 40 } }), // ?1 must end at the size
      () => protocol.createRequest({ ...createInput, body: { start: 0, end: 101 }, complete: false }),
      () => protocol.createRequest({ ...createInput, body: { start: 10, end: 100 } }),
      () => protocol.createRequest({ ...createInput, size: -1, body: null, complete: false }),
      () => protocol.appendRequest({ url: UPLOAD, offset: 50, end: 40, size: 100, complete: false }),
      () => protocol.appendRequest({ url: UPLOAD, offset: 0.5, end: 40, size: 100, complete: false }),
      () => protocol.appendRequest({ url: UPLOAD, offset: 40, end: 90, size: 100, complete: true }),
    ]
    for (const call of bad) expect(call).toThrow(RangeError)
    expect(bad[0]).toThrow('invalid byte range [0, 40) for a completing creation, size 100')
    expect(bad[2]).toThrow('invalid byte range [10, 100) for a completing creation, size 100')
  })

  it('[C15] offset retrieval is HEAD and cancellation DELETE, both without a body', async () => {
    expect(head).toEqual({ method: 'HEAD', url: UPLOAD, headers: V, body: null, intent: expect.anything() })
    expect(cancel).toEqual({ method: 'DELETE', url: UPLOAD, headers: V, body: null, intent: expect.anything() })
  })
})

describe('typed intent', () => {
  it('every request says what it is for: kind, range, completeness and the length it declares', async () => {
    expect(optimistic.intent).toEqual({ kind: 'create', end: 100, complete: true, length: 100, declaresLength: true })
    expect(careful.intent).toEqual({ kind: 'create', end: 0, complete: false, length: 100, declaresLength: true })
    expect(partAppend.intent).toEqual({ kind: 'append', offset: 40, end: 70, complete: false, length: 100, declaresLength: false })
    expect(head.intent).toEqual({ kind: 'offset' })
    expect(cancel.intent).toEqual({ kind: 'cancel' })
    const deferred = protocol.createRequest({ ...createInput, size: undefined, body: { start: 0, end: 10 }, complete: false })
    expect(deferred.intent).toEqual({ kind: 'create', end: 10, complete: false, length: undefined, declaresLength: false })
  })

  it('answers are read from the intent, not from headers the request carries (which a user hook may rewrite)', async () => {
    // Headers stripped: the append's range and completeness still come from its intent.
    const stripped = { ...lastAppend, headers: {} }
    expect(await protocol.interpret('append', stripped, res(204, { 'upload-offset': '30' }))).toMatchObject({
      kind: 'error',
      error: { code: 'offset-invalid' },
    })
    expect(await protocol.interpret('append', stripped, res(201, { 'upload-complete': '?1' }))).toMatchObject({ kind: 'complete' })
    const v6 = make({ interopVersion: 6 })
    const last6 = { ...v6.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true }), headers: {} }
    expect(await v6.interpret('append', last6, res(204, { 'upload-offset': '100' }))).toMatchObject({ kind: 'complete' })
  })
})

describe('interim responses', () => {
  const interim = (request: RequestDescription, headers: HeaderMap, status = 104) => protocol.interpretInterim(request, { status, headers })

  it('[C2] ignores a 104 whose interop version is missing, different or not an Integer', async () => {
    for (const version of [undefined, '7', '9', '8.0', '"8"', '08;x', '8, 8']) {
      const headers: HeaderMap = { location: '/upload/1' }
      if (version !== undefined) headers['upload-draft-interop-version'] = version
      const expected = version === '08;x' ? 'location' : 'ignored' // `08;x` is the Integer 8 with a parameter
      expect(interim(optimistic, headers).kind, String(version)).toBe(expected)
    }
  })

  it('[C9][C12] a creation 104 with Location gives the absolute URL and the limits', async () => {
    const headers = { ...V, location: '../upload/b530ce8ff', 'upload-limit': 'max-size=1234567890, max-age=60' }
    expect(interim(optimistic, headers)).toEqual({ kind: 'location', url: UPLOAD, limits: { maxSize: 1234567890, expiresAt: NOW + 60_000 } })
  })

  it('ignores a 104 Location on an append, an unusable Location, and a 104 to HEAD', async () => {
    expect(interim(partAppend, { ...V, location: UPLOAD, 'upload-offset': '50' }).kind).toBe('ignored')
    expect(interim(optimistic, { ...V, location: 'javascript:alert(1)' }).kind).toBe('ignored')
    expect(interim(optimistic, { ...V, location: 'http://[::1' }).kind).toBe('ignored')
    expect(interim(head, { ...V, 'upload-offset': '5' }).kind).toBe('ignored')
  })

  it('a 104 with only Upload-Offset is progress, on creation and on append', async () => {
    expect(interim(optimistic, { ...V, 'upload-offset': '60' })).toEqual({ kind: 'progress', offset: 60 })
    expect(interim(partAppend, { ...V, 'upload-offset': '50' })).toEqual({ kind: 'progress', offset: 50 })
    for (const offset of ['-5', '1.5', '5 junk']) expect(interim(partAppend, { ...V, 'upload-offset': offset }).kind).toBe('ignored')
    expect(interim(partAppend, V).kind).toBe('ignored')
  })

  it('ignores other 1xx responses', async () => {
    for (const status of [100, 102, 103, 199]) expect(interim(optimistic, { ...V, location: UPLOAD }, status).kind).toBe('ignored')
  })
})

describe('creation responses', () => {
  const created = (request: RequestDescription, response: HttpResponse) => protocol.interpret('create', request, response)

  it('[C13] ?1 on a 2xx or 3xx is complete, with the target resource response', async () => {
    const response = res(200, { 'upload-complete': '?1', location: UPLOAD, 'content-type': 'application/json' }, '{"id":1}')
    expect(await created(optimistic, response)).toEqual({ kind: 'complete', url: UPLOAD, response })
    const redirect = res(303, { 'upload-complete': '?1', location: 'ftp://elsewhere/' })
    expect(await created(careful, redirect)).toEqual({ kind: 'complete', url: undefined, response: redirect })
  })

  it('[C13] ?1 on a 4xx/5xx is upload-failed and never retryable, even for 409/413/503', async () => {
    for (const status of [400, 409, 413, 429, 500, 503]) {
      const error = expectError(await created(optimistic, res(status, { 'upload-complete': '?1' })), 'upload-failed', false)
      expect(error.status).toBe(status)
    }
  })

  it('a 2xx without Upload-Complete to a ?1 creation is an ordinary complete upload (§11.1.1)', async () => {
    const response = res(201, { location: '/files/1' })
    expect(await created(optimistic, response)).toEqual({ kind: 'complete', url: 'https://example.com/files/1', response })
  })

  it('[C9] a 2xx with ?0 or without Upload-Complete is created: absolute URL, offset, limits', async () => {
    const headers = { location: '/upload/b530ce8ff', 'upload-limit': 'max-size=1000, min-append-size=10' }
    const expected = { kind: 'created', url: UPLOAD, offset: 0, limits: { maxSize: 1000, minAppendSize: 10 } }
    expect(await created(careful, res(201, { ...headers, 'upload-complete': '?0' }))).toEqual(expected)
    expect(await created(careful, res(201, headers))).toEqual(expected)
    expect(await created(careful, res(201, { ...headers, 'upload-complete': 'true' }))).toEqual(expected) // not a Boolean: ignored
    expect(await created(firstPart, res(201, headers))).toMatchObject({ kind: 'created', offset: 40 })
    expect(await created(firstPart, res(201, { ...headers, 'upload-offset': '30' }))).toMatchObject({ offset: 30 })
    expect(await created(firstPart, res(201, { ...headers, 'upload-offset': '-1' }))).toMatchObject({ offset: 40 })
  })

  it('a created response needs a usable Location', async () => {
    expectError(await created(careful, res(201, { 'upload-complete': '?0' })), 'location-missing', false)
    for (const location of ['ftp://example.com/u', 'javascript:alert(1)', 'data:,x', 'https://user:pw@example.com/u']) {
      expectError(await created(careful, res(201, { location })), 'location-refused', false)
    }
    expectError(await created(careful, res(201, { location: 'http://[::1' })), 'malformed-response', false)
  })

  it('[C18][C11] 409 is a mismatch and 413 too-large, with what the server said', async () => {
    expect(await created(firstPart, res(409, { 'upload-offset': '0', 'upload-complete': '?0' }))).toEqual({ kind: 'mismatch', offset: 0 })
    expect(await created(firstPart, res(413, { 'upload-limit': 'max-append-size=20' }))).toEqual({ kind: 'too-large', limits: { maxAppendSize: 20 } })
  })

  it('[C19] 408, 429 and 5xx are retryable with Retry-After; other statuses are not', async () => {
    expect(expectError(await created(careful, res(429, { 'retry-after': '7' })), 'http-status', true).retryAfter).toBe(7)
    const date = new Date(NOW + 30_000).toUTCString()
    expect(expectError(await created(careful, res(503, { 'retry-after': date })), 'http-status', true).retryAfter).toBe(30)
    for (const status of [408, 500, 502]) expectError(await created(careful, res(status)), 'http-status', true)
    for (const status of [301, 400, 403, 404, 410, 415]) expect(expectError(await created(careful, res(status)), 'http-status', false).status).toBe(status)
  })
})

describe('offset responses (HEAD)', () => {
  const offset = (headers: HeaderMap, status = 204) => protocol.interpret('offset', head, res(status, headers))
  const ok = { 'upload-offset': '25000000', 'upload-complete': '?0', 'upload-length': '100000000' }

  it('reads Upload-Offset, Upload-Complete, Upload-Length and Upload-Limit', async () => {
    const limits = { expiresAt: NOW + 3_600_000 }
    expect(await offset({ ...ok, 'upload-limit': 'max-age=3600' })).toEqual({ kind: 'offset', offset: 25000000, complete: false, length: 100000000, limits })
    expect(await offset({ 'upload-offset': '5', 'upload-complete': '?1' }, 200)).toEqual({
      kind: 'offset',
      offset: 5,
      complete: true,
      length: undefined,
      limits: {},
    })
    expect(await offset({ ...ok, 'upload-length': '1.5' })).toMatchObject({ kind: 'offset', length: undefined })
  })

  it('requires a strict Upload-Offset and Upload-Complete', async () => {
    for (const value of [undefined, '-5', '1.5', '"5"', '5, 6', '1234567890123456', '']) {
      const headers: HeaderMap = { 'upload-complete': '?0' }
      if (value !== undefined) headers['upload-offset'] = value
      expectError(await offset(headers), 'malformed-response', false)
    }
    for (const value of [undefined, 'true', '1', '?2']) {
      const headers: HeaderMap = { 'upload-offset': '5' }
      if (value !== undefined) headers['upload-complete'] = value
      expectError(await offset(headers), 'malformed-response', false)
    }
  })

  it('refuses an offset past the stated length', async () => {
    expectError(await offset({ ...ok, 'upload-offset': '100000001' }), 'offset-invalid', false)
  })

  it('[C17] 404/410 are gone, 408/429/5xx retryable, other statuses not', async () => {
    expect([await offset({}, 404), await offset({}, 410)]).toEqual([{ kind: 'gone' }, { kind: 'gone' }])
    for (const status of [408, 429, 500, 503]) expectError(await offset({}, status), 'http-status', true)
    for (const status of [302, 400, 401, 403, 409]) expectError(await offset({}, status), 'http-status', false)
  })
})

describe('append responses (PATCH)', () => {
  const appended = (request: RequestDescription, response: HttpResponse) => protocol.interpret('append', request, response)

  it('a 2xx with ?0 or without Upload-Complete is appended, offset from the response or the body', async () => {
    expect(await appended(partAppend, res(204, { 'upload-complete': '?0' }))).toEqual({ kind: 'appended', offset: 70, limits: {} })
    expect(await appended(partAppend, res(204, {}))).toMatchObject({ kind: 'appended', offset: 70 })
    expect(await appended(partAppend, res(201, { 'upload-offset': '60', 'upload-limit': 'max-size=9' }))).toEqual({
      kind: 'appended',
      offset: 60,
      limits: { maxSize: 9 },
    })
  })

  it('[C13] ?1 is complete (2xx) or upload-failed (4xx/5xx)', async () => {
    const response = res(200, { 'upload-complete': '?1' }, '{"attachmentId":"b530ce8ff"}')
    expect(await appended(lastAppend, response)).toEqual({ kind: 'complete', url: UPLOAD, response })
    expectError(await appended(lastAppend, res(500, { 'upload-complete': '?1' })), 'upload-failed', false)
  })

  it('[C18] 409 gives the server offset from Upload-Offset, else from a strict problem+json', async () => {
    const problem = (body: unknown, type = 'application/problem+json') => res(409, { 'content-type': type }, JSON.stringify(body))
    const mismatch = 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset'
    expect(await appended(partAppend, res(409, { 'upload-offset': '12500000', 'upload-complete': '?0' }))).toEqual({ kind: 'mismatch', offset: 12500000 })
    expect(await appended(partAppend, problem({ type: mismatch, 'expected-offset': 30, 'provided-offset': 40 }))).toEqual({ kind: 'mismatch', offset: 30 })
    expect(await appended(partAppend, problem({ 'expected-offset': 0 }, 'application/json; charset=utf-8'))).toEqual({ kind: 'mismatch', offset: 0 })
    for (const bad of [-1, 1.5, '30', 2 ** 53, null]) {
      expect(await appended(partAppend, problem({ type: mismatch, 'expected-offset': bad }))).toEqual({ kind: 'mismatch', offset: undefined })
    }
    expect(await appended(partAppend, problem({ type: 'about:blank', 'expected-offset': 3 }))).toEqual({ kind: 'mismatch', offset: undefined })
    expect(await appended(partAppend, problem({ 'expected-offset': 3 }, 'text/plain'))).toEqual({ kind: 'mismatch', offset: undefined })
    expect(await appended(partAppend, res(409, { 'content-type': 'application/problem+json' }, '{bad'))).toEqual({ kind: 'mismatch', offset: undefined })
    expect(await appended(partAppend, problem([1]))).toEqual({ kind: 'mismatch', offset: undefined })
  })

  it('[C11] 413 is too-large with the limits; 404/410 are gone', async () => {
    const limits = { maxAppendSize: 10, minAppendSize: 5 }
    expect(await appended(partAppend, res(413, { 'upload-limit': 'max-append-size=10, min-append-size=5' }))).toEqual({ kind: 'too-large', limits })
    expect([await appended(partAppend, res(404)), await appended(partAppend, res(410))]).toEqual([{ kind: 'gone' }, { kind: 'gone' }])
  })

  it('[C19] 408, 429 and 5xx are retryable with Retry-After; other 4xx are not', async () => {
    expect(expectError(await appended(partAppend, res(503, { 'retry-after': '120' })), 'http-status', true).retryAfter).toBe(120)
    for (const status of [408, 429, 500]) expectError(await appended(partAppend, res(status)), 'http-status', true)
    for (const status of [307, 400, 403, 415]) expectError(await appended(partAppend, res(status)), 'http-status', false)
  })
})

describe('cancel responses (DELETE)', () => {
  it('2xx, 404 and 410 are cancelled; errors are typed', async () => {
    for (const status of [200, 202, 204, 404, 410]) expect(await protocol.interpret('cancel', cancel, res(status))).toEqual({ kind: 'cancelled' })
    expectError(await protocol.interpret('cancel', cancel, res(503)), 'http-status', true)
    expectError(await protocol.interpret('cancel', cancel, res(403)), 'http-status', false)
  })
})

describe('Upload-Limit', () => {
  const limits = (value: string | undefined, interopVersion = 8, receivedAt = 0) => parseUploadLimit(value, { receivedAt, interopVersion })

  it('[C10] reads every key; max-age counts from when the response arrived', async () => {
    const all = limits('max-size=9, min-size=0, max-append-size=5, min-append-size=2, max-age=3;x, other="x"', 8, 1000)
    expect(all).toEqual({ maxSize: 9, minSize: 0, maxAppendSize: 5, minAppendSize: 2, expiresAt: 4000 })
    expect(parseUploadLimit('max-age=3', { receivedAt: undefined, interopVersion: 8 })).toEqual({})
    expect(
      await ietfProtocol().interpret('offset', head, res(204, { 'upload-offset': '1', 'upload-complete': '?0', 'upload-limit': 'max-age=3' })),
    ).toMatchObject({
      limits: {},
    })
  })

  it('ignores the whole field when a known key has the wrong type, or the field is invalid', async () => {
    for (const value of ['max-size="9"', 'max-size=1.0', 'max-size=-1', 'max-size', 'max-size=(1)', 'max-age=?1, max-size=9', 'max-size=9,', 'MAX-SIZE=9']) {
      expect(limits(value), value).toEqual({})
    }
    expect(limits(undefined)).toEqual({})
    expect(limits('constructor=1, to-string=?1, max-size=3')).toEqual({ maxSize: 3 })
  })

  it('uses `expires` up to interop version 6 and `max-age` from 7', async () => {
    expect(limits('expires=2, max-age="x"', 6)).toEqual({ expiresAt: 2000 })
    expect(limits('expires="x", max-age=2', 7)).toEqual({ expiresAt: 2000 })
    const headers = { 'upload-draft-interop-version': '6', location: UPLOAD, 'upload-limit': 'expires=1' }
    const result = make({ interopVersion: 6 }).interpretInterim(careful, { status: 104, headers })
    expect(result).toEqual({ kind: 'location', url: UPLOAD, limits: { expiresAt: NOW + 1000 } })
  })
})

describe('limit helpers', () => {
  it('[C8] planChunk respects chunk size, max-append-size, min-append-size and the size', async () => {
    const plan = (offset: number, size: number | undefined, chunkSize: number, limits = {}, final?: boolean) =>
      planChunk(offset, size, chunkSize, limits, final)
    expect(plan(0, 100, 40)).toBe(40)
    expect(plan(0, 100, 40, { maxAppendSize: 30 })).toBe(30)
    expect(plan(90, 100, 40)).toBe(100)
    expect(plan(0, 100, 10, { minAppendSize: 25 })).toBe(25)
    expect(plan(90, 100, 5, { minAppendSize: 25 })).toBe(100) // the last request may be smaller
    expect(plan(0, undefined, 10, { minAppendSize: 25 })).toBe(25)
    expect(plan(0, undefined, 10, { minAppendSize: 25 }, true)).toBe(10) // a ?1 request is exempt
    expect(plan(0, 100, 50, { minAppendSize: 30, maxAppendSize: 20 })).toBe(20) // the maximum wins
    expect(plan(0, 100, Infinity)).toBe(100)
    expect(plan(0, undefined, Infinity)).toBe(Infinity)
    expect(plan(100, 100, 10)).toBe(100)
    expect(plan(0, 100, 10, { maxAppendSize: 0 })).toBe(1) // always progress
    expect(plan(0, 100, 10.7)).toBe(10)
    for (const chunkSize of [0, 0.5, -1, Number.NaN]) expect(() => plan(0, 100, chunkSize)).toThrow(RangeError)
    expect(() => plan(-1, 100, 10)).toThrow(RangeError)
  })

  it('[C9] checkSize reports a source over max-size as too-large', async () => {
    const error = checkSize(101, { maxSize: 100 })
    expect([error?.code, error?.retryable]).toEqual(['too-large', false])
    expect([checkSize(100, { maxSize: 100 }), checkSize(undefined, { maxSize: 1 }), checkSize(5, {})]).toEqual([undefined, undefined, undefined])
  })

  it('[C10] isExpired compares the expiry with the given time', async () => {
    expect([isExpired({ expiresAt: 10 }, 9), isExpired({ expiresAt: 10 }, 10), isExpired({}, 1e15)]).toEqual([false, true, false])
  })
})

describe('HTTP field helpers', () => {
  it('[C12] resolveLocation gives comparable absolute http(s) URLs', async () => {
    expect(resolveLocation('/upload/b530ce8ff', ENDPOINT)).toEqual({ ok: true, url: UPLOAD })
    expect(resolveLocation(' HTTPS://EXAMPLE.com:443/upload/b530ce8ff ', ENDPOINT)).toEqual({ ok: true, url: UPLOAD })
    expect(resolveLocation('https://example.com/u', '/relative')).toEqual({ ok: true, url: 'https://example.com/u' })
    expect(resolveLocation('/u', '/relative')).toEqual({ ok: false, reason: 'malformed' })
    expect(resolveLocation('', ENDPOINT)).toEqual({ ok: false, reason: 'malformed' })
    expect(resolveLocation('/a\nb', ENDPOINT)).toEqual({ ok: false, reason: 'malformed' })
    expect(resolveLocation('ws://example.com/u', ENDPOINT)).toEqual({ ok: false, reason: 'refused' })
  })

  it('isSameOrigin compares scheme, host and port', async () => {
    expect(isSameOrigin(UPLOAD, 'https://example.com:443/x')).toBe(true)
    expect(isSameOrigin(UPLOAD, 'http://example.com/x')).toBe(false)
    expect(isSameOrigin(UPLOAD, 'https://sub.example.com/x')).toBe(false)
    expect(isSameOrigin('data:,a', 'data:,a')).toBe(false)
    expect(isSameOrigin('/x', '/x')).toBe(false)
  })

  it('parseHttpDate reads the three HTTP-date forms and rejects impossible dates', async () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37)
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(expected)
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(expected)
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(expected)
    for (const value of ['Mon, 31 Feb 2026 00:00:00 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', 'Sun, 06 Foo 1994 08:49:37 GMT', '1994-11-06', 'tomorrow']) {
      expect(parseHttpDate(value), value).toBeUndefined()
    }
  })

  it('parseRetryAfter reads seconds, or a date with a clock', async () => {
    expect(parseRetryAfter('0', undefined)).toBe(0)
    expect(parseRetryAfter(' 42 ', undefined)).toBe(42)
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', undefined)).toBeUndefined()
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1994, 10, 6, 8, 49, 35, 500))).toBe(2)
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', Date.UTC(1995, 0, 1))).toBe(0)
    for (const value of [undefined, '-1', '1.5', 'soon', '99999999999999999999']) expect(parseRetryAfter(value, NOW)).toBeUndefined()
  })
})

// Digest §13–14: the versions real servers speak (tusd v2.10: 3–6), and what they answer.
describe('older interop versions, as real servers speak them', () => {
  const OLD = [3, 4, 5, 6]
  const at = (interopVersion: number) => make({ interopVersion })
  const lengthOf = (request: RequestDescription) => request.headers['upload-length']
  const TUSD_412 = res(
    412,
    { 'content-type': 'text/plain; charset=utf-8', 'tus-resumable': '1.0.0' },
    'ERR_UNSUPPORTED_VERSION: missing, invalid or unsupported Tus-Resumable header\n',
  )

  it('interop 3 writes Upload-Incomplete (inverted, always explicit) and never Upload-Complete', async () => {
    const three = at(3)
    const table: Array<[RequestDescription, string]> = [
      [three.createRequest(createInput), '?0'],
      [three.createRequest({ ...createInput, body: null, complete: false }), '?1'],
      [three.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false }), '?1'],
      [three.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true }), '?0'],
    ]
    for (const [request, incomplete] of table) {
      expect(request.headers['upload-incomplete']).toBe(incomplete)
      expect(request.headers).not.toHaveProperty('upload-complete')
      expect(request.headers['upload-draft-interop-version']).toBe('3')
    }
    for (const version of [4, 5, 6, 7, 8]) expect(at(version).createRequest(createInput).headers).not.toHaveProperty('upload-incomplete')
  })

  it('interop 3 reads Upload-Incomplete on HEAD, creation and append answers; absent on HEAD means complete', async () => {
    const three = at(3)
    const offset = (headers: HeaderMap) => three.interpret('offset', head, res(204, { 'upload-offset': '40', ...headers }))
    expect(await offset({ 'upload-incomplete': '?1' })).toMatchObject({ kind: 'offset', offset: 40, complete: false })
    expect(await offset({ 'upload-incomplete': '?0' })).toMatchObject({ kind: 'offset', complete: true })
    expect(await offset({})).toMatchObject({ kind: 'offset', complete: true })
    expect(errorOf(await offset({ 'upload-incomplete': 'true' })).message).toContain('Upload-Incomplete')
    // Upload-Complete means nothing at interop 3, and Upload-Incomplete nothing at 4 and later.
    expect(await offset({ 'upload-incomplete': '?1', 'upload-complete': '?1' })).toMatchObject({ complete: false })
    expect((await at(4).interpret('offset', head, res(204, { 'upload-offset': '40', 'upload-incomplete': '?0' }))).kind).toBe('error')
    const append = three.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true })
    expect(await three.interpret('append', append, res(200, { 'upload-incomplete': '?0' }))).toMatchObject({ kind: 'complete', url: UPLOAD })
    expect(errorOf(await three.interpret('append', append, res(400, { 'upload-incomplete': '?0' }))).code).toBe('upload-failed')
    const creation = three.createRequest({ ...createInput, body: null, complete: false })
    expect(await three.interpret('create', creation, res(201, { location: UPLOAD, 'upload-incomplete': '?1' }))).toMatchObject({ kind: 'created', offset: 0 })
  })

  it('Upload-Length: on creation when known; on an append only while the server does not know it', async () => {
    for (const version of [3, 4, 5, 6, 7, 8]) {
      const p = at(version)
      const known = p.createRequest({ ...createInput, body: null, complete: false })
      expect(lengthOf(known), `${version} creation`).toBe('100')
      await p.interpret('create', known, res(201, { location: UPLOAD }))
      for (const complete of [false, true]) {
        const append = p.appendRequest({ url: UPLOAD, offset: 0, end: complete ? 100 : 50, size: 100, complete })
        expect(lengthOf(append), `${version} append`).toBeUndefined()
      }
      // A stream: no length at creation; the append that reaches its end states it, once.
      const deferredUrl = `${UPLOAD}-${version}`
      const unknown = p.createRequest({ ...createInput, size: undefined, body: null, complete: false })
      expect(lengthOf(unknown)).toBeUndefined()
      await p.interpret('create', unknown, res(201, { location: deferredUrl }))
      expect(lengthOf(p.appendRequest({ url: deferredUrl, offset: 0, end: 50, size: undefined, complete: false }))).toBeUndefined()
      const last = p.appendRequest({ url: deferredUrl, offset: 50, end: 80, size: 80, complete: true })
      expect(lengthOf(last), `${version} completing append`).toBe('80')
      await p.interpret('append', last, res(204, { 'upload-offset': '60' }))
      expect(lengthOf(p.appendRequest({ url: deferredUrl, offset: 60, end: 80, size: 80, complete: true }))).toBeUndefined()
    }
  })

  it('Upload-Length: a 104 Location, or a HEAD without Upload-Length, marks the length as unknown to the server', async () => {
    const p = make()
    const unknown = p.createRequest({ ...createInput, size: undefined, body: { start: 0, end: 40 }, complete: false })
    p.interpretInterim(unknown, { status: 104, headers: { ...V, location: UPLOAD } })
    expect(lengthOf(p.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true }))).toBe('100')
    // A fresh protocol (a resumed upload) learns it from the HEAD answer.
    const resumed = make()
    await resumed.interpret('offset', head, res(204, { 'upload-offset': '40', 'upload-complete': '?0' }))
    expect(lengthOf(resumed.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true }))).toBe('100')
    await resumed.interpret('offset', head, res(204, { 'upload-offset': '40', 'upload-complete': '?0', 'upload-length': '100' }))
    expect(lengthOf(resumed.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true }))).toBeUndefined()
  })

  it('interop ≤ 6: a 2xx without the completion field to the final append is complete when its offset is the end (tusd: 204)', async () => {
    for (const version of OLD) {
      const p = at(version)
      const last = p.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true })
      const tusd = res(204, { 'upload-offset': '100' })
      expect(await p.interpret('append', last, tusd), String(version)).toEqual({ kind: 'complete', url: UPLOAD, response: tusd, offset: 100 })
      expect((await p.interpret('append', last, res(204))).kind).toBe('complete')
      expect(await p.interpret('append', last, res(204, { 'upload-offset': '70' }))).toEqual({ kind: 'mismatch', offset: 70 })
      const part = p.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false })
      expect(await p.interpret('append', part, res(204, { 'upload-offset': '70' }))).toMatchObject({ kind: 'appended', offset: 70 })
    }
    // From interop 7 the final answer must say Upload-Complete: ?1; without it, it is not complete.
    expect((await protocol.interpret('append', lastAppend, res(204, { 'upload-offset': '100' }))).kind).toBe('appended')
  })

  it('interop ≤ 6: a completing creation answered 201 with Location and Upload-Offset is complete at the end, created below it', async () => {
    for (const version of OLD) {
      const p = at(version)
      const request = p.createRequest(createInput)
      const whole = res(201, { location: UPLOAD, 'upload-offset': '100' })
      expect(await p.interpret('create', request, whole), String(version)).toEqual({ kind: 'complete', url: UPLOAD, response: whole, offset: 100 })
      expect(await p.interpret('create', request, res(201, { location: UPLOAD, 'upload-offset': '40' }))).toMatchObject({
        kind: 'created',
        url: UPLOAD,
        offset: 40,
      })
    }
  })

  it('an Upload-Offset beyond the bytes sent (or before them) is offset-invalid; such a 104 is ignored', async () => {
    expect(errorOf(await protocol.interpret('append', partAppend, res(204, { 'upload-complete': '?0', 'upload-offset': '90' }))).code).toBe('offset-invalid')
    expect(errorOf(await protocol.interpret('append', partAppend, res(204, { 'upload-complete': '?0', 'upload-offset': '30' }))).code).toBe('offset-invalid')
    expect(errorOf(await at(6).interpret('append', lastAppend, res(204, { 'upload-offset': '900' }))).code).toBe('offset-invalid')
    expect(errorOf(await protocol.interpret('create', firstPart, res(201, { location: UPLOAD, 'upload-offset': '41' }))).code).toBe('offset-invalid')
    expect(errorOf(await at(5).interpret('create', optimistic, res(201, { location: UPLOAD, 'upload-offset': '101' }))).code).toBe('offset-invalid')
    const interim = (request: RequestDescription, offset: string) =>
      protocol.interpretInterim(request, { status: 104, headers: { ...V, 'upload-offset': offset } })
    for (const offset of ['90', '39']) expect(interim(partAppend, offset).kind, offset).toBe('ignored')
    expect(interim(partAppend, '70')).toEqual({ kind: 'progress', offset: 70 })
    expect(interim(firstPart, '41').kind).toBe('ignored')
  })

  it('a server that does not speak the version (tusd: 412 about Tus-Resumable, a tus HEAD answer) is version-unsupported', async () => {
    const six = at(6)
    const requests: Array<[Parameters<typeof six.interpret>[0], RequestDescription]> = [
      ['create', six.createRequest(createInput)],
      ['append', six.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false })],
      ['offset', six.offsetRequest(UPLOAD)],
      ['cancel', six.cancelRequest(UPLOAD)],
    ]
    for (const [kind, request] of requests) {
      const error = expectError(await six.interpret(kind, request, TUSD_412), 'version-unsupported', false)
      expect(error.message).toContain('interop version 6')
      expect(error.message).toContain('`interopVersion`')
      expect([error.status, error.body]).toEqual([412, TUSD_412.body])
    }
    const tusHead = res(200, { 'tus-resumable': '1.0.0', 'upload-offset': '40', 'upload-length': '100', 'cache-control': 'no-store' })
    expect(expectError(await at(8).interpret('offset', head, tusHead), 'version-unsupported', false).message).toContain('interop version 8')
  })

  it('every http-status error carries the problem details, or else the first 1 KiB of the body', async () => {
    const problem = { type: 'https://example.com/quota', title: 'over quota', 'quota-left': 0 }
    const withProblem = errorOf(
      await protocol.interpret('create', optimistic, res(403, { 'content-type': 'application/problem+json' }, JSON.stringify(problem))),
    )
    expect([withProblem.code, withProblem.problem, withProblem.body]).toEqual(['http-status', problem, undefined])
    const text = errorOf(await protocol.interpret('append', partAppend, res(503, { 'content-type': 'text/html' }, '<h1>down</h1>')))
    expect([text.problem, text.body, text.retryable]).toEqual([undefined, '<h1>down</h1>', true])
    const long = errorOf(await protocol.interpret('offset', head, res(500, {}, 'x'.repeat(5000))))
    expect(long.body).toBe('x'.repeat(1024))
    const wide = errorOf(await protocol.interpret('cancel', cancel, res(500, {}, 'é'.repeat(600) + 'tail')))
    expect([wide.body?.length, new TextEncoder().encode(wide.body).length]).toEqual([512, 1024])
    const emoji = errorOf(await protocol.interpret('cancel', cancel, res(500, {}, 'a' + '😀'.repeat(300))))
    expect(new TextEncoder().encode(emoji.body).length).toBe(1021) // never half a character
    const notObject = errorOf(await protocol.interpret('cancel', cancel, res(500, { 'content-type': 'application/json' }, '[1]')))
    expect([notObject.problem, notObject.body]).toEqual([undefined, '[1]'])
    const empty = errorOf(await protocol.interpret('cancel', cancel, res(500)))
    expect([empty.problem, empty.body]).toEqual([undefined, undefined])
    const failed = errorOf(await protocol.interpret('append', lastAppend, res(422, { 'upload-complete': '?1' }, 'virus found')))
    expect([failed.code, failed.body]).toEqual(['upload-failed', 'virus found'])
  })
})
