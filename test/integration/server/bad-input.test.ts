import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { PROBLEM_TYPES, startReferenceServer, type ReferenceServer } from '../../server/index'
import {
  createUploadUrl,
  head,
  INTEROP_8,
  interimWhere,
  jsonBody,
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
})

/** Sends raw bytes on a fresh connection and returns everything the server wrote back. */
function rawExchange(url: string, text: string): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text))
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

describe('malformed headers', () => {
  it.each(['abc', '-1', '1.5', '1e3', '1234567890123456', '5, 6', '', '"5"', '?1', '5;'])(
    'answers Upload-Offset %j with 400 and leaves the upload alone',
    async (value) => {
      const srv = (server = await startReferenceServer())
      const url = await createUploadUrl(srv.endpoint)
      const response = await patch(url, 0, 'abc', false, { 'Upload-Offset': value })
      expect(response.status).toBe(400)
      expect(response.headers['content-type']).toBe('application/problem+json')
      expect(jsonBody(response)).toMatchObject({ type: PROBLEM_TYPES.malformedField, field: 'Upload-Offset' })
      expect((await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(0)
    },
  )

  it('answers a repeated Upload-Offset header with 400', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    expect((await patch(url, 0, 'abc', false, { 'Upload-Offset': ['0', '0'] })).status).toBe(400)
    expect(await stored(srv, url)).toEqual(summary(''))
  })

  it('accepts an Upload-Offset with parameters (structured-field syntax)', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    expect((await patch(url, 0, 'abc', false, { 'Upload-Offset': '0;x=1' })).status).toBe(204)
    expect(await stored(srv, url)).toEqual(summary('abc'))
  })

  it('requires Upload-Offset and Upload-Complete on PATCH', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const noOffset = await rawRequest({
      method: 'PATCH',
      url,
      body: 'abc',
      headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Type': 'application/partial-upload', 'Content-Length': 3 },
    })
    expect(noOffset.status).toBe(400)
    const noComplete = await rawRequest({
      method: 'PATCH',
      url,
      body: 'abc',
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Content-Type': 'application/partial-upload', 'Content-Length': 3 },
    })
    expect(noComplete.status).toBe(400)
    expect(jsonBody(noComplete).field).toBe('Upload-Complete')
  })

  it.each(['true', '1', '?2', '?1, ?0'])('answers Upload-Complete %j with 400 on PATCH and on creation', async (value) => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    expect((await patch(url, 0, 'abc', false, { 'Upload-Complete': value })).status).toBe(400)
    const creation = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': value, 'Content-Length': 3 },
      body: 'abc',
    })
    expect(creation.status).toBe(400)
    expect(creation.interim).toEqual([])
    expect(await srv.uploads()).toHaveLength(1)
  })

  it('answers a malformed Upload-Length with 400 and a conflicting one with inconsistent-upload-length', async () => {
    const srv = (server = await startReferenceServer())
    const malformed = await rawRequest({ method: 'POST', url: srv.endpoint, headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Upload-Length': '-5' } })
    expect(malformed.status).toBe(400)
    const conflicting = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?1', 'Upload-Length': 4, 'Content-Length': 3 },
      body: 'abc',
    })
    expect(conflicting.status).toBe(400)
    expect(jsonBody(conflicting).type).toBe(PROBLEM_TYPES.inconsistentLength)
    expect(await srv.uploads()).toEqual([])
  })

  it('answers a wrong media type with 415', async () => {
    const srv = (server = await startReferenceServer())
    const url = await createUploadUrl(srv.endpoint)
    const response = await patch(url, 0, 'abc', false, { 'Content-Type': 'application/octet-stream' })
    expect(response.status).toBe(415)
    expect(await stored(srv, url)).toEqual(summary(''))
  })

  it('answers an unknown upload with 404', async () => {
    const srv = (server = await startReferenceServer())
    const response = await patch(`${srv.endpoint}/${'a'.repeat(32)}`, 0, 'abc', false)
    expect(response.status).toBe(404)
  })
})

describe('robustness', () => {
  it('answers oversized headers with 431 and keeps serving', async () => {
    const srv = (server = await startReferenceServer())
    const response = await rawRequest({ method: 'OPTIONS', url: srv.endpoint, headers: { 'X-Big': 'a'.repeat(20_000) } })
    expect(response.status).toBe(431)
    expect((await rawRequest({ method: 'OPTIONS', url: srv.endpoint })).status).toBe(204)
  })

  it('answers a garbage request and an invalid Content-Length with 400', async () => {
    const srv = (server = await startReferenceServer())
    expect(await rawExchange(srv.url, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /)
    const badLength = 'POST /uploads HTTP/1.1\r\nHost: x\r\nUpload-Complete: ?1\r\nContent-Length: abc\r\n\r\n'
    expect(await rawExchange(srv.url, badLength)).toMatch(/^HTTP\/1\.1 400 /)
    expect(await srv.uploads()).toEqual([])
    expect((await rawRequest({ method: 'OPTIONS', url: srv.endpoint })).status).toBe(204)
  })

  it('keeps every byte of a creation whose client disconnects mid-body', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: 5000 }))
    const body = testBytes(5000, 41)
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: { ...INTEROP_8, 'Upload-Complete': '?1' } })
    await writeBody(open.req, body)
    const url = (await open.firstInterim).headers.location ?? ''
    await interimWhere(open, (interim) => interim.headers['upload-offset'] === '5000')
    open.req.destroy()
    await open.closed
    expect((await head(url)).headers['upload-offset']).toBe('5000')
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256(body))
  })
})
