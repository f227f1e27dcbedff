// Unit tests of the tus 1.0 protocol and its helpers (metadata, checksums): request shapes and
// every response branch, without any network.
import { describe, expect, it } from 'vitest'
import type { UploadError } from '../../src/errors'
import { loadProtocol } from '../../src/protocols/load'
import { TUS_CONTENT_TYPE, parseTusInteger, tusProtocol, type TusProtocol, type TusProtocolOptions } from '../../src/protocols/tus'
import { checksumHeader, chooseChecksum } from '../../src/protocols/tus-checksum'
import { digestHeaders, digestOf } from '../../src/upload/digest'
import { decodeBase64, decodeMetadata, encodeBase64, encodeMetadata, isMetadataKey } from '../../src/protocols/tus-metadata'
import type { HeaderMap, HttpResponse, ProtocolResult, RequestDescription, SourceChunk } from '../../src/types'

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0)
const ENDPOINT = 'https://tus.example.com/files/'
const UPLOAD = 'https://tus.example.com/files/24e533e02ec3bc40c387f1a0e460e216'
const T = { 'tus-resumable': '1.0.0' }
const ALL_EXTENSIONS = 'creation,creation-with-upload,creation-defer-length,expiration,checksum,termination'
const res = (status: number, headers: HeaderMap = {}, body = ''): HttpResponse => ({ status, headers, body })
const createInput = { endpoint: ENDPOINT, size: 100, body: null, complete: false, metadata: {} }

/** A protocol that has discovered a server with these OPTIONS headers. */
function discovered(headers: HeaderMap, options: TusProtocolOptions = {}): TusProtocol {
  const protocol = tusProtocol({ clock: () => NOW, ...options })
  const request = protocol.discoverRequest?.(ENDPOINT)
  if (!request) throw new Error('tus has a discovery request')
  expect(protocol.interpret('discover', request, res(204, headers)).kind).toBe('discovered')
  return protocol
}
const full = () => discovered({ 'tus-version': '1.0.0', 'tus-extension': ALL_EXTENSIONS, 'tus-checksum-algorithm': 'md5,sha1,sha256' })

function errorOf(result: ProtocolResult): UploadError {
  if (result.kind !== 'error') throw new Error(`expected an error, got ${result.kind}`)
  return result.error
}
const expectError = (result: ProtocolResult, code: string, retryable: boolean): UploadError => {
  const error = errorOf(result)
  expect([error.code, error.retryable]).toEqual([code, retryable])
  expect(error.message).not.toContain('24e533e0') // the upload URL stays out of messages
  return error
}
const chunkOf = (body: SourceChunk['body'], length: number): SourceChunk => ({ body, length, last: false })
const hello = new TextEncoder().encode('hello')
const EXPIRES = 'Wed, 25 Nov 2026 12:00:00 GMT'
const EXPIRES_AT = { expiresAt: Date.UTC(2026, 10, 25, 12, 0, 0) }

