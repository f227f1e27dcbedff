/**
 * The sans-I/O S3 multipart protocol (src/protocols/s3*.ts), branch by branch, with no network:
 * part-size rules, part requests from signPart answers, part answers (ETag, S3 XML errors and
 * their classes), what the callbacks answer (create, list, complete), and the record.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import {
  S3_DEFAULT_PART_SIZE,
  S3_MAX_PARTS,
  S3_MAX_PART_SIZE,
  S3_MAX_SIZE,
  S3_MIN_PART_SIZE,
  parseS3Error,
  s3,
  type S3Callbacks,
  type S3PartRequest,
} from '../../src/protocols/s3'
import {
  callbackError,
  completionParts,
  partRequest,
  readCompleted,
  readCreated,
  readListedParts,
  readS3RecordState,
  resumeParts,
  s3RecordState,
  sameETag,
} from '../../src/protocols/s3-callbacks'
import { checkS3ChunkSize, s3PartCount, s3PartNumberError, s3PartRange, s3PartSize } from '../../src/protocols/s3-parts'
import { presignedExpiry, readPartResponse } from '../../src/protocols/s3-responses'
import type { HttpResponse } from '../../src/types'
import { seededRandom } from '../support/files'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const TiB = 1024 * GiB

/** Catches what `run` throws, or fails the test when it throws nothing. */
function thrown(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

function uploadError(run: () => unknown): UploadError {
  const error = thrown(run)
  expect(error).toBeInstanceOf(UploadError)
  return error as UploadError
}

describe('part size rules', () => {
  it.each([undefined, Infinity, 5 * MiB, 8 * MiB, 5 * GiB])('takes chunkSize %s', (chunkSize) => {
    expect(() => checkS3ChunkSize(chunkSize)).not.toThrow()
  })

  it.each([
    ['8388608', TypeError],
    [5 * MiB + 0.5, TypeError],
    [Number.NaN, TypeError],
    [null, TypeError],
    [-Infinity, TypeError],
    [5 * MiB - 1, RangeError],
    [0, RangeError],
    [-5 * MiB, RangeError],
    [5 * GiB + 1, RangeError],
  ])('refuses chunkSize %s with %o', (chunkSize, type) => {
    const error = thrown(() => checkS3ChunkSize(chunkSize))
    expect(error).toBeInstanceOf(type)
    expect((error as Error).message).toMatch(/s3 `chunkSize`/)
  })

  it.each([
    { size: 0, chunkSize: undefined, partSize: S3_DEFAULT_PART_SIZE },
    { size: 1, chunkSize: undefined, partSize: 8 * MiB },
    { size: 100 * MiB, chunkSize: undefined, partSize: 8 * MiB },
    { size: 80_000 * MiB, chunkSize: undefined, partSize: 8 * MiB },
    { size: 80_000 * MiB + 1, chunkSize: undefined, partSize: 9 * MiB },
    { size: 5 * TiB, chunkSize: undefined, partSize: 525 * MiB },
    { size: S3_MAX_SIZE, chunkSize: undefined, partSize: 5 * GiB },
    { size: undefined, chunkSize: undefined, partSize: 8 * MiB },
    { size: 10 * MiB, chunkSize: 5 * MiB, partSize: 5 * MiB },
    { size: 50_000 * MiB, chunkSize: 5 * MiB, partSize: 5 * MiB },
    { size: undefined, chunkSize: 6 * MiB, partSize: 6 * MiB },
    { size: 1 * MiB, chunkSize: Infinity, partSize: 5 * MiB },
    { size: 3 * GiB, chunkSize: Infinity, partSize: 3 * GiB },
    { size: 6 * GiB, chunkSize: Infinity, partSize: 5 * GiB },
    { size: undefined, chunkSize: Infinity, partSize: 5 * GiB },
  ])('a $size byte source with chunkSize $chunkSize has parts of $partSize', ({ size, chunkSize, partSize }) => {
    expect(s3PartSize(size, chunkSize)).toBe(partSize)
  })

  it('refuses a chunkSize that would make more than 10,000 parts, naming the least that fits', () => {
    const error = thrown(() => s3PartSize(100 * GiB, 5 * MiB))
    expect(error).toBeInstanceOf(RangeError)
    expect((error as Error).message).toContain(String(Math.ceil((100 * GiB) / S3_MAX_PARTS)))
    expect(s3PartSize(100 * GiB, Math.ceil((100 * GiB) / S3_MAX_PARTS))).toBe(Math.ceil((100 * GiB) / S3_MAX_PARTS))
  })

  it('refuses a source beyond 10,000 parts of 5 GiB with a too-large UploadError, and a negative size with a RangeError', () => {
    const error = uploadError(() => s3PartSize(S3_MAX_SIZE + 1, undefined))
    expect([error.code, error.retryable]).toEqual(['too-large', false])
    expect(thrown(() => s3PartSize(-1, undefined))).toBeInstanceOf(RangeError)
    expect(thrown(() => s3PartSize(1.5, undefined))).toBeInstanceOf(RangeError)
  })

  it('keeps every default plan within S3 limits (random sizes up to the largest, seeded)', () => {
    const random = seededRandom(12)
    for (let run = 0; run < 2000; run++) {
      const size = Math.floor(random() ** 4 * S3_MAX_SIZE)
      const partSize = s3PartSize(size, undefined)
      expect(partSize).toBeGreaterThanOrEqual(S3_MIN_PART_SIZE)
      expect(partSize).toBeLessThanOrEqual(S3_MAX_PART_SIZE)
      expect(s3PartCount(size, partSize)).toBeLessThanOrEqual(S3_MAX_PARTS)
      expect(partSize % MiB).toBe(0)
    }
  })

  it('counts parts and their ranges: every part full but the last, one empty part for an empty source', () => {
    expect(s3PartCount(11 * MiB, 5 * MiB)).toBe(3)
    expect(s3PartCount(10 * MiB, 5 * MiB)).toBe(2)
    expect(s3PartCount(0, 5 * MiB)).toBe(1)
    expect(s3PartRange(3, 11 * MiB, 5 * MiB)).toEqual({ number: 3, start: 10 * MiB, end: 11 * MiB })
    expect(s3PartRange(1, 0, 5 * MiB)).toEqual({ number: 1, start: 0, end: 0 })
  })

  it.each([
    [1, false],
    [10_000, false],
    [0, true],
    [10_001, true],
    [1.5, true],
  ])('part number %s is refused: %s', (number, refused) => {
    const error = s3PartNumberError(number)
    expect(error?.code).toBe(refused ? 'too-large' : undefined)
  })
})

const S3RVER_EXPIRED =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>1</X-Amz-Expires>' +
  '<Expires>2026-12-01T03:06:32Z</Expires><ServerTime>2026-12-01T03:07:31Z</ServerTime></Error>'

/** An S3 error document. */
function xml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>x</HostId></Error>`
}

describe('parseS3Error', () => {
  it.each([
    [S3RVER_EXPIRED, 'AccessDenied', 'Request has expired'],
    [
      xml('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid.'),
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid.',
    ],
    [xml('InvalidArgument', 'a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#65;&#x42; &bogus;'), 'InvalidArgument', 'a <b> & "c" \'d\' AB &bogus;'],
    ['<Error>\n  <Code>SlowDown</Code>\n</Error>', 'SlowDown', undefined],
    ['<Error><Message>only</Message></Error>', undefined, 'only'],
    ['<html><body>502 Bad Gateway</body></html>', undefined, undefined],
    ['', undefined, undefined],
    ['{"error":"nope"}', undefined, undefined],
  ])('reads %j', (body, code, message) => {
    expect(parseS3Error(body)).toEqual({ code, message })
  })
})

const SIGNED_AT = Date.UTC(2026, 11, 1, 3, 7, 31)
const V4_URL =
  'http://127.0.0.1:9000/bars-bucket/a/b%20c.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20261201%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20261201T030731Z&X-Amz-Expires=60&X-Amz-Signature=00&X-Amz-SignedHeaders=host&partNumber=2&uploadId=u1&x-id=UploadPart'

describe('presignedExpiry', () => {
  it.each([
    [V4_URL, SIGNED_AT + 60_000],
    ['https://b.s3.amazonaws.com/k?AWSAccessKeyId=A&Expires=1764558451&Signature=x', 1764558451_000],
    ['https://b.s3.amazonaws.com/k?partNumber=1&uploadId=u', undefined],
    [V4_URL.replace('X-Amz-Expires=60', 'X-Amz-Expires=-5'), undefined],
    [V4_URL.replace('20261201T030731Z', '2026-12-01'), undefined],
    ['not a url', undefined],
  ])('%s expires at %s', (url, expiry) => {
    expect(presignedExpiry(url)).toBe(expiry)
  })
})

function request(url = V4_URL): S3PartRequest {
  return { method: 'PUT', url, headers: {}, body: { start: 5 * MiB, end: 10 * MiB }, partNumber: 2 }
}

function response(status: number, body = '', headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: body === '' ? headers : { 'content-type': 'application/xml', ...headers }, body }
}

describe('readPartResponse', () => {
  it.each([
    [response(200, '', { etag: '"a63c90cc3684ad8b0a2176a6a8fe9005"' }), '"a63c90cc3684ad8b0a2176a6a8fe9005"'],
    [response(200, '', { etag: '  "abc"  ' }), '"abc"'],
    [response(204, '', { etag: 'abc' }), 'abc'],
  ])('a 2xx with an ETag is stored', (answer, etag) => {
    expect(readPartResponse(request(), answer, SIGNED_AT)).toEqual({ kind: 'stored', partNumber: 2, etag })
  })

  it.each([response(200), response(200, '', { etag: '   ' })])('a 2xx without a readable ETag names the CORS rule and does not retry', (answer) => {
    const result = readPartResponse(request(), answer, SIGNED_AT)
    expect(result.kind).toBe('error')
    if (result.kind !== 'error') return
    expect([result.error.code, result.error.retryable]).toEqual(['malformed-response', false])
    expect(result.error.message).toContain('ExposeHeaders: ETag')
  })

  const afterExpiry = SIGNED_AT + 61_000
  const beforeExpiry = SIGNED_AT + 59_000
  it.each([
    { name: 's3rver expired', answer: response(403, S3RVER_EXPIRED), now: afterExpiry, kind: 're-sign', retryable: true },
    { name: 'S3 expired, any time', answer: response(403, xml('AccessDenied', 'Request has expired')), now: beforeExpiry, kind: 're-sign', retryable: true },
    {
      name: 'signature mismatch past expiry',
      answer: response(403, xml('SignatureDoesNotMatch', 'The request signature…')),
      now: afterExpiry,
      kind: 're-sign',
      retryable: true,
    },
    { name: 'signature mismatch before expiry', answer: response(403, xml('SignatureDoesNotMatch', 'x')), now: beforeExpiry, kind: 'error', retryable: false },
    {
      name: 'expired token',
      answer: response(400, xml('ExpiredToken', 'The provided token has expired.')),
      now: beforeExpiry,
      kind: 're-sign',
      retryable: true,
    },
    { name: 'token refresh', answer: response(403, xml('TokenRefreshRequired', 'x')), now: beforeExpiry, kind: 're-sign', retryable: true },
    { name: 'access denied', answer: response(403, xml('AccessDenied', 'Access Denied')), now: afterExpiry, kind: 'error', retryable: false },
    { name: 'bare 403', answer: response(403), now: afterExpiry, kind: 'error', retryable: false },
    {
      name: 'NoSuchUpload',
      answer: response(404, xml('NoSuchUpload', 'The specified upload does not exist.')),
      now: beforeExpiry,
      kind: 'gone',
      retryable: false,
    },
    { name: 'NoSuchBucket', answer: response(404, xml('NoSuchBucket', 'x')), now: beforeExpiry, kind: 'error', retryable: false },
    { name: 'bare 404', answer: response(404), now: beforeExpiry, kind: 'error', retryable: false },
    {
      name: 'InternalError',
      answer: response(500, xml('InternalError', 'We encountered an internal error.')),
      now: beforeExpiry,
      kind: 'error',
      retryable: true,
    },
    { name: 'bare 502', answer: response(502, '<html>Bad Gateway</html>'), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'SlowDown', answer: response(503, xml('SlowDown', 'Please reduce your request rate.')), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'bare 429', answer: response(429), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'RequestTimeout', answer: response(400, xml('RequestTimeout', 'Your socket connection…')), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'IncompleteBody', answer: response(400, xml('IncompleteBody', 'x')), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'BadDigest', answer: response(400, xml('BadDigest', 'x')), now: beforeExpiry, kind: 'error', retryable: true },
    { name: 'EntityTooLarge', answer: response(400, xml('EntityTooLarge', 'x')), now: beforeExpiry, kind: 'error', retryable: false },
    {
      name: 'InvalidArgument',
      answer: response(400, xml('InvalidArgument', 'Part number must be an integer between 1 and 10000')),
      now: beforeExpiry,
      kind: 'error',
      retryable: false,
    },
    { name: 'redirect', answer: response(301, xml('PermanentRedirect', 'x')), now: beforeExpiry, kind: 'error', retryable: false },
  ])('$name: $kind, retryable $retryable', ({ answer, now, kind, retryable }) => {
    const result = readPartResponse(request(), answer, now)
    expect(result.kind).toBe(kind)
    if (result.kind === 'stored') return
    expect(result.error.retryable).toBe(retryable)
    expect(result.error.status).toBe(answer.status)
    expect(result.error.code).toBe(kind === 'gone' ? 'upload-gone' : 'http-status')
    const { code, message } = parseS3Error(answer.body)
    expect(result.error.message).toContain(`part 2 answered ${answer.status}`)
    if (code !== undefined) expect(result.error.message).toContain(`${code}: ${message}`)
    if (answer.body !== '') expect(result.error.body).toBe(answer.body)
  })

  it('re-signs a mismatch only when the URL says when it expires', () => {
    const result = readPartResponse(
      request('https://b.s3.amazonaws.com/k?partNumber=2&uploadId=u'),
      response(403, xml('SignatureDoesNotMatch', 'x')),
      Date.now(),
    )
    expect(result.kind).toBe('error')
  })

  it('keeps Retry-After, in seconds or as a date', () => {
    const seconds = readPartResponse(request(), response(503, xml('SlowDown', 'x'), { 'retry-after': '3' }), SIGNED_AT)
    const date = readPartResponse(request(), response(503, xml('SlowDown', 'x'), { 'retry-after': new Date(SIGNED_AT + 7000).toUTCString() }), SIGNED_AT)
    expect(seconds.kind === 'error' && seconds.error.retryAfter).toBe(3)
    expect(date.kind === 'error' && date.error.retryAfter).toBe(7)
  })
})

describe('readCreated', () => {
  it('takes uploadId and key (and ignores what else the backend says)', () => {
    expect(readCreated({ uploadId: 'u1', key: 'uploads/a b.bin', bucket: 'b' })).toEqual({ uploadId: 'u1', key: 'uploads/a b.bin' })
  })

  it.each([
    null,
    undefined,
    'u1',
    [],
    {},
    { uploadId: '', key: 'k' },
    { uploadId: 1, key: 'k' },
    { uploadId: 'u' },
    { key: 'k' },
    { uploadId: 'u', key: 'a\nb' },
    { uploadId: 'u', key: 'k'.repeat(1025) },
  ])('refuses %j as callback-invalid', (value) => {
    const error = uploadError(() => readCreated(value))
    expect([error.code, error.retryable]).toEqual(['callback-invalid', false])
    expect(error.message).toMatch(/^createMultipartUpload must answer .+; it answered .+/)
  })

  it.each([
    [null, 'a non-empty `uploadId` string; it answered null'],
    ['u1', 'a non-empty `uploadId` string; it answered a string of 2 characters'],
    [[], 'a non-empty `uploadId` string; it answered an array of 0'],
    [{ uploadId: 1, key: 'k' }, 'a non-empty `uploadId` string; it answered `uploadId`: a number'],
    [{ uploadId: 'u' }, 'a non-empty `key` string; it answered `key`: undefined'],
    [{ uploadId: 'u', key: '' }, 'a non-empty `key` string; it answered `key`: an empty string'],
  ])('says what %j lacks', (value, text) => {
    expect(uploadError(() => readCreated(value)).message).toBe(`createMultipartUpload must answer ${text}`)
  })
})

describe('partRequest', () => {
  const part = { number: 3, start: 10 * MiB, end: 11 * MiB }

  it('is a PUT of the part to the presigned URL with only signPart headers, names in lower case', () => {
    const signed = {
      url: V4_URL,
      headers: { 'Content-MD5': 'abc==', 'x-amz-server-side-encryption': 'AES256', Host: 'evil', 'Content-Length': '5' },
      method: 'put',
      expires: 60,
    }
    expect(partRequest(signed, part)).toEqual({
      method: 'PUT',
      url: V4_URL,
      headers: { 'content-md5': 'abc==', 'x-amz-server-side-encryption': 'AES256' },
      body: { start: 10 * MiB, end: 11 * MiB },
      partNumber: 3,
    })
    expect(partRequest({ url: 'https://b.s3.amazonaws.com/k?partNumber=3' }, part).headers).toEqual({})
  })

  it.each([
    null,
    'https://b.s3.amazonaws.com/k',
    {},
    { url: '/relative?partNumber=3' },
    { url: 'ftp://b/k' },
    { url: 'javascript:alert(1)' },
    { url: 42 },
    { url: V4_URL, method: 'POST' },
    { url: V4_URL, method: 1 },
    { url: V4_URL, headers: [['a', 'b']] },
    { url: V4_URL, headers: 'a: b' },
    { url: V4_URL, headers: { a: 1 } },
    { url: V4_URL, headers: { a: 'b\r\nx-injected: 1' } },
    { url: V4_URL, headers: { 'a b': 'c' } },
  ])('refuses %j as callback-invalid', (signed) => {
    const error = uploadError(() => partRequest(signed, part))
    expect([error.code, error.retryable]).toEqual(['callback-invalid', false])
    expect(error.message).toMatch(/^signPart must answer .+; it answered .+/)
    // Never the presigned URL (a capability), nor a header value.
    expect(error.message).not.toMatch(/X-Amz|Signature|bucket|x-injected|alert/i)
  })

  it.each([
    [{ url: 'ftp://b/k' }, 'an absolute http(s) `url`; it answered `url`: a ftp: URL'],
    [{ url: '/relative?partNumber=3' }, 'an absolute http(s) `url`; it answered `url`: no absolute URL'],
    [{ url: 42 }, 'an absolute http(s) `url`; it answered `url`: a number'],
    [{ url: V4_URL, method: 'POST' }, 'no `method`, or PUT; it answered `method`: a string of 4 characters'],
    [{ url: V4_URL, headers: { a: 1 } }, 'header names and single-line string values; it answered a header "a" with a number'],
    [
      { url: V4_URL, headers: { 'a b': 'c' } },
      'header names and single-line string values; it answered a header with a name that is not a token with a string of 1 character',
    ],
  ])('says what is wrong with %j', (signed, text) => {
    expect(uploadError(() => partRequest(signed, part)).message).toBe(`signPart must answer ${text}`)
  })

  // What the AWS SDK for JavaScript 3.729+ presigns by default (measured with the pinned 3.1169
  // presigner): the CRC32 of no bytes, which S3 checks against the part and refuses (BadDigest).
  const SDK_DEFAULT = `${V4_URL}&x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32`

  it.each([
    [{ url: SDK_DEFAULT }, 'x-amz-checksum-crc32'],
    [{ url: `${V4_URL}&x-amz-checksum-sha256=47DEQpj8HBSa%2B%2FTImW%2B5JCeuQeRkm5NMpJWZG3hSuFU%3D` }, 'x-amz-checksum-sha256'],
    [{ url: V4_URL, headers: { 'X-Amz-Checksum-CRC64NVME': 'AAAAAAAAAAA=' } }, 'x-amz-checksum-crc64nvme'],
  ])('refuses a part signed with the checksum of no bytes (%j), naming the client setting that stops it', (signed, name) => {
    const error = uploadError(() => partRequest(signed, part))
    expect([error.code, error.retryable]).toEqual(['callback-invalid', false])
    expect(error.message).toContain(`\`${name}\` of no bytes`)
    expect(error.message).toContain("requestChecksumCalculation: 'WHEN_REQUIRED'")
    expect(error.message).not.toMatch(/X-Amz-Signature|AAAAAA|bucket/)
  })

  it('takes the checksum of no bytes for an empty part, and a real checksum for any part', () => {
    expect(partRequest({ url: SDK_DEFAULT }, { number: 1, start: 0, end: 0 }).url).toBe(SDK_DEFAULT)
    const real = `${V4_URL}&x-amz-checksum-crc32=3q2%2B7w%3D%3D`
    expect(partRequest({ url: real }, part).url).toBe(real)
  })
})

