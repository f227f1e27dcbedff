import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import {
  createUploadUrl,
  head,
  INTEROP_8,
  jsonBody,
  nextRequest,
  openRequest,
  patch,
  rawRequest,
  sha256,
  stored,
  summary,
  testBytes,
  writeBody,
} from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  vi.restoreAllMocks()
})

function creationHeaders(size: number): Record<string, string | number> {
  return { ...INTEROP_8, 'Upload-Complete': '?1', 'Content-Length': size }
}

describe('destroy fault', () => {
  it('keeps exactly afterBytes of a creation (after the 104), then the upload resumes', async () => {
    const srv = (server = await startReferenceServer())
    const fault = srv.faults.add({ type: 'destroy', afterBytes: 12_345, match: { kind: 'create' } })
    const body = testBytes(100_000, 21)
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(body.length) })
    const url = (await open.firstInterim).headers.location ?? ''
    void writeBody(open.req, body, 16 * 1024).catch(() => undefined)
    expect(await open.closed).toBeInstanceOf(Error)
    await expect(open.response).rejects.toThrow()
    expect(fault.hits).toBe(1)

    const state = await head(url)
    expect(state.headers['upload-offset']).toBe('12345')
    const id = srv.uploadIdFromUrl(url)
    expect(await srv.upload(id)).toMatchObject({ offset: 12_345, sha256: sha256(body.subarray(0, 12_345)) })
    const rest = await patch(url, 12_345, body.subarray(12_345), true)
    expect(rest.status).toBe(200)
    expect(await srv.upload(id)).toMatchObject({ complete: true, offset: body.length, sha256: sha256(body) })
  })

  it('with afterBytes 0 destroys right after the 104', async () => {
    const srv = (server = await startReferenceServer())
    srv.faults.add({ type: 'destroy', afterBytes: 0 })
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(1000) })
    const url = (await open.firstInterim).headers.location ?? ''
    void writeBody(open.req, testBytes(1000)).catch(() => undefined)
    expect(await open.closed).toBeInstanceOf(Error)
    expect((await head(url)).headers['upload-offset']).toBe('0')
  })

  it('keeps exactly afterBytes of an append', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const id = srv.uploadIdFromUrl(url)
    const fault = srv.faults.add({ type: 'destroy', afterBytes: 777, match: { uploadId: id, method: 'patch' } })
    const body = testBytes(5000, 22)
    await expect(patch(url, 0, body, true)).rejects.toThrow()
    expect(fault.hits).toBe(1)
    expect(await srv.upload(id)).toMatchObject({ offset: 777, sha256: sha256(body.subarray(0, 777)) })
    expect((await patch(url, 777, body.subarray(777), true)).status).toBe(200)
    expect((await srv.upload(id))?.sha256).toBe(sha256(body))
  })

  it('destroys a HEAD instead of answering it, once', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    srv.faults.add({ type: 'destroy', afterBytes: 0, match: { kind: 'head' } })
    await expect(head(url)).rejects.toThrow()
    expect((await head(url)).status).toBe(204)
  })
})

describe('status fault', () => {
  it('answers 503 with Retry-After once without touching the upload, then normally', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const fault = srv.faults.add({ type: 'status', status: 503, retryAfter: 7, match: { kind: 'append' } })
    const body = testBytes(50_000, 23)
    const refused = await patch(url, 0, body, true)
    expect(refused.status).toBe(503)
    expect(refused.headers['retry-after']).toBe('7')
    expect(refused.headers.connection).toBe('close')
    expect(fault.hits).toBe(1)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(0)
    expect((await patch(url, 0, body, true)).status).toBe(200)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256(body))
  })

  it('answers 429 with a body on creation, creating nothing', async () => {
    const srv = (server = await startReferenceServer())
    srv.faults.add({ type: 'status', status: 429, retryAfter: 1, body: 'slow down', match: { kind: 'create' } })
    const response = await rawRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(3), body: 'abc' })
    expect(response).toMatchObject({ status: 429, body: 'slow down', interim: [] })
    expect(response.headers['retry-after']).toBe('1')
    expect(await srv.uploads()).toEqual([])
  })

  it('refuses a HEAD, then allows it', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    srv.faults.add({ type: 'status', status: 403, match: { kind: 'head' } })
    expect((await head(url)).status).toBe(403)
    expect((await head(url)).status).toBe(204)
  })

  it('applies `times` matching requests and can be cleared', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const fault = srv.faults.add({ type: 'status', status: 500, times: 2, match: { method: 'HEAD' } })
    expect((await head(url)).status).toBe(500)
    expect((await head(url)).status).toBe(500)
    expect((await head(url)).status).toBe(204)
    expect(fault.hits).toBe(2)
    const always = srv.faults.add({ type: 'status', status: 502, times: Infinity })
    expect((await head(url)).status).toBe(502)
    expect((await head(url)).status).toBe(502)
    srv.faults.clear()
    expect((await head(url)).status).toBe(204)
    expect(always.hits).toBe(2)
  })

  it('rejects invalid faults', () => {
    return startReferenceServer().then((srv) => {
      server = srv
      expect(() => srv.faults.add({ type: 'status', status: 99 })).toThrow(TypeError)
      expect(() => srv.faults.add({ type: 'destroy', afterBytes: -1 })).toThrow(TypeError)
      expect(() => srv.faults.add({ type: 'headers', set: { 'X-A': 'b\r\nX-Injected: 1' } })).toThrow(TypeError)
    })
  })
})

