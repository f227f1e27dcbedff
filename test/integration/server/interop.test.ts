// The reference server speaks each interop version the way tusd v2.10 does (pkg/handler/
// unrouted_handler.go): Upload-Incomplete at 3, no completion field on creation/append answers
// before draft -06, 400 to a repeated Upload-Length at ≤ 6, and a request whose version it does
// not speak is a tus request without Tus-Resumable (412).
import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_INTEROP_VERSIONS, startReferenceServer, type ReferenceServer } from '../../server/index'
import { createUploadUrl, head, rawRequest, sha256, summary, testBytes, type RawResponse } from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** The completion field as a version spells it on a request. */
function completion(version: number, complete: boolean): Record<string, string> {
  return version === 3 ? { 'Upload-Incomplete': complete ? '?0' : '?1' } : { 'Upload-Complete': complete ? '?1' : '?0' }
}

function append(url: string, version: number, offset: number, body: Buffer, headers: Record<string, string> = {}, complete = false): Promise<RawResponse> {
  return rawRequest({
    method: 'PATCH',
    url,
    body,
    headers: {
      'Upload-Draft-Interop-Version': String(version),
      'Upload-Offset': offset,
      'Content-Length': body.length,
      ...completion(version, complete),
      ...headers,
    },
  })
}

const TUSD_412_BODY = 'ERR_UNSUPPORTED_VERSION: missing, invalid or unsupported Tus-Resumable header\n'