describe('readListedParts', () => {
  const plan = { size: 11 * MiB, partSize: 5 * MiB }

  it.each([
    { listed: [], held: [] },
    {
      listed: [
        { PartNumber: 3, ETag: '"c"', Size: 1 * MiB },
        { PartNumber: 1, ETag: '"a"', Size: 5 * MiB, LastModified: 'x' },
        { PartNumber: 2, ETag: 'b', Size: 5 * MiB },
      ],
      held: [
        { number: 1, etag: '"a"' },
        { number: 2, etag: 'b' },
        { number: 3, etag: '"c"' },
      ],
    },
    { listed: [{ PartNumber: 2, ETag: '"b"' }], held: [{ number: 2, etag: '"b"' }] },
  ])('takes $listed', ({ listed, held }) => {
    expect(readListedParts(listed, plan)).toEqual(held)
  })

  it('takes the one empty part of an empty file', () => {
    expect(readListedParts([{ PartNumber: 1, ETag: '"d41d8cd98f00b204e9800998ecf8427e"', Size: 0 }], { size: 0, partSize: 5 * MiB })).toEqual([
      { number: 1, etag: '"d41d8cd98f00b204e9800998ecf8427e"' },
    ])
  })

  it.each([
    { why: 'a part beyond the plan', listed: [{ PartNumber: 4, ETag: '"d"' }], text: 'names part 4, and this file has parts 1 to 3' },
    { why: 'part 0', listed: [{ PartNumber: 0, ETag: '"d"' }], text: 'names part 0' },
    { why: 'a negative part', listed: [{ PartNumber: -1, ETag: '"d"' }], text: 'names part -1' },
    {
      why: 'a duplicate',
      listed: [
        { PartNumber: 2, ETag: '"b"' },
        { PartNumber: 2, ETag: '"b2"' },
      ],
      text: 'names part 2 twice',
    },
    { why: 'a short non-last part', listed: [{ PartNumber: 1, ETag: '"a"', Size: 4 * MiB }], text: 'says part 1 has 4194304 bytes, and it has 5242880' },
    { why: 'a long last part', listed: [{ PartNumber: 3, ETag: '"c"', Size: 2 * MiB }], text: 'says part 3 has 2097152 bytes, and it has 1048576' },
  ])('refuses $why as offset-invalid', ({ listed, text }) => {
    const error = uploadError(() => readListedParts(listed, plan))
    expect([error.code, error.retryable]).toEqual(['offset-invalid', false])
    expect(error.message).toContain(text)
  })

  it.each([
    null,
    { Parts: [] },
    [null],
    ['1'],
    [{ PartNumber: '1', ETag: '"a"' }],
    [{ PartNumber: 1.5, ETag: '"a"' }],
    [{ PartNumber: 1 }],
    [{ PartNumber: 1, ETag: '' }],
    [{ PartNumber: 1, ETag: 5 }],
    [{ PartNumber: 1, ETag: '"a"', Size: '5242880' }],
  ])('refuses %j as callback-invalid', (listed) => {
    const error = uploadError(() => readListedParts(listed, plan))
    expect([error.code, error.retryable]).toEqual(['callback-invalid', false])
    expect(error.message).toMatch(/^listParts must answer .+; it answered .+/)
  })

  it('names the item that is wrong', () => {
    const listed = [
      { PartNumber: 1, ETag: '"a"' },
      { PartNumber: '2', ETag: '"b"' },
    ]
    expect(uploadError(() => readListedParts(listed, plan)).message).toBe(
      'listParts must answer an integer `PartNumber` for every part; it answered `PartNumber`: a string of 1 character (item 2)',
    )
    expect(uploadError(() => readListedParts({ Parts: [] }, plan)).message).toBe('listParts must answer an array of parts; it answered an object')
  })
})