describe('stall fault', () => {
  it('stops reading until a newer request for the upload aborts it', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const fault = srv.faults.add({ type: 'stall', match: { kind: 'append' } })
    const body = testBytes(1000)
    const started = nextRequest(srv.events, 'append')
    const open = openRequest({
      method: 'PATCH',
      url,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload', 'Content-Length': 1000 },
    })
    void writeBody(open.req, body).catch(() => undefined)
    await started
    const state = await head(url)
    expect(state.headers['upload-offset']).toBe('0')
    expect(await open.closed).toBeInstanceOf(Error)
    expect(fault.hits).toBe(1)
  })

  it('answers after ms', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    srv.faults.add({ type: 'stall', ms: 30, match: { kind: 'append' } })
    const response = await patch(url, 0, 'abc', true)
    expect(response.status).toBe(200)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256('abc'))
  })
})

describe('headers fault', () => {
  it('rewrites the final response: wrong Upload-Offset, no Location, wrong Upload-Complete', async () => {
    const srv = (server = await startReferenceServer())
    srv.faults.add({ type: 'headers', set: { 'Upload-Offset': 'abc', 'upload-complete': '?0' }, remove: ['location'], match: { kind: 'create' } })
    const response = await rawRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(3), body: 'abc' })
    expect(response.status).toBe(201)
    expect(response.headers.location).toBeUndefined()
    expect(response.headers['upload-offset']).toBe('abc')
    expect(response.headers['upload-complete']).toBe('?0')
    const location = response.interim[0]?.headers.location ?? ''
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1/)
    expect(await stored(srv, location)).toEqual(summary('abc'))
  })

  it('rewrites the 104 with interim: true (a foreign Location)', async () => {
    const srv = (server = await startReferenceServer())
    srv.faults.add({ type: 'headers', interim: true, set: { Location: 'http://evil.example/uploads/1' } })
    const response = await rawRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(3), body: 'abc', waitForInterim: true })
    expect(response.interim[0]?.headers.location).toBe('http://evil.example/uploads/1')
    expect(response.headers.location).toMatch(new RegExp(`^${srv.endpoint}/[0-9a-f]{32}$`))
    expect(await stored(srv, response.headers.location ?? '')).toEqual(summary('abc'))
  })
})

describe('expire, forget, restart', () => {
  it('expire makes the upload answer 410', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    await patch(url, 0, 'abc', false)
    expect(await srv.expire(srv.uploadIdFromUrl(url))).toBe(true)
    expect((await head(url)).status).toBe(410)
    expect((await patch(url, 3, 'd', true)).status).toBe(410)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ expired: true, offset: 3 })
  })

  it('forget removes every trace: 404 and no files', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const id = srv.uploadIdFromUrl(url)
    await patch(url, 0, 'abc', false)
    expect(await srv.forget(id)).toBe(true)
    expect((await head(url)).status).toBe(404)
    expect(await srv.upload(id)).toBeUndefined()
    expect((await readdir(srv.dir)).filter((name) => name.startsWith(id))).toEqual([])
    expect(await srv.forget(id)).toBe(false)
  })

  it('restart mid-upload keeps the received bytes and the upload resumes on the same URL', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: 30_000 }))
    const body = testBytes(80_000, 24)
    const url = await createUploadUrl(srv.endpoint, { 'Upload-Length': body.length })
    const open = openRequest({
      method: 'PATCH',
      url,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload', 'Content-Length': body.length },
    })
    await writeBody(open.req, body.subarray(0, 30_000))
    expect((await open.firstInterim).headers['upload-offset']).toBe('30000')
    await srv.restart()
    expect(await open.closed).toBeInstanceOf(Error)
    const state = await head(url)
    expect(state.status).toBe(204)
    expect(state.headers['upload-offset']).toBe('30000')
    expect(state.headers['upload-length']).toBe('80000')
    const rest = await patch(url, 30_000, body.subarray(30_000), true)
    expect(rest.status).toBe(200)
    expect(jsonBody(rest).sha256).toBe(sha256(body))
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256(body))
  })

  it('skips an upload with corrupt metadata on restart, with a warning', async () => {
    const srv = (server = await startReferenceServer())
    const good = await createUploadUrl(srv.endpoint)
    const bad = srv.uploadIdFromUrl(await createUploadUrl(srv.endpoint))
    await writeFile(join(srv.dir, `${bad}.json`), '{"id": "truncated')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await srv.restart()
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(bad))
    expect((await head(good)).status).toBe(204)
    expect((await head(`${srv.endpoint}/${bad}`)).status).toBe(404)
  })
})