describe('requests', () => {
  const protocol = tusProtocol()

  it('names itself tus 1.0.0 and loads by name', async () => {
    expect([protocol.name, protocol.version, protocol.server]).toEqual(['tus', '1.0.0', undefined])
    expect((await loadProtocol('tus', { clock: () => NOW })).name).toBe('tus')
  })

  it('OPTIONS discovery carries no Tus-Resumable; HEAD and DELETE carry it and no body', () => {
    expect(protocol.discoverRequest?.(ENDPOINT)).toEqual({ method: 'OPTIONS', url: ENDPOINT, headers: {}, body: null, intent: expect.anything() })
    expect(protocol.offsetRequest(UPLOAD)).toEqual({ method: 'HEAD', url: UPLOAD, headers: T, body: null, intent: expect.anything() })
    expect(protocol.cancelRequest(UPLOAD)).toEqual({ method: 'DELETE', url: UPLOAD, headers: T, body: null, intent: expect.anything() })
  })

  it('creation: POST with Upload-Length and metadata (filename/filetype from the source), no body before discovery', () => {
    const request = protocol.createRequest({ ...createInput, body: { start: 0, end: 40 }, metadata: { note: 'hi' }, name: 'a.pdf', type: 'application/pdf' })
    const metadata = 'filename YS5wZGY=,filetype YXBwbGljYXRpb24vcGRm,note aGk='
    expect(request).toEqual({
      method: 'POST',
      url: ENDPOINT,
      headers: { ...T, 'upload-length': '100', 'upload-metadata': metadata },
      body: null,
      intent: expect.anything(),
    })
    const own = protocol.createRequest({ ...createInput, metadata: { filename: 'b', filetype: '' }, name: 'a.pdf', type: 'x/y' })
    expect(own.headers['upload-metadata']).toBe('filename Yg==,filetype')
    expect(protocol.createRequest(createInput).headers).toEqual({ ...T, 'upload-length': '100' })
  })

  it('creation-with-upload: the body goes with POST as offset+octet-stream only when the server lists it', () => {
    const request = full().createRequest({ ...createInput, body: { start: 0, end: 40 } })
    expect(request).toEqual({
      method: 'POST',
      url: ENDPOINT,
      headers: { ...T, 'upload-length': '100', 'content-type': TUS_CONTENT_TYPE },
      body: { start: 0, end: 40 },
      intent: expect.anything(),
    })
    expect(full().createRequest({ ...createInput, body: { start: 0, end: 0 } }).body).toBeNull()
    const plain = discovered({ 'tus-version': '1.0.0', 'tus-extension': 'creation' })
    expect(plain.createRequest({ ...createInput, body: { start: 0, end: 40 } }).body).toBeNull()
  })

  it('creation-defer-length: unknown size sends Upload-Defer-Length: 1; a completing body states its length', () => {
    const deferred = protocol.createRequest({ ...createInput, size: undefined })
    expect(deferred.headers).toEqual({ ...T, 'upload-defer-length': '1' })
    expect(protocol.createRequest({ ...createInput, size: undefined, body: { start: 0, end: 7 }, complete: true }).headers['upload-length']).toBe('7')
  })

  it('append: PATCH with offset+octet-stream and Upload-Offset, no Upload-Length for a known length', () => {
    const request = protocol.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false })
    expect(request).toEqual({
      method: 'PATCH',
      url: UPLOAD,
      headers: { ...T, 'content-type': TUS_CONTENT_TYPE, 'upload-offset': '40' },
      body: { start: 40, end: 70 },
      intent: expect.anything(),
    })
    expect(protocol.appendRequest({ url: UPLOAD, offset: 100, end: 100, size: 100, complete: true }).body).toBeNull()
  })

  it('refuses ranges that contradict themselves or the size', () => {
    for (const [start, end, complete] of [
      [1, 40, false],
      [0, 101, false],
      [0, 40, true],
    ] as const) {
      expect(() => protocol.createRequest({ ...createInput, body: { start, end }, complete })).toThrow(RangeError)
    }
    for (const [offset, end, size, complete] of [
      [50, 40, 100, false],
      [0.5, 40, 100, false],
      [40, 90, 100, true],
      [0, 10, 1.5, false],
    ] as const) {
      expect(() => protocol.appendRequest({ url: UPLOAD, offset, end, size, complete })).toThrow(RangeError)
    }
  })

  it('refuses metadata keys that tus cannot carry', () => {
    for (const key of ['', 'a b', 'a,b', 'ключ', 'a\r\nb']) {
      expect(() => protocol.createRequest({ ...createInput, metadata: { [key]: 'v' } }), JSON.stringify(key)).toThrow(TypeError)
    }
  })

  it('method override: PATCH and DELETE go as POST with X-HTTP-Method-Override; HEAD, OPTIONS and creation do not', () => {
    const override = tusProtocol({ methodOverride: true })
    const patch = override.appendRequest({ url: UPLOAD, offset: 0, end: 10, size: 100, complete: false })
    expect([patch.method, patch.headers['x-http-method-override'], patch.headers['upload-offset']]).toEqual(['POST', 'PATCH', '0'])
    expect(override.cancelRequest(UPLOAD)).toEqual({
      method: 'POST',
      url: UPLOAD,
      headers: { ...T, 'x-http-method-override': 'DELETE' },
      body: null,
      intent: expect.anything(),
    })
    expect(override.offsetRequest(UPLOAD).method).toBe('HEAD')
    expect(override.discoverRequest?.(ENDPOINT)?.method).toBe('OPTIONS')
    expect(override.createRequest(createInput).headers).not.toHaveProperty('x-http-method-override')
    // The overridden PATCH is still read as an append.
    expect(override.interpret('append', patch, res(204, { 'upload-offset': '10' }))).toMatchObject({ kind: 'appended', offset: 10 })
  })

  it('interim responses are all ignored', () => {
    const request = protocol.createRequest(createInput)
    for (const status of [100, 103, 104])
      expect(protocol.interpretInterim(request, { status, headers: { location: UPLOAD, 'upload-offset': '5' } })).toEqual({ kind: 'ignored' })
  })
})