describe('interop versions', () => {
  it.each(DEFAULT_INTEROP_VERSIONS.map((version) => [version]))('speaks interop version %i as tusd does', async (version) => {
    const srv = (server = await startReferenceServer({ limits: { maxAge: 600 }, now: () => 0 }))
    const headers = { 'Upload-Draft-Interop-Version': String(version) }
    const typed = { 'Content-Type': 'application/partial-upload' }
    const body = testBytes(2000, version)
    const created = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      body: body.subarray(0, 1000),
      waitForInterim: true,
      headers: { ...headers, ...completion(version, false), 'Upload-Length': 2000, 'Content-Length': 1000 },
    })
    expect(created.status).toBe(201)
    const [interim] = created.interim
    expect(interim?.headers['upload-draft-interop-version']).toBe(String(version))
    expect(interim?.headers['upload-limit']).toBe(version <= 6 ? 'expires=600' : 'max-age=600')
    // Before draft -06 creation and append answers carry no completion field (tusd).
    expect(created.headers['upload-complete']).toBe(version >= 7 ? '?0' : undefined)
    expect(created.headers).not.toHaveProperty('upload-incomplete')
    expect(created.headers['upload-offset']).toBe('1000')
    const url = created.headers.location ?? ''

    // Older versions accept any (or no) content type on PATCH; 6 and later require application/partial-upload.
    const untyped = await append(url, version, 1000, body.subarray(1000, 1500))
    expect(untyped.status).toBe(version >= 6 ? 415 : 204)
    const middle = await append(url, version, version >= 6 ? 1000 : 1500, body.subarray(version >= 6 ? 1000 : 1500, 1500), typed)
    expect([middle.status, middle.headers['upload-offset'], middle.headers['upload-complete']]).toEqual([204, '1500', version >= 7 ? '?0' : undefined])

    // tusd answers 400 to an Upload-Length the upload already has; 7 and 8 accept a consistent one.
    const repeated = await append(url, version, 1500, Buffer.alloc(0), { ...typed, 'Upload-Length': '2000' })
    expect(repeated.status).toBe(version >= 7 ? 204 : 400)

    const last = await append(url, version, 1500, body.subarray(1500), typed, true)
    if (version >= 7) {
      expect([last.status, last.headers['upload-complete'], last.headers['upload-offset']]).toEqual([200, '?1', '2000'])
      expect(JSON.parse(last.body)).toMatchObject({ size: 2000, sha256: sha256(body) })
    } else {
      // tusd: 204 with Upload-Offset at the length, no completion field, no body.
      expect([last.status, last.headers['upload-offset'], last.body]).toEqual([204, '2000', ''])
      expect(last.headers).not.toHaveProperty('upload-complete')
      expect(last.headers).not.toHaveProperty('upload-incomplete')
    }
    const state = await head(url, headers)
    expect(state.headers['upload-limit']).toBe(version <= 6 ? 'expires=600' : 'max-age=600')
    if (version === 3) expect([state.headers['upload-incomplete'], state.headers['upload-complete']]).toEqual(['?0', undefined])
    else expect([state.headers['upload-complete'], state.headers['upload-incomplete']]).toEqual(['?1', undefined])
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ interopVersion: version, sha256: sha256(body) })
  })

  it('interop 3 reads and writes only Upload-Incomplete, which is required on creation and append', async () => {
    const srv = (server = await startReferenceServer())
    const v3 = { 'Upload-Draft-Interop-Version': '3' }
    const wrongField = await rawRequest({ method: 'POST', url: srv.endpoint, headers: { ...v3, 'Upload-Complete': '?0', 'Content-Length': 0 } })
    expect([wrongField.status, JSON.parse(wrongField.body).field]).toEqual([400, 'Upload-Incomplete'])
    const created = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...v3, 'Upload-Incomplete': '?1', 'Upload-Length': 6, 'Content-Length': 0 },
    })
    expect([created.status, created.headers['upload-complete'], created.headers['upload-incomplete']]).toEqual([201, undefined, undefined])
    const url = created.headers.location ?? ''
    const part = await append(url, 3, 0, Buffer.from('abc'))
    expect([part.status, part.headers['upload-offset']]).toEqual([204, '3'])
    const unmarked = await rawRequest({ method: 'PATCH', url, body: 'def', headers: { ...v3, 'Upload-Offset': 3, 'Content-Length': 3 } })
    expect(unmarked.status).toBe(400)
    const mismatch = await append(url, 3, 0, Buffer.from('abc'))
    expect([mismatch.status, mismatch.headers['upload-incomplete'], mismatch.headers['upload-complete']]).toEqual([409, '?1', undefined])
    expect((await head(url, v3)).headers['upload-incomplete']).toBe('?1')
    expect((await append(url, 3, 3, Buffer.from('def'), {}, true)).status).toBe(204)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, ...summary('abcdef') })
  })

  it('at interop ≤ 6 accepts Upload-Length on an append only while the length is deferred', async () => {
    const srv = (server = await startReferenceServer())
    const v5 = { 'Upload-Draft-Interop-Version': '5' }
    const url = await createUploadUrl(srv.endpoint, v5)
    expect((await head(url, v5)).headers['upload-length']).toBeUndefined()
    expect((await append(url, 5, 0, Buffer.from('abcd'), { 'Upload-Length': '10' })).status).toBe(204)
    expect((await head(url, v5)).headers['upload-length']).toBe('10')
    expect((await append(url, 5, 4, Buffer.from('efgh'), { 'Upload-Length': '10' })).status).toBe(400)
    expect((await append(url, 5, 4, Buffer.from('efghij'), {}, true)).status).toBe(204)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, ...summary('abcdefghij') })
  })

  it('at interop ≤ 6 answers a completing creation 201 with Location and Upload-Offset, no completion field or body', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(500)
    const created = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      body,
      headers: { 'Upload-Draft-Interop-Version': '6', 'Upload-Complete': '?1', 'Content-Length': 500 },
    })
    expect([created.status, created.headers['upload-offset'], created.body]).toEqual([201, '500', ''])
    expect(created.headers).not.toHaveProperty('upload-complete')
    expect(await srv.upload(srv.uploadIdFromUrl(created.headers.location ?? ''))).toMatchObject({ complete: true, ...summary(body) })
  })

  it('rejects other PATCH media types from version 6 on', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const response = await append(url, 8, 0, testBytes(10), { 'Content-Type': 'application/offset+octet-stream' })
    expect(response.status).toBe(415)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(0)
  })

  it('treats a request without the header as the newest version but never sends a 104', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxAge: 60 }, now: () => 0, progressInterimEvery: 1 }))
    const body = testBytes(100)
    const created = await rawRequest({ method: 'POST', url: srv.endpoint, headers: { 'Upload-Complete': '?0', 'Content-Length': 100 }, body })
    expect(created.status).toBe(201)
    expect(created.interim).toEqual([])
    expect(created.headers['upload-limit']).toBe('max-age=60')
    const url = created.headers.location ?? ''
    const unversioned = (headers: Record<string, string>) =>
      rawRequest({
        method: 'PATCH',
        url,
        body,
        headers: { 'Upload-Offset': 100, 'Upload-Complete': '?0', 'Content-Length': 100, ...headers },
      })
    expect((await unversioned({})).status).toBe(415)
    const typed = await unversioned({ 'Content-Type': 'application/partial-upload' })
    expect(typed.status).toBe(204)
    expect(typed.interim).toEqual([])
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ interopVersion: 8, ...summary(Buffer.concat([body, body])) })
  })

  it('answers a version it does not speak as tusd does: 412 about Tus-Resumable, no 104, nothing created', async () => {
    const srv = (server = await startReferenceServer())
    for (const value of ['9', '2', 'abc', '8.0', '-8']) {
      const response = await rawRequest({
        method: 'POST',
        url: srv.endpoint,
        headers: { 'Upload-Draft-Interop-Version': value, 'Upload-Complete': '?1', 'Content-Length': 3 },
        body: 'abc',
      })
      expect([response.status, response.body, response.headers['tus-resumable']], value).toEqual([412, TUSD_412_BODY, '1.0.0'])
      expect(response.interim).toEqual([])
    }
    expect(await srv.uploads()).toEqual([])
  })

  it('answers only the configured versions: other ones get tus answers (HEAD) or 412 (PATCH, DELETE)', async () => {
    const srv = (server = await startReferenceServer({ interopVersions: [8] }))
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 9 })
    const v7 = { 'Upload-Draft-Interop-Version': '7' }
    const tus = await head(url, v7)
    expect([tus.status, tus.headers['tus-resumable'], tus.headers['upload-offset'], tus.headers['upload-length']]).toEqual([200, '1.0.0', '0', '9'])
    expect(tus.headers).not.toHaveProperty('upload-complete')
    expect((await append(url, 7, 0, Buffer.from('abc'), { 'Content-Type': 'application/partial-upload' })).status).toBe(412)
    expect((await rawRequest({ method: 'DELETE', url, headers: v7 })).status).toBe(412)
    expect((await head(url)).status).toBe(204)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(0)
  })
})