describe('resumeParts', () => {
  const listed = [
    { number: 1, etag: '"a"' },
    { number: 2, etag: '"b"' },
    { number: 3, etag: '"c"' },
  ]

  it.each([
    { why: 'no record: every listed part', recorded: undefined, held: [1, 2, 3] },
    { why: 'a record that agrees (quotes aside)', recorded: [{ number: 1, etag: 'a' }], held: [1, 2, 3] },
    { why: 'a record naming part 2 with another ETag', recorded: [{ number: 2, etag: '"x"' }], held: [1, 3] },
    { why: 'a recorded part S3 does not list', recorded: [{ number: 4, etag: '"d"' }], held: [1, 2, 3] },
  ])('$why', ({ recorded, held }) => {
    expect(resumeParts(listed, recorded).map((part) => part.number)).toEqual(held)
  })

  it('never holds a part S3 does not list', () => {
    expect(resumeParts([], [{ number: 1, etag: '"a"' }])).toEqual([])
  })
})

describe('completion', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    [{}, undefined],
    [{ location: undefined }, undefined],
    [{ location: 'http://127.0.0.1:1/bars-bucket/k', bucket: 'b' }, 'http://127.0.0.1:1/bars-bucket/k'],
  ])('takes %j', (value, location) => {
    expect(readCompleted(value)).toEqual({ location })
  })

  it.each(['done', 5, [], { location: 5 }, { location: 'bars-bucket/k' }, { location: 'javascript:alert(1)' }])('refuses %j as callback-invalid', (value) => {
    const error = uploadError(() => readCompleted(value))
    expect([error.code, error.retryable]).toEqual(['callback-invalid', false])
    expect(error.message).toMatch(/^completeMultipartUpload must answer .+; it answered .+/)
  })

  it('lists every part ascending, as S3 wants them', () => {
    expect(
      completionParts([
        { number: 2, etag: '"b"' },
        { number: 1, etag: '"a"' },
      ]),
    ).toEqual([
      { PartNumber: 1, ETag: '"a"' },
      { PartNumber: 2, ETag: '"b"' },
    ])
  })

  it('compares ETags without their quotes', () => {
    expect(sameETag('"abc"', 'abc')).toBe(true)
    expect(sameETag('"abc"', '"abd"')).toBe(false)
  })
})