describe('discovery (OPTIONS)', () => {
  const protocol = tusProtocol({ clock: () => NOW })
  const options = protocol.discoverRequest?.(ENDPOINT) as RequestDescription

  it('keeps versions, extensions, checksum algorithms and Tus-Max-Size', () => {
    const headers = {
      'tus-version': '1.0.0,0.2.2',
      'tus-extension': ' creation , checksum,,',
      'tus-checksum-algorithm': 'MD5,sha1',
      'tus-max-size': '1073741824',
    }
    expect(protocol.interpret('discover', options, res(204, headers))).toEqual({ kind: 'discovered', limits: { maxSize: 1073741824 } })
    expect(protocol.server).toEqual({
      versions: ['1.0.0', '0.2.2'],
      extensions: ['creation', 'checksum'],
      checksumAlgorithms: ['md5', 'sha1'],
      maxSize: 1073741824,
    })
  })

  it('ignores an invalid Tus-Max-Size and accepts a bare 200', () => {
    for (const size of ['-1', '1e9', '12abc', '1, 2', '']) {
      expect(protocol.interpret('discover', options, res(200, { 'tus-version': '1.0.0', 'tus-max-size': size }))).toEqual({ kind: 'discovered', limits: {} })
      expect(protocol.server?.maxSize).toBeUndefined()
    }
    expect(protocol.interpret('discover', options, res(200))).toEqual({ kind: 'discovered', limits: {} })
    expect(protocol.server).toEqual({ versions: [], extensions: [], checksumAlgorithms: [], maxSize: undefined })
  })

  it('fails for good when Tus-Version does not list 1.0.0, naming what the server speaks', () => {
    const error = expectError(protocol.interpret('discover', options, res(204, { 'tus-version': '0.2.2,0.2.1' })), 'http-status', false)
    expect(error.message).toContain('0.2.2, 0.2.1')
  })

  it('a server without OPTIONS support (4xx) is discovered with nothing learned; 5xx/429 are retryable', () => {
    for (const status of [400, 404, 405]) expect(protocol.interpret('discover', options, res(status))).toEqual({ kind: 'discovered', limits: {} })
    expect(expectError(protocol.interpret('discover', options, res(503, { 'retry-after': '3' })), 'http-status', true).retryAfter).toBe(3)
    expectError(protocol.interpret('discover', options, res(429)), 'http-status', true)
    expectError(protocol.interpret('discover', options, res(301)), 'http-status', false)
  })
})

