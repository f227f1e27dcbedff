import { afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_INTEROP_VERSIONS, PROBLEM_TYPES, startReferenceServer, type ReferenceServer } from '../../server/index'
import { createUploadUrl, head, jsonBody, rawRequest, sha256, summary, testBytes, type RawResponse } from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

function append(url: string, offset: number, body: Buffer, headers: Record<string, string>): Promise<RawResponse> {
  return rawRequest({
    method: 'PATCH', url, body,
    headers: { 'Upload-Offset': offset, 'Upload-Complete': '?0', 'Content-Length': body.length, ...headers },
  })
}

describe('interop versions', () => {
  it.each(DEFAULT_INTEROP_VERSIONS.map((version) => [version]))('speaks interop version %i', async (version) => {
    const srv = (server = await startReferenceServer({ limits: { maxAge: 600 }, now: () => 0 }))
    const headers = { 'Upload-Draft-Interop-Version': String(version) }
    const body = testBytes(2000, version)
    const created = await rawRequest({
      method: 'POST', url: srv.endpoint, headers: { ...headers, 'Upload-Complete': '?0', 'Content-Length': 1000 }, body: body.subarray(0, 1000), waitForInterim: true,
    })
    expect(created.status).toBe(201)
    const [interim] = created.interim
    expect(interim?.headers['upload-draft-interop-version']).toBe(String(version))
    expect(interim?.headers['upload-limit']).toBe(version <= 6 ? 'expires=600' : 'max-age=600')
    const url = created.headers.location ?? ''

    // Older versions accept any (or no) content type on PATCH; 6 and later require application/partial-upload.
    const untyped = await append(url, 1000, body.subarray(1000, 1500), headers)
    expect(untyped.status).toBe(version >= 6 ? 415 : 204)
    const typed = await append(url, version >= 6 ? 1000 : 1500, body.subarray(version >= 6 ? 1000 : 1500, 1500), {
      ...headers, 'Content-Type': 'application/partial-upload',
    })
    expect(typed.status).toBe(204)
    expect(typed.headers['upload-offset']).toBe('1500')

    const last = await rawRequest({
      method: 'PATCH', url, body: body.subarray(1500),
      headers: { ...headers, 'Upload-Offset': 1500, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload' },
    })
    expect(last.status).toBe(200)
    expect(last.headers['upload-offset']).toBe('2000')
    expect((await head(url, headers)).headers['upload-limit']).toBe(version <= 6 ? 'expires=600' : 'max-age=600')
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ interopVersion: version, sha256: sha256(body) })
  })

  it('rejects other PATCH media types from version 6 on', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const response = await append(url, 0, testBytes(10), { 'Upload-Draft-Interop-Version': '8', 'Content-Type': 'application/offset+octet-stream' })
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
    expect((await append(url, 100, body, {})).status).toBe(415)
    const typed = await append(url, 100, body, { 'Content-Type': 'application/partial-upload' })
    expect(typed.status).toBe(204)
    expect(typed.interim).toEqual([])
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ interopVersion: 8, ...summary(Buffer.concat([body, body])) })
  })

  it('answers an unsupported or malformed version with 400 listing the supported ones', async () => {
    const srv = (server = await startReferenceServer())
    for (const value of ['9', '2', 'abc', '8.0', '-8']) {
      const response = await rawRequest({
        method: 'POST', url: srv.endpoint, headers: { 'Upload-Draft-Interop-Version': value, 'Upload-Complete': '?1', 'Content-Length': 3 }, body: 'abc',
      })
      expect(response.status, value).toBe(400)
      expect(response.interim).toEqual([])
      expect(jsonBody(response)).toMatchObject({ type: PROBLEM_TYPES.unsupportedVersion, 'supported-versions': [3, 4, 5, 6, 7, 8] })
    }
    expect(await srv.uploads()).toEqual([])
  })

  it('answers only the configured versions', async () => {
    const srv = (server = await startReferenceServer({ interopVersions: [8] }))
    const url = await createUploadUrl(srv.endpoint)
    const response = await head(url, { 'Upload-Draft-Interop-Version': '7' })
    expect(response.status).toBe(400)
    expect((await head(url)).status).toBe(204)
  })
})
