import { Agent, request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import {
  createEmpty,
  head,
  INTEROP_8,
  jsonBody,
  openRequest,
  patch,
  rawRequest,
  sha256,
  testBytes,
  writeBody,
  type RawResponse,
} from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function expectStored(srv: ReferenceServer, id: string, bytes: Uint8Array, complete = true): Promise<void> {
  const info = await srv.upload(id)
  expect(info).toMatchObject({ offset: bytes.length, complete, sha256: sha256(bytes) })
}

function creationHeaders(size: number): Record<string, string | number> {
  return { ...INTEROP_8, 'Upload-Complete': '?1', 'Content-Length': size, 'Content-Type': 'application/octet-stream' }
}

describe('upload creation', () => {
  it('sends the 104 with Location, Upload-Limit and the interop version before reading any body byte', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 1_000_000 } }))
    const body = testBytes(200_000)
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(body.length) })
    const interim = await open.firstInterim
    expect(interim.status).toBe(104)
    expect(interim.statusMessage).toBe('Upload Resumption Supported')
    expect(interim.headers['upload-draft-interop-version']).toBe('8')
    expect(interim.headers['upload-limit']).toBe('max-size=1000000')
    const location = interim.headers.location ?? ''
    expect(location).toMatch(new RegExp(`^${srv.url}/uploads/[0-9a-f]{32}$`))
    const id = srv.uploadIdFromUrl(location)
    // Not one body byte was written yet, and none was read: the resource exists before the body.
    expect(srv.stats.bodyBytesReceived).toBe(0)
    expect(await srv.upload(id)).toMatchObject({ offset: 0, complete: false, length: body.length })

    await writeBody(open.req, body, 64 * 1024)
    open.req.end()
    const response = await open.response
    expect(response.status).toBe(201)
    expect(response.headers.location).toBe(location)
    expect(response.headers['upload-complete']).toBe('?1')
    expect(response.headers['upload-offset']).toBe(String(body.length))
    expect(response.headers['content-type']).toBe('application/json')
    expect(jsonBody(response)).toEqual({ id, size: body.length, sha256: sha256(body) })
    await expectStored(srv, id, body)
    expect(srv.stats.requests.create).toBe(1)
    expect(srv.stats.perUpload.get(id)).toEqual({ bodyBytesReceived: body.length, requests: 1 })
  })

  it('creates with Upload-Complete: ?1 in one request and keeps the metadata', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(5000, 7)
    const response = await rawRequest({
      method: 'PUT',
      url: srv.endpoint,
      headers: {
        ...creationHeaders(body.length),
        'Content-Type': 'image/png',
        'Content-Disposition': `inline; filename="x.png"; filename*=UTF-8''na%C3%AFve.png`,
        'Upload-Length': body.length,
      },
      body,
      waitForInterim: true,
    })
    expect(response.status).toBe(201)
    expect(response.interim.map((i) => i.status)).toEqual([104])
    const id = srv.uploadIdFromUrl(response.headers.location ?? '')
    await expectStored(srv, id, body)
    expect(await srv.upload(id)).toMatchObject({ contentType: 'image/png', filename: 'naïve.png', length: 5000, kind: 'resumable' })
  })

  it('stores an empty file for an empty ?1 creation', async () => {
    const srv = (server = await startReferenceServer())
    const response = await rawRequest({ method: 'POST', url: srv.endpoint, headers: creationHeaders(0) })
    expect(response.status).toBe(201)
    expect(jsonBody(response)).toMatchObject({ size: 0, sha256: sha256('') })
    await expectStored(srv, srv.uploadIdFromUrl(response.headers.location ?? ''), new Uint8Array(0))
  })

  it('does careful creation (?0, no body) and completes with PATCHes', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(30_000, 3)
    const created = await createEmpty(srv.endpoint, { 'Upload-Length': body.length })
    expect(created.status).toBe(201)
    expect(created.headers['upload-complete']).toBe('?0')
    expect(created.headers['upload-offset']).toBe('0')
    expect(created.headers['upload-limit']).toBe('min-size=0')
    const url = created.headers.location ?? ''
    const id = srv.uploadIdFromUrl(url)

    const first = await patch(url, 0, body.subarray(0, 10_000), false)
    expect(first.status).toBe(204)
    expect(first.headers['upload-complete']).toBe('?0')
    expect(first.headers['upload-offset']).toBe('10000')
    const second = await patch(url, 10_000, body.subarray(10_000, 20_000), false)
    expect(second.headers['upload-offset']).toBe('20000')
    const last = await patch(url, 20_000, body.subarray(20_000), true)
    expect(last.status).toBe(200)
    expect(last.headers['upload-complete']).toBe('?1')
    expect(jsonBody(last)).toEqual({ id, size: body.length, sha256: sha256(body) })
    await expectStored(srv, id, body)

    const state = await head(url)
    expect(state.headers['upload-complete']).toBe('?1')
    expect(state.headers['upload-offset']).toBe(String(body.length))
  })

  it('accepts a first part with ?0 and learns the length from the last ?1 append', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(9000, 4)
    const created = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?0', 'Content-Length': 4000 },
      body: body.subarray(0, 4000),
    })
    expect(created.status).toBe(201)
    expect(created.headers['upload-offset']).toBe('4000')
    const url = created.headers.location ?? ''
    expect((await head(url)).headers['upload-length']).toBeUndefined()
    const last = await patch(url, 4000, body.subarray(4000), true)
    expect(last.status).toBe(200)
    const id = srv.uploadIdFromUrl(url)
    await expectStored(srv, id, body)
    expect((await srv.upload(id))?.length).toBe(body.length)
  })

  it('streams a chunked creation body (no Content-Length) to disk', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(300_000, 5)
    const response = await rawRequest({
      method: 'POST',
      url: srv.endpoint,
      headers: { ...INTEROP_8, 'Upload-Complete': '?1' },
      body,
      chunkSize: 50_000,
    })
    expect(response.status).toBe(201)
    await expectStored(srv, srv.uploadIdFromUrl(response.headers.location ?? ''), body)
  })

  it('answers Expect: 100-continue with the 104 first, then 100 Continue', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(1000)
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: { ...creationHeaders(body.length), Expect: '100-continue' } })
    await new Promise<void>((resolve) => open.req.once('continue', () => resolve()))
    expect(open.interim.map((i) => i.status)).toEqual([104, 100])
    await writeBody(open.req, body)
    open.req.end()
    const response = await open.response
    expect(response.status).toBe(201)
    await expectStored(srv, srv.uploadIdFromUrl(response.headers.location ?? ''), body)
  })

  it('refuses an Expect: 100-continue creation without inviting the body', async () => {
    const srv = (server = await startReferenceServer({ limits: { maxSize: 10 } }))
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: { ...creationHeaders(1000), Expect: '100-continue' } })
    const response = await open.response
    expect(response.status).toBe(413)
    expect(response.interim).toEqual([])
    expect(srv.stats.bodyBytesReceived).toBe(0)
  })

  it('keeps the connection usable after a 104 (keep-alive)', async () => {
    const srv = (server = await startReferenceServer())
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const send = (body: Buffer): Promise<RawResponse & { reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request(srv.endpoint, { method: 'POST', agent, headers: creationHeaders(body.length) })
        req.on('error', reject)
        req.on('response', (res) => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
              interim: [],
              reused: req.reusedSocket,
            }),
          )
        })
        req.end(body)
      })
    try {
      const first = await send(testBytes(100, 1))
      const second = await send(testBytes(200, 2))
      expect([first.status, second.status]).toEqual([201, 201])
      expect(second.reused).toBe(true)
      await expectStored(srv, srv.uploadIdFromUrl(second.headers.location ?? ''), testBytes(200, 2))
    } finally {
      agent.destroy()
    }
  })

  it('stores a plain POST without Upload-Complete and sends no 104', async () => {
    const srv = (server = await startReferenceServer())
    const body = testBytes(70_000, 9)
    const response = await rawRequest({ method: 'POST', url: srv.endpoint, headers: { ...INTEROP_8, 'Content-Length': body.length }, body })
    expect(response.status).toBe(201)
    expect(response.interim).toEqual([])
    expect(response.headers['upload-complete']).toBeUndefined()
    const { id } = jsonBody(response) as { id: string }
    expect(jsonBody(response)).toEqual({ id, size: body.length, sha256: sha256(body) })
    expect(response.headers.location).toBe(`${srv.endpoint}/${id}`)
    await expectStored(srv, id, body)
    expect((await srv.upload(id))?.kind).toBe('plain')
    expect(srv.stats.requests.plain).toBe(1)
  })

  it('sends 104s with Upload-Offset (and no Location) while appending when progressInterimEvery is set', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: 100_000 }))
    const body = testBytes(350_000, 11)
    const url = (await createEmpty(srv.endpoint)).headers.location ?? ''
    const response = await rawRequest({
      method: 'PATCH',
      url,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload', 'Content-Length': body.length },
      body,
      chunkSize: 50_000,
    })
    expect(response.status).toBe(200)
    const offsets = response.interim.map((i) => Number(i.headers['upload-offset']))
    expect(offsets.length).toBe(3)
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b))
    expect(offsets.every((offset, i) => offset >= (i + 1) * 100_000 && offset <= body.length)).toBe(true)
    for (const interim of response.interim) {
      expect(interim.status).toBe(104)
      expect(interim.headers.location).toBeUndefined()
      expect(interim.headers['upload-draft-interop-version']).toBe('8')
    }
    await expectStored(srv, srv.uploadIdFromUrl(url), body)
  })
})