describe('creation responses', () => {
  const protocol = full()
  const empty = protocol.createRequest(createInput)
  const withBody = protocol.createRequest({ ...createInput, body: { start: 0, end: 40 } })
  const whole = protocol.createRequest({ ...createInput, body: { start: 0, end: 100 }, complete: true })
  const created = (request: RequestDescription, response: HttpResponse) => protocol.interpret('create', request, response)

  it('201 + Location is created at offset 0, with Upload-Expires as expiresAt; relative Locations resolve', () => {
    expect(created(empty, res(201, { location: '/files/24e533e02ec3bc40c387f1a0e460e216', 'upload-expires': EXPIRES }))).toEqual({
      kind: 'created',
      url: UPLOAD,
      offset: 0,
      limits: EXPIRES_AT,
    })
    expect(created(empty, res(201, { location: UPLOAD, 'upload-expires': 'soon' }))).toEqual({ kind: 'created', url: UPLOAD, offset: 0, limits: {} })
  })

  it('creation-with-upload: the 201 Upload-Offset says what was stored; without it nothing was', () => {
    expect(created(withBody, res(201, { location: UPLOAD, 'upload-offset': '40' }))).toMatchObject({ kind: 'created', offset: 40 })
    expect(created(withBody, res(201, { location: UPLOAD, 'upload-offset': '25' }))).toMatchObject({ kind: 'created', offset: 25 })
    expect(created(withBody, res(201, { location: UPLOAD }))).toMatchObject({ kind: 'created', offset: 0 })
    expectError(created(withBody, res(201, { location: UPLOAD, 'upload-offset': '41' })), 'offset-invalid', false)
    for (const value of ['-1', '4.0', '40;x', 'forty', ''])
      expectError(created(withBody, res(201, { location: UPLOAD, 'upload-offset': value })), 'malformed-response', false)
  })

  it('is complete when the stored offset reaches Upload-Length (whole body, or an empty upload)', () => {
    const response = res(201, { location: UPLOAD, 'upload-offset': '100' })
    expect(created(whole, response)).toEqual({ kind: 'complete', url: UPLOAD, response, offset: 100 })
    const zero = protocol.createRequest({ ...createInput, size: 0, complete: true })
    const answer = res(201, { location: UPLOAD })
    expect(created(zero, answer)).toEqual({ kind: 'complete', url: UPLOAD, response: answer, offset: 0 })
  })

  it('needs a usable Location', () => {
    expectError(created(empty, res(201)), 'location-missing', false)
    for (const location of ['javascript:alert(1)', 'https://u:p@tus.example.com/f'])
      expectError(created(empty, res(201, { location })), 'location-refused', false)
    expectError(created(empty, res(201, { location: 'http://[::1' })), 'malformed-response', false)
  })

  it('413 is too-large, 412 names the versions, 5xx/429/408 retry with Retry-After, other 4xx do not', () => {
    expect(created(empty, res(413))).toEqual({ kind: 'too-large', limits: {} })
    expect(expectError(created(empty, res(412, { 'tus-version': '0.2.2' })), 'http-status', false).message).toContain('0.2.2')
    expect(expectError(created(empty, res(412)), 'http-status', false).status).toBe(412)
    const date = new Date(NOW + 30_000).toUTCString()
    expect(expectError(created(empty, res(503, { 'retry-after': date })), 'http-status', true).retryAfter).toBe(30)
    for (const status of [408, 429, 500]) expectError(created(empty, res(status)), 'http-status', true)
    for (const status of [400, 403, 404, 409, 410, 415, 460]) expect(expectError(created(empty, res(status)), 'http-status', false).status).toBe(status)
    // Without a clock a Retry-After date gives no delay.
    const clockless = tusProtocol()
    expect(expectError(clockless.interpret('create', empty, res(503, { 'retry-after': date })), 'http-status', true).retryAfter).toBeUndefined()
  })
})

describe('offset responses (HEAD)', () => {
  const protocol = tusProtocol({ clock: () => NOW })
  const head = protocol.offsetRequest(UPLOAD)
  const offset = (headers: HeaderMap, status = 200) => protocol.interpret('offset', head, res(status, headers))

  it('reads Upload-Offset, Upload-Length and Upload-Expires; complete when equal; refuses an offset past the length', () => {
    const headers = { 'upload-offset': '70', 'upload-length': '100', 'cache-control': 'no-store', 'upload-expires': EXPIRES }
    expect(offset(headers)).toEqual({ kind: 'offset', offset: 70, complete: false, length: 100, limits: EXPIRES_AT })
    expect(offset({ 'upload-offset': '100', 'upload-length': '100' }, 204)).toMatchObject({ offset: 100, complete: true, length: 100 })
    expect(offset({ 'upload-offset': '0', 'upload-defer-length': '1' })).toEqual({ kind: 'offset', offset: 0, complete: false, length: undefined, limits: {} })
  })

  it('parses integers strictly', () => {
    for (const value of [undefined, '-5', '1.5', '+5', '5, 6', '5;a', '0x10', '1234567890123456', '', ' ']) {
      const headers: HeaderMap = { 'upload-length': '100' }
      if (value !== undefined) headers['upload-offset'] = value
      expectError(offset(headers), 'malformed-response', false)
    }
    expectError(offset({ 'upload-offset': '5', 'upload-length': '1e3' }), 'malformed-response', false)
    expect(offset({ 'upload-offset': ' 5 ', 'upload-length': '007' })).toMatchObject({ offset: 5, length: 7 })
    expect(['0', '70', ' 70 ', '999999999999999'].map(parseTusInteger)).toEqual([0, 70, 70, 999999999999999])
    for (const value of [undefined, '', '-0', '+1', '1.0', '1e3', '0x1', '1,2', '1;a', '1234567890123456', '١٢'])
      expect(parseTusInteger(value), String(value)).toBeUndefined()
    expectError(offset({ 'upload-offset': '101', 'upload-length': '100' }), 'offset-invalid', false)
  })

  it('404, 410 and 403 are gone; 412 fails; 408/429/5xx retry; other statuses do not', () => {
    for (const status of [403, 404, 410]) expect(offset({}, status)).toEqual({ kind: 'gone' })
    expect(expectError(offset({ 'tus-version': '2.0.0' }, 412), 'http-status', false).message).toContain('2.0.0')
    for (const status of [408, 429, 500, 503]) expectError(offset({}, status), 'http-status', true)
    for (const status of [301, 400, 401, 409]) expectError(offset({}, status), 'http-status', false)
  })
})