describe('record', () => {
  const upload = { uploadId: 'u1', key: 'uploads/k' }

  it('keeps uploadId, key, part size and the parts (ascending), and reads back through JSON', () => {
    const state = s3RecordState(upload, 5 * MiB, [
      { number: 2, etag: '"b"' },
      { number: 1, etag: '"a"' },
    ])
    expect(state).toEqual({
      uploadId: 'u1',
      key: 'uploads/k',
      partSize: 5 * MiB,
      parts: [
        { number: 1, etag: '"a"' },
        { number: 2, etag: '"b"' },
      ],
    })
    expect(readS3RecordState(JSON.parse(JSON.stringify(state)))).toEqual(state)
  })

  it.each([
    null,
    'x',
    { uploadId: 'u1', key: 'k', partSize: 5 * MiB },
    { uploadId: 'u1', key: 'k', partSize: 0, parts: [] },
    { uploadId: 'u1', key: 'k', partSize: '5', parts: [] },
    { uploadId: '', key: 'k', partSize: 5 * MiB, parts: [] },
    { uploadId: 'u1', key: 'k', partSize: 5 * MiB, parts: [{ number: 0, etag: '"a"' }] },
    { uploadId: 'u1', key: 'k', partSize: 5 * MiB, parts: [{ number: 1 }] },
  ])('reads %j as no record', (value) => {
    expect(readS3RecordState(value)).toBeUndefined()
  })
})

