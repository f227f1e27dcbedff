import { afterEach, describe, expect, it } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import { createEmpty, createUploadUrl, head, INTEROP_8, jsonBody, patch, rawRequest, sha256, testBytes } from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('max-size', () => {
  it('refuses a creation whose length exceeds max-size with 413 and Upload-Limit, creating nothing', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 1000 } }))
    const declared = await createEmpty(srv.endpoint, { 'Upload-Length': 1001 })
    expect(declared.status).toBe(413)
    expect(declared.headers['upload-limit']).toBe('max-size=1000')
    const body = testBytes(1500)
    const complete = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?1', 'Content-Length': body.length },
      body,
    })
    expect(complete.status).toBe(413)
    expect(complete.interim).toEqual([])
    expect(await srv.uploads()).toEqual([])
  })

  it('refuses an append that would pass max-size', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 1000 } }))
    const url = await createUploadUrl(srv.endpoint)
    expect((await patch(url, 0, testBytes(600), false)).status).toBe(204)
    const response = await patch(url, 600, testBytes(600), false)
    expect(response.status).toBe(413)
    expect(response.headers['upload-limit']).toBe('max-size=1000')
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ offset: 600, sha256: sha256(testBytes(600)) })
  })

  it('stops a chunked creation at max-size and deactivates the upload', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 1000 } }))
    const response = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?1' },
      body: testBytes(3000),
      chunkSize: 500,
    })
    expect(response.status).toBe(413)
    const location = response.interim[0]?.headers.location ?? ''
    expect((await head(location)).status).toBe(410)
    expect(await srv.upload(srv.uploadIdFromUrl(location))).toMatchObject({ invalidated: true, offset: 1000 })
  })
})

describe('max-append-size', () => {
  it('refuses a request whose Content-Length exceeds it, before reading', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxAppendSize: 100 } }))
    const url = await createUploadUrl(srv.endpoint)
    const response = await patch(url, 0, testBytes(101), false)
    expect(response.status).toBe(413)
    expect(response.headers['upload-limit']).toBe('max-append-size=100')
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(0)
  })

  it('keeps a chunked body up to the limit, answers 413 with the offset, and the upload continues', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxAppendSize: 100 } }))
    const body = testBytes(250, 2)
    const url = await createUploadUrl(srv.endpoint)
    const response = await rawRequest({
      method: 'PATCH',
      url,
      body,
      chunkSize: 40,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload' },
    })
    expect(response.status).toBe(413)
    expect(response.headers['upload-offset']).toBe('100')
    expect(response.headers['upload-complete']).toBe('?0')
    expect((await patch(url, 100, body.subarray(100, 200), false)).status).toBe(204)
    expect((await patch(url, 200, body.subarray(200), true)).status).toBe(200)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ offset: 250, complete: true, sha256: sha256(body) })
  })

  it('applies to creation requests too', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxAppendSize: 10 } }))
    const response = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Length': 11 },
      body: testBytes(11),
    })
    expect(response.status).toBe(413)
    expect(await srv.uploads()).toEqual([])
  })
})

describe('min-append-size', () => {
  it('refuses a short ?0 append but accepts a short ?1 append and an empty creation', async () => {
    const srv = (server = await startReferenceServer({ limits: { minAppendSize: 100 } }))
    const body = testBytes(150, 3)
    const created = await createEmpty(srv.endpoint)
    expect(created.status).toBe(201)
    const url = created.headers.location ?? ''
    const short = await patch(url, 0, body.subarray(0, 50), false)
    expect(short.status).toBe(413)
    expect(short.headers['upload-limit']).toBe('min-append-size=100')
    expect((await patch(url, 0, body.subarray(0, 100), false)).status).toBe(204)
    expect((await patch(url, 100, body.subarray(100), true)).status).toBe(200)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, sha256: sha256(body) })
  })

  it('refuses a short non-empty ?0 creation', async () => {
    const srv = (server = await startReferenceServer({ limits: { minAppendSize: 100 } }))
    const response = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Length': 10 },
      body: testBytes(10),
    })
    expect(response.status).toBe(413)
    expect(await srv.uploads()).toEqual([])
  })
})

describe('max-age', () => {
  it('counts max-age down and answers 410 once it ran out', async () => {
    let now = Date.UTC(2026, 0, 1)
    const srv = (server = await startReferenceServer({ limits: { maxAge: 60 }, now: () => now }))
    const body = testBytes(10)
    const open = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Length': 10 },
      body,
    })
    expect(open.interim[0]?.headers['upload-limit']).toBe('max-age=60')
    expect(open.headers['upload-limit']).toBe('max-age=60')
    const url = open.headers.location ?? ''
    now += 30_500
    expect((await head(url)).headers['upload-limit']).toBe('max-age=29')
    now += 30_000
    expect((await head(url)).status).toBe(410)
    expect((await patch(url, 10, 'x', true)).status).toBe(410)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ expired: true, offset: 10, sha256: sha256(body) })
  })

  it('uses the expires key for interop versions up to 6', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxAge: 60 }, now: () => 0 }))
    const response = await rawRequest({ method: 'OPTIONS', url: srv.endpoint, headers: { 'Upload-Draft-Interop-Version': '6' } })
    expect(response.headers['upload-limit']).toBe('expires=60')
  })
})

describe('min-size', () => {
  it('offers no upload resource below min-size: ?0 gets 400, ?1 is stored as a plain upload', async () => {
    const srv = (server = await startReferenceServer({ limits: { minSize: 1000 } }))
    const careful = await createEmpty(srv.endpoint, { 'Upload-Length': 999 })
    expect(careful.status).toBe(400)
    expect(careful.headers['upload-limit']).toBe('min-size=1000')
    const body = testBytes(500)
    const small = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?1', 'Content-Length': 500 },
      body,
    })
    expect(small.status).toBe(201)
    expect(small.interim).toEqual([])
    const { id } = jsonBody(small) as { id: string }
    expect(await srv.upload(id)).toMatchObject({ kind: 'plain', complete: true, sha256: sha256(body) })
    expect((await createEmpty(srv.endpoint, { 'Upload-Length': 1000 })).status).toBe(201)
  })
})