describe('append responses (PATCH)', () => {
  const protocol = tusProtocol({ clock: () => NOW })
  const part = protocol.appendRequest({ url: UPLOAD, offset: 40, end: 70, size: 100, complete: false })
  const last = protocol.appendRequest({ url: UPLOAD, offset: 70, end: 100, size: 100, complete: true })
  const appended = (request: RequestDescription, response: HttpResponse) => protocol.interpret('append', request, response)

  it('204 with the new Upload-Offset is appended, with Upload-Expires', () => {
    expect(appended(part, res(204, { 'upload-offset': '70', 'upload-expires': EXPIRES }))).toEqual({ kind: 'appended', offset: 70, limits: EXPIRES_AT })
    expect(appended(part, res(204, { 'upload-offset': '55' }))).toMatchObject({ kind: 'appended', offset: 55 })
  })

  it('the PATCH whose new offset equals the length is complete; a last PATCH stored in part is a mismatch at the server offset', () => {
    const response = res(204, { 'upload-offset': '100' })
    expect(appended(last, response)).toEqual({ kind: 'complete', url: UPLOAD, response, offset: 100 })
    expect(appended(last, res(204, { 'upload-offset': '90' }))).toEqual({ kind: 'mismatch', offset: 90 })
  })

  it('requires a valid Upload-Offset within the sent range', () => {
    expectError(appended(part, res(204)), 'malformed-response', false)
    expectError(appended(part, res(204, { 'upload-offset': '7O' })), 'malformed-response', false)
    expectError(appended(part, res(204, { 'upload-offset': '39' })), 'offset-invalid', false)
    expectError(appended(part, res(204, { 'upload-offset': '71' })), 'offset-invalid', false)
  })

  it('409 is a mismatch without offset (HEAD first); 404/410 gone; 413 too-large; 460 retryable', () => {
    expect(appended(part, res(409, { 'upload-offset': '12' }))).toEqual({ kind: 'mismatch', offset: undefined })
    expect([appended(part, res(404)), appended(part, res(410))]).toEqual([{ kind: 'gone' }, { kind: 'gone' }])
    expect(appended(part, res(413))).toEqual({ kind: 'too-large', limits: {} })
    expect(expectError(appended(part, res(460)), 'http-status', true).status).toBe(460)
  })

  it('412 fails naming the versions; 408/429/5xx retry with Retry-After; other 4xx (403: final upload) do not', () => {
    expect(expectError(appended(part, res(412, { 'tus-version': '0.2.2' })), 'http-status', false).message).toContain('0.2.2')
    expect(expectError(appended(part, res(429, { 'retry-after': '9' })), 'http-status', true).retryAfter).toBe(9)
    for (const status of [408, 500, 502]) expectError(appended(part, res(status)), 'http-status', true)
    for (const status of [400, 403, 415]) expectError(appended(part, res(status)), 'http-status', false)
  })

  it('reads a PATCH it did not build from its own headers', () => {
    const foreign: RequestDescription = { ...last, headers: { ...last.headers, 'upload-length': '100' } }
    expect(appended(foreign, res(204, { 'upload-offset': '100' })).kind).toBe('complete')
    const noLength: RequestDescription = { ...part }
    expect(appended(noLength, res(204, { 'upload-offset': '70' })).kind).toBe('appended')
  })
})