describe('callbackError', () => {
  it('keeps an UploadError, reports an aborted signal as aborted, and makes anything else a retryable callback-failed with its cause', () => {
    const own = new UploadError('too-large', 'x')
    expect(callbackError('signPart', own)).toBe(own)
    const controller = new AbortController()
    controller.abort()
    expect(callbackError('signPart', new Error('AbortError'), controller.signal).code).toBe('aborted')
    const cause = new TypeError('fetch failed')
    const error = callbackError('signPart', cause, new AbortController().signal)
    expect([error.code, error.retryable, error.cause, error.message]).toEqual(['callback-failed', true, cause, 'signPart failed: fetch failed'])
    expect(callbackError('listParts', 'down').message).toBe('listParts failed: down')
  })
})

describe('s3()', () => {
  // A backend written for @uppy/aws-s3, unchanged: it type-checks against S3Callbacks.
  const uppyBackend = {
    async createMultipartUpload(file: { name?: string; type?: string }, signal?: AbortSignal) {
      return { uploadId: `${file.name}-${signal?.aborted}`, key: 'k' }
    },
    async signPart(_file: unknown, { uploadId, key, partNumber, signal }: { uploadId: string; key: string; partNumber: number; signal?: AbortSignal }) {
      return { url: `https://b.s3.amazonaws.com/${key}?uploadId=${uploadId}&partNumber=${partNumber}&aborted=${signal?.aborted}`, headers: {} }
    },
    async listParts(_file: unknown, _options: { uploadId: string; key: string; signal?: AbortSignal }) {
      return [{ PartNumber: 1, ETag: '"a"', Size: 5 }]
    },
    async completeMultipartUpload(_file: unknown, { parts }: { uploadId: string; key: string; parts: { PartNumber?: number; ETag?: string }[] }) {
      return { location: `https://b.s3.amazonaws.com/k?parts=${parts.length}` }
    },
    async abortMultipartUpload() {},
  } satisfies S3Callbacks

  it('bundles the callbacks with the rules, and describes the file', () => {
    const protocol = s3(uppyBackend)
    expect([protocol.name, protocol.version, protocol.parts, protocol.callbacks]).toEqual(['s3', '1', true, uppyBackend])
    expect(protocol.partSize(11 * MiB, 5 * MiB)).toBe(5 * MiB)
    const file = protocol.file({ name: 'a.bin', type: 'application/octet-stream', size: 3 }, { user: 'x', name: 'mine' })
    expect(file).toEqual({
      name: 'a.bin',
      type: 'application/octet-stream',
      size: 3,
      metadata: { user: 'x', name: 'mine' },
      // @uppy/aws-s3's file.meta: the metadata with the file's name and type over it.
      meta: { user: 'x', name: 'a.bin', type: 'application/octet-stream' },
    })
    expect(Object.isFrozen(file) && Object.isFrozen(file.metadata) && Object.isFrozen(file.meta)).toBe(true)
    expect(protocol.file({ size: undefined }, { user: 'x' })).toMatchObject({ name: undefined, meta: { user: 'x' } })
  })

  it.each(['createMultipartUpload', 'signPart', 'listParts', 'completeMultipartUpload', 'abortMultipartUpload'] as const)(
    'refuses callbacks without %s',
    (name) => {
      const callbacks: Record<string, unknown> = { ...uppyBackend, [name]: undefined }
      expect(() => s3(callbacks as unknown as S3Callbacks)).toThrow(new TypeError(`resumable-upload: s3() needs a \`${name}\` function`))
    },
  )

  it('refuses what is not an object', () => {
    expect(() => s3(undefined as unknown as S3Callbacks)).toThrow(TypeError)
  })
})
