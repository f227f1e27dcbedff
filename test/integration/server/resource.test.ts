import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { CORS_EXPOSED_HEADERS, PROBLEM_TYPES, startReferenceServer, type ReferenceServer } from '../../server/index'
import { createEmpty, createUploadUrl, head, INTEROP_8, jsonBody, patch, rawRequest, sha256, stored, summary, testBytes } from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('offset retrieval', () => {
  it('answers HEAD with 204, Upload-Offset, Upload-Complete, Upload-Length, Upload-Limit and no-store', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 10_000 } }))
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 300 })
    await patch(url, 0, testBytes(120), false)
    const response = await head(url)
    expect(response.status).toBe(204)
    expect(response.headers).toMatchObject({
      'upload-offset': '120',
      'upload-complete': '?0',
      'upload-length': '300',
      'upload-limit': 'max-size=10000',
      'cache-control': 'no-store',
    })
    expect(srv.stats.requests.head).toBe(1)
    expect(await stored(srv, url)).toEqual(summary(testBytes(120)))
  })

  it('leaves Upload-Length out while the length is unknown', async () => {
    const srv = (server = await startReferenceServer())
    const response = await head(await createUploadUrl(srv.endpoint))
    expect(response.headers['upload-offset']).toBe('0')
    expect(response.headers['upload-length']).toBeUndefined()
  })

  it('answers GET like HEAD', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 10 })
    const response = await rawRequest({ method: 'GET', url, headers: INTEROP_8 })
    expect(response.status).toBe(204)
    expect(response.headers['upload-offset']).toBe('0')
    expect(response.headers['upload-length']).toBe('10')
  })

  it('answers 404 for an unknown upload and for ids that are not upload ids', async () => {
    const srv = (server = await startReferenceServer())
    for (const path of [
      '/uploads/0123456789abcdef0123456789abcdef',
      '/uploads/..%2F..%2Fetc%2Fpasswd',
      '/uploads/../../etc/passwd',
      '/uploads/0123456789ABCDEF0123456789ABCDEF',
      '/uploads/%2e%2e',
      '/uploads/',
      '/elsewhere',
    ]) {
      const response = await rawRequest({ method: 'GET', url: srv.url + path, headers: INTEROP_8 })
      expect(response.status, path).toBe(404)
    }
  })
})

describe('append', () => {
  it('answers an offset mismatch with 409, the problem body and the server offset', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    await patch(url, 0, 'abcde', false)
    const response = await patch(url, 3, 'fghij', false)
    expect(response.status).toBe(409)
    expect(response.headers['content-type']).toBe('application/problem+json')
    expect(response.headers['upload-offset']).toBe('5')
    expect(response.headers['upload-complete']).toBe('?0')
    expect(jsonBody(response)).toMatchObject({ type: PROBLEM_TYPES.mismatchingOffset, 'expected-offset': 5, 'provided-offset': 3 })
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ offset: 5, sha256: sha256('abcde') })
  })

  it('rejects an Upload-Length that disagrees with the known one (400 inconsistent-upload-length)', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 10 })
    const response = await patch(url, 0, 'abc', false, { 'Upload-Length': 11 })
    expect(response.status).toBe(400)
    expect(jsonBody(response).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect((await head(url)).status).toBe(204)
    expect(await stored(srv, url)).toEqual(summary(''))
  })

  it('rejects ?1 when offset + Content-Length is not the known length', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 10 })
    const response = await patch(url, 0, 'abc', true)
    expect(response.status).toBe(400)
    expect(jsonBody(response).type).toBe(PROBLEM_TYPES.inconsistentLength)
  })

  it('deactivates the upload when data would go past the known length', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 4 })
    const response = await patch(url, 0, 'abcdef', false)
    expect(response.status).toBe(400)
    expect(jsonBody(response).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect((await head(url)).status).toBe(410)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.invalidated).toBe(true)
    expect(await stored(srv, url)).toEqual(summary(''))
  })

  it('deactivates the upload when a chunked body runs past the known length', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 4 })
    const response = await rawRequest({
      method: 'PATCH',
      url,
      body: 'abcdef',
      chunkSize: 3,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?0', 'Content-Type': 'application/partial-upload' },
    })
    expect(response.status).toBe(400)
    expect((await head(url)).status).toBe(410)
    expect(await stored(srv, url)).toEqual(summary('abcd'))
  })

  it('replays the final response to an empty ?1 PATCH on a completed upload, and refuses more data', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const done = await patch(url, 0, 'all of it', true)
    expect(done.status).toBe(200)
    const replay = await patch(url, 9, '', true)
    expect(replay.status).toBe(200)
    expect(replay.body).toBe(done.body)
    const more = await patch(url, 9, 'more', false)
    expect(more.status).toBe(400)
    expect(more.headers['upload-complete']).toBe('?1')
    expect(jsonBody(more).type).toBe(PROBLEM_TYPES.completedUpload)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ offset: 9, sha256: sha256('all of it') })
  })

  it('accepts an empty ?1 PATCH that completes an upload of known length', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': 3 })
    expect((await patch(url, 0, 'xyz', false)).status).toBe(204)
    const done = await patch(url, 3, '', true)
    expect(done.status).toBe(200)
    expect(jsonBody(done)).toMatchObject({ size: 3, sha256: sha256('xyz') })
  })
})