describe('deferred length', () => {
  it('sends Upload-Length once, on the first PATCH after the length is known', () => {
    const protocol = full()
    const post = protocol.createRequest({ ...createInput, size: undefined, body: { start: 0, end: 10 } })
    expect(post.headers['upload-defer-length']).toBe('1')
    expect(protocol.interpret('create', post, res(201, { location: UPLOAD, 'upload-offset': '10' }))).toMatchObject({ kind: 'created', offset: 10 })
    const middle = protocol.appendRequest({ url: UPLOAD, offset: 10, end: 20, size: undefined, complete: false })
    expect(middle.headers).not.toHaveProperty('upload-length')
    expect(protocol.interpret('append', middle, res(204, { 'upload-offset': '20' }))).toMatchObject({ kind: 'appended', offset: 20 })
    const last = protocol.appendRequest({ url: UPLOAD, offset: 20, end: 25, size: 25, complete: true })
    expect(last.headers['upload-length']).toBe('25')
    expect(protocol.interpret('append', last, res(204, { 'upload-offset': '25' })).kind).toBe('complete')
    // Once stated, never again.
    expect(protocol.appendRequest({ url: UPLOAD, offset: 25, end: 25, size: 25, complete: true }).headers).not.toHaveProperty('upload-length')
  })

  it('an empty last PATCH states the length and completes', () => {
    const protocol = tusProtocol()
    protocol.interpret('offset', protocol.offsetRequest(UPLOAD), res(200, { 'upload-offset': '30', 'upload-defer-length': '1' }))
    const last = protocol.appendRequest({ url: UPLOAD, offset: 30, end: 30, size: 30, complete: true })
    expect([last.body, last.headers['upload-length']]).toEqual([null, '30'])
    expect(protocol.interpret('append', last, res(204, { 'upload-offset': '30' })).kind).toBe('complete')
  })

  it('HEAD tells which uploads are deferred: Upload-Defer-Length adds, Upload-Length removes', () => {
    const protocol = tusProtocol()
    const head = protocol.offsetRequest(UPLOAD)
    const append = () => protocol.appendRequest({ url: UPLOAD, offset: 5, end: 9, size: 9, complete: true })
    expect(append().headers).not.toHaveProperty('upload-length')
    protocol.interpret('offset', head, res(200, { 'upload-offset': '5', 'upload-defer-length': '1' }))
    expect(append().headers['upload-length']).toBe('9')
    // A known size is stated even on a PATCH that does not end the upload.
    expect(protocol.appendRequest({ url: UPLOAD, offset: 5, end: 7, size: 9, complete: false }).headers['upload-length']).toBe('9')
    expect(protocol.appendRequest({ url: UPLOAD, offset: 5, end: 7, size: undefined, complete: false }).headers).not.toHaveProperty('upload-length')
    protocol.interpret('offset', head, res(200, { 'upload-offset': '5', 'upload-length': '9' }))
    expect(append().headers).not.toHaveProperty('upload-length')
  })
})

describe('cancel responses (DELETE)', () => {
  it('204, 404 and 410 are cancelled; other answers are typed errors', () => {
    const protocol = tusProtocol()
    const cancel = protocol.cancelRequest(UPLOAD)
    for (const status of [200, 204, 404, 410]) expect(protocol.interpret('cancel', cancel, res(status))).toEqual({ kind: 'cancelled' })
    expectError(protocol.interpret('cancel', cancel, res(503)), 'http-status', true)
    expectError(protocol.interpret('cancel', cancel, res(400)), 'http-status', false)
    expectError(protocol.interpret('cancel', cancel, res(412)), 'http-status', false)
  })
})

describe('typed intent', () => {
  it('creation and append say their range, completeness and declared length; answers read it, not the headers', () => {
    const protocol = full()
    const post = protocol.createRequest({ ...createInput, body: { start: 0, end: 40 }, complete: false })
    expect(post.intent).toEqual({ kind: 'create', end: 40, complete: false, length: 100, declaresLength: true })
    const patch = protocol.appendRequest({ url: UPLOAD, offset: 40, end: 100, size: 100, complete: true })
    expect(patch.intent).toEqual({ kind: 'append', offset: 40, end: 100, complete: true, length: 100, declaresLength: false })
    const stripped = { ...patch, headers: {} }
    expect(protocol.interpret('append', stripped, res(204, { 'upload-offset': '100' }))).toMatchObject({ kind: 'complete', offset: 100 })
    expect(protocol.interpret('append', stripped, res(204, { 'upload-offset': '30' }))).toMatchObject({ kind: 'error', error: { code: 'offset-invalid' } })
    expect(protocol.offsetRequest(UPLOAD).intent).toEqual({ kind: 'offset' })
    expect(protocol.discoverRequest?.(ENDPOINT)?.intent).toEqual({ kind: 'discover' })
  })
})

describe('checksums', () => {
  it('Upload-Checksum is sha1 <base64 digest> of the body: known values', async () => {
    expect(checksumHeader('sha1', await digestOf('SHA-1', hello))).toBe('sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=')
    expect(checksumHeader('sha256', await digestOf('SHA-256', hello))).toBe('sha256 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=')
    expect(checksumHeader('sha1', await digestOf('SHA-1', new Uint8Array(0)))).toBe('sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=')
  })

  it('the protocol names the digest it needs and never reads bytes: no source import', async () => {
    const source = await import('node:fs/promises').then((fs) => fs.readFile(new URL('../../src/protocols/tus.ts', import.meta.url), 'utf8'))
    expect(source).not.toMatch(/from '\.\.\/sources\//)
    const protocol = full()
    const patch = protocol.appendRequest({ url: UPLOAD, offset: 0, end: 5, size: 10, complete: false })
    expect(protocol.bodyDigest?.(patch)).toBe('SHA-1')
    expect(protocol.bodyDigest?.(protocol.offsetRequest(UPLOAD))).toBeUndefined()
    expect(protocol.digestHeaders?.(patch, 'SHA-1', await digestOf('SHA-1', hello))).toEqual({ 'upload-checksum': 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=' })
  })

  it('chooses only what the server lists: sha1 first by default, the caller’s choice if listed, never when off', () => {
    expect(chooseChecksum(undefined, ['checksum'], ['md5', 'sha256', 'sha1'])).toBe('sha1')
    expect(chooseChecksum(undefined, ['checksum'], ['sha256'])).toBe('sha256')
    expect(chooseChecksum(undefined, ['checksum'], ['md5', 'crc32'])).toBeUndefined()
    expect(chooseChecksum(undefined, ['creation'], ['sha1'])).toBeUndefined()
    expect(chooseChecksum('sha256', ['checksum'], ['sha1', 'sha256'])).toBe('sha256')
    expect(chooseChecksum('sha256', ['checksum'], ['sha1'])).toBeUndefined()
    expect(chooseChecksum(false, ['checksum'], ['sha1'])).toBeUndefined()
  })

  it('the loop adds Upload-Checksum to body requests once the server listed the extension', async () => {
    const bodyHeaders = async (protocol: TusProtocol, request: RequestDescription, chunk: SourceChunk): Promise<HeaderMap> =>
      (await digestHeaders(protocol, request, chunk)).headers
    const patch = (protocol: TusProtocol) => protocol.appendRequest({ url: UPLOAD, offset: 0, end: 5, size: 10, complete: false })
    const undiscovered = tusProtocol()
    expect(await bodyHeaders(undiscovered, patch(undiscovered), chunkOf(hello, 5))).toEqual({})
    const protocol = full()
    expect(await bodyHeaders(protocol, patch(protocol), chunkOf(hello, 5))).toEqual({ 'upload-checksum': 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=' })
    const post = protocol.createRequest({ ...createInput, body: { start: 0, end: 5 } })
    expect(await bodyHeaders(protocol, post, chunkOf(hello, 5))).toEqual({ 'upload-checksum': 'sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=' })
    expect(await bodyHeaders(protocol, protocol.offsetRequest(UPLOAD), chunkOf(hello, 5))).toEqual({})
    const sha256 = discovered({ 'tus-extension': 'checksum', 'tus-checksum-algorithm': 'sha1,sha256' }, { checksum: 'sha256' })
    expect(await bodyHeaders(sha256, patch(sha256), chunkOf(hello, 5))).toEqual({ 'upload-checksum': 'sha256 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=' })
    const off = discovered({ 'tus-extension': 'checksum', 'tus-checksum-algorithm': 'sha1' }, { checksum: false })
    expect(await bodyHeaders(off, patch(off), chunkOf(hello, 5))).toEqual({})
    // Every chunk body kind: bytes, Blob, a re-iterable AsyncIterable, shared memory; a short body fails.
    const pieces = {
      async *[Symbol.asyncIterator]() {
        yield hello.subarray(0, 2)
        yield hello.subarray(2)
      },
    }
    const shared = new Uint8Array(new SharedArrayBuffer(5))
    shared.set(hello)
    for (const body of [new Blob([hello]), pieces, shared])
      expect(await bodyHeaders(protocol, patch(protocol), chunkOf(body, 5))).toEqual(await bodyHeaders(protocol, post, chunkOf(hello, 5)))
    await expect(bodyHeaders(protocol, patch(protocol), chunkOf(hello, 6))).rejects.toMatchObject({ code: 'source-error' })
  })
})

describe('metadata', () => {
  it('encodes key + space + base64 of UTF-8, comma-separated; an empty value is the bare key', () => {
    expect(encodeMetadata({ filename: 'world_domination_plan.pdf', is_confidential: '' })).toBe('filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential')
    expect(encodeMetadata({ name: 'naïve 日本 😀' })).toBe('name bmHDr3ZlIOaXpeacrCDwn5iA')
    expect(encodeMetadata({})).toBeUndefined()
  })

  it('round-trips Unicode, empty values, commas and spaces inside values', () => {
    const metadata = { filename: 'résumé, final (2).pdf', emoji: '😀👍🏽', empty: '', 'x-ascii': 'plain', rtl: 'שלום', nul: 'a\u0000b' }
    expect(decodeMetadata(encodeMetadata(metadata))).toEqual(metadata)
    expect(decodeMetadata(' a YQ== , b ')).toEqual({ a: 'a', b: '' })
    expect(decodeMetadata(undefined)).toEqual({})
    expect(decodeMetadata('')).toEqual({})
    expect(Object.keys(decodeMetadata('__proto__ YQ==') ?? {})).toEqual(['__proto__'])
  })

  it('refuses malformed values (bad or repeated keys, bad base64, not UTF-8, extra tokens) and bad keys', () => {
    for (const value of ['a b c', 'a YQ', 'a YQ=', 'a Y===', 'a ?Q==', ',', 'a YQ==,a Yg==', 'ключ YQ==', 'a /w==', 'a  YQ==']) {
      expect(decodeMetadata(value), value).toBeUndefined()
    }
    expect(['filename', 'a-b_c.d', '!~'].every(isMetadataKey)).toBe(true)
    expect(['', ' ', 'a b', 'a,b', 'é', '\t'].some(isMetadataKey)).toBe(false)
  })

  it('base64 matches the standard alphabet with padding for every length', () => {
    const bytes = Uint8Array.from({ length: 258 }, (_, i) => (i * 37) % 256)
    for (const slice of Array.from({ length: bytes.length + 1 }, (_, length) => bytes.subarray(0, length))) {
      expect([encodeBase64(slice), decodeBase64(encodeBase64(slice))]).toEqual([Buffer.from(slice).toString('base64'), new Uint8Array(slice)])
    }
  })
})

describe('what http-status errors carry', () => {
  const protocol = full()
  const create = protocol.createRequest(createInput)
  const patch = protocol.appendRequest({ url: UPLOAD, offset: 0, end: 5, size: 100, complete: false })

  it('the problem details when the answer is a JSON object, else the first 1 KiB of the body', () => {
    const problem = { type: 'about:blank', title: 'quota exceeded' }
    const json = errorOf(protocol.interpret('create', create, res(403, { 'content-type': 'application/problem+json; charset=utf-8' }, JSON.stringify(problem))))
    expect([json.code, json.problem, json.body]).toEqual(['http-status', problem, undefined])
    const tusd = res(500, { 'content-type': 'text/plain; charset=utf-8' }, 'ERR_INTERNAL_SERVER_ERROR: disk full\n')
    expect(errorOf(protocol.interpret('append', patch, tusd)).body).toBe(tusd.body)
    expect(errorOf(protocol.interpret('offset', protocol.offsetRequest(UPLOAD), res(500, {}, 'y'.repeat(3000)))).body).toBe('y'.repeat(1024))
    expect(errorOf(protocol.interpret('append', patch, res(460, {}, 'ERR_CHECKSUM_MISMATCH'))).body).toBe('ERR_CHECKSUM_MISMATCH')
    const version = errorOf(protocol.interpret('append', patch, res(412, { 'tus-version': '0.2.2' }, 'ERR_UNSUPPORTED_VERSION')))
    expect([version.status, version.body]).toEqual([412, 'ERR_UNSUPPORTED_VERSION'])
    expect(errorOf(protocol.interpret('cancel', protocol.cancelRequest(UPLOAD), res(500))).body).toBeUndefined()
  })
})