describe('cancellation', () => {
  it('DELETE answers 204, removes the bytes, and the upload answers 410 afterwards', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    await patch(url, 0, testBytes(1000), false)
    const response = await rawRequest({ method: 'DELETE', url, headers: INTEROP_8 })
    expect(response.status).toBe(204)
    expect((await head(url)).status).toBe(410)
    expect((await patch(url, 1000, 'x', false)).status).toBe(410)
    expect((await rawRequest({ method: 'DELETE', url, headers: INTEROP_8 })).status).toBe(410)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ deleted: true, offset: 0, sha256: sha256('') })
    expect(srv.stats.requests.delete).toBe(2)
  })
})

describe('OPTIONS and CORS', () => {
  it('answers OPTIONS /uploads with Upload-Limit (min-size=0 without limits), Allow and preflight headers', async () => {
    const srv = (server = await startReferenceServer())
    const response = await rawRequest({ method: 'OPTIONS', url: srv.endpoint, headers: INTEROP_8 })
    expect(response.status).toBe(204)
    expect(response.headers['upload-limit']).toBe('min-size=0')
    expect(response.headers.allow).toBe('POST, PUT, OPTIONS')
    expect(response.headers['access-control-allow-methods']).toBe('POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS')
    expect(srv.stats.requests.options).toBe(1)
  })

  it('answers OPTIONS * with Upload-Limit', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 5, minSize: 1, maxAppendSize: 4, minAppendSize: 2, maxAge: 60 } }))
    const response = await new Promise<{ status: number; limit: string | undefined }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: new URL(srv.url).port, method: 'OPTIONS', path: '*', agent: false })
      req.on('response', (res) => {
        res.resume()
        resolve({ status: res.statusCode ?? 0, limit: String(res.headers['upload-limit']) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(response).toEqual({ status: 204, limit: 'max-size=5, min-size=1, max-append-size=4, min-append-size=2, max-age=60' })
  })

  it('answers a preflight by echoing the origin and the requested headers', async () => {
    const srv = (server = await startReferenceServer({ cors: { origins: ['http://app.example'] } }))
    const url = await createUploadUrl(srv.endpoint)
    const response = await rawRequest({
      method: 'OPTIONS',
      url,
      headers: {
        Origin: 'http://app.example',
        'Access-Control-Request-Method': 'PATCH',
        'Access-Control-Request-Headers': 'upload-offset, upload-complete, content-type, x-custom',
      },
    })
    expect(response.status).toBe(204)
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': 'http://app.example',
      'access-control-allow-methods': 'POST, PUT, PATCH, HEAD, GET, DELETE, OPTIONS',
      'access-control-allow-headers': 'upload-offset, upload-complete, content-type, x-custom',
      'access-control-max-age': '600',
      'access-control-expose-headers': CORS_EXPOSED_HEADERS,
      'upload-limit': 'min-size=0',
    })
    expect(response.headers.vary).toContain('Origin')
  })

  it('lists the default allowed headers when the preflight names none', async () => {
    const srv = (server = await startReferenceServer())
    const response = await rawRequest({ method: 'OPTIONS', url: srv.endpoint, headers: { Origin: 'http://a', 'Access-Control-Request-Method': 'POST' } })
    const allowed = response.headers['access-control-allow-headers'] ?? ''
    for (const name of [
      'Upload-Offset',
      'Upload-Complete',
      'Upload-Incomplete',
      'Upload-Length',
      'Upload-Draft-Interop-Version',
      'Content-Type',
      'Content-Disposition',
      'Authorization',
      'Tus-Resumable',
      'Upload-Metadata',
    ]) {
      expect(allowed).toContain(name)
    }
  })

  it('puts CORS headers on errors and exposes the upload headers', async () => {
    const srv = (server = await startReferenceServer({ cors: { origins: ['http://a.example'] } }))
    const missing = await rawRequest({ method: 'HEAD', url: `${srv.endpoint}/${'0'.repeat(32)}`, headers: { Origin: 'http://a.example' } })
    expect(missing.status).toBe(404)
    expect(missing.headers['access-control-allow-origin']).toBe('http://a.example')
    expect(missing.headers.vary).toBe('Origin')
    expect(missing.headers['access-control-expose-headers']).toBe(
      'Location, Upload-Offset, Upload-Complete, Upload-Incomplete, Upload-Length, Upload-Limit, Upload-Draft-Interop-Version, Retry-After, Content-Type',
    )
    const created = await createEmpty(srv.endpoint, { Origin: 'http://a.example' })
    expect(created.headers['access-control-allow-origin']).toBe('http://a.example')
  })

  it('answers 405 with Allow for methods a path does not support', async () => {
    const srv = (server = await startReferenceServer())
    const collection = await rawRequest({ method: 'DELETE', url: srv.endpoint })
    expect(collection.status).toBe(405)
    expect(collection.headers.allow).toBe('POST, PUT, OPTIONS')
    const resource = await rawRequest({ method: 'POST', url: await createUploadUrl(srv.endpoint), body: 'x', headers: { 'Content-Length': 1 } })
    expect(resource.status).toBe(405)
    expect(resource.headers.allow).toBe('HEAD, GET, PATCH, DELETE, OPTIONS')
  })
})
