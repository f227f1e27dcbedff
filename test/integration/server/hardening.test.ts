/**
 * The reference server as users run it (issue 10 §5): CORS only for listed origins, the
 * `/__control/` routes off by default and refused to foreign pages, a cap on open uploads, an idle
 * timeout that spares slow uploads, and `Location`s that follow the `Host` behind a reverse proxy.
 */
import { connect } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { Upload } from '../../../src/node'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import { createEmpty, createUploadUrl, INTEROP_8, openRequest, patch, rawRequest, sha256, testBytes } from '../../server/test-client'
import { startCuttingProxy, type CuttingProxy } from '../../support/cutting-proxy'
import { randomData, tempDir, writeTestFile } from '../../support/files'

let server: ReferenceServer | undefined
let proxy: CuttingProxy | undefined
afterEach(async () => {
  await proxy?.close()
  proxy = undefined
  await server?.close()
  server = undefined
})

const EVIL = 'http://evil.example'
const APP = 'http://app.example'

function addFault(srv: ReferenceServer, headers: Record<string, string>): ReturnType<typeof rawRequest> {
  const body = JSON.stringify({ type: 'status', status: 500, times: -1 })
  return rawRequest({
    method: 'POST',
    url: `${srv.url}/__control/faults`,
    headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers },
    body,
  })
}

describe('CORS allow-list', () => {
  it('sends no CORS headers by default, so no other page can read a response', async () => {
    const srv = (server = await startReferenceServer())
    const created = await createEmpty(srv.endpoint, { Origin: EVIL })
    expect(created.status).toBe(201)
    expect(created.headers['access-control-allow-origin']).toBeUndefined()
    expect(created.headers['access-control-allow-credentials']).toBeUndefined()
    expect(created.headers.vary).toBe('Origin')
    const preflight = await rawRequest({
      method: 'OPTIONS',
      url: srv.endpoint,
      headers: { Origin: EVIL, 'Access-Control-Request-Method': 'DELETE', 'Access-Control-Request-Private-Network': 'true' },
    })
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    expect(preflight.headers['access-control-allow-private-network']).toBeUndefined()
  })

  it('answers listed origins only, with credentials only when asked for', async () => {
    const srv = (server = await startReferenceServer({ cors: { origins: [APP] } }))
    const allowed = await createEmpty(srv.endpoint, { Origin: APP })
    expect(allowed.headers['access-control-allow-origin']).toBe(APP)
    expect(allowed.headers['access-control-expose-headers']).toContain('Location')
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined()
    expect((await createEmpty(srv.endpoint, { Origin: EVIL })).headers['access-control-allow-origin']).toBeUndefined()
    // An origin added while the server runs (a page server started after it).
    srv.allowCorsOrigin('http://127.0.0.1:5173/')
    expect((await createEmpty(srv.endpoint, { Origin: 'http://127.0.0.1:5173' })).headers['access-control-allow-origin']).toBe('http://127.0.0.1:5173')
    await srv.close()

    const withCredentials = (server = await startReferenceServer({ cors: { origins: [APP], credentials: true } }))
    const answer = await createEmpty(withCredentials.endpoint, { Origin: APP })
    expect(answer.headers).toMatchObject({ 'access-control-allow-origin': APP, 'access-control-allow-credentials': 'true' })
    expect((await createEmpty(withCredentials.endpoint, { Origin: EVIL })).headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('answers * for any origin without credentials, and refuses * with credentials or a non-origin', async () => {
    const srv = (server = await startReferenceServer({ cors: { origins: ['*'] } }))
    const answer = await createEmpty(srv.endpoint, { Origin: EVIL })
    expect(answer.headers['access-control-allow-origin']).toBe('*')
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined()
    await expect(startReferenceServer({ cors: { origins: ['*'], credentials: true } })).rejects.toThrow(TypeError)
    await expect(startReferenceServer({ cors: { origins: ['http://app.example/path'] } })).rejects.toThrow(TypeError)
  })
})

describe('control routes', () => {
  it('refuse cross-origin browser requests unless the origin is listed by name, even under *', async () => {
    const srv = (server = await startReferenceServer({ control: true, cors: { origins: ['*', APP] } }))
    const foreign = await addFault(srv, { Origin: EVIL })
    expect(foreign.status).toBe(403)
    expect(foreign.headers['access-control-allow-origin']).toBe('*')
    const sneaky = await addFault(srv, { 'Sec-Fetch-Site': 'cross-site' })
    expect(sneaky.status).toBe(403)
    const preflight = await rawRequest({
      method: 'OPTIONS',
      url: `${srv.url}/__control/faults`,
      headers: { Origin: EVIL, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    })
    expect(preflight.status).toBe(403)
    expect((await rawRequest({ method: 'GET', url: `${srv.url}/__control/uploads`, headers: { Origin: EVIL } })).status).toBe(403)
    expect(srv.faults.list()).toEqual([])

    // The listed page, and a non-browser client (curl, a test), may use them.
    const listed = await addFault(srv, { Origin: APP })
    expect(listed.status).toBe(201)
    expect(listed.headers['access-control-allow-origin']).toBe(APP)
    expect((await addFault(srv, {})).status).toBe(201)
    expect(srv.faults.list()).toHaveLength(2)
  })
})

describe('open uploads are capped', () => {
  it('answers 503 with Retry-After beyond maxUploads, creates nothing, and a finished or cancelled upload frees a slot', async () => {
    const srv = (server = await startReferenceServer({ maxUploads: 3 }))
    const answers = await Promise.all(Array.from({ length: 6 }, () => createEmpty(srv.endpoint)))
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 503, 503, 503])
    const refused = answers.find((answer) => answer.status === 503)
    expect(refused?.headers['retry-after']).toBe('60')
    expect(refused?.interim).toEqual([])
    expect(await srv.uploads()).toHaveLength(3)
    const plain = await rawRequest({ method: 'POST', url: srv.endpoint, headers: { 'Content-Length': 3 }, body: 'abc' })
    expect(plain.status).toBe(503)
    expect(await srv.uploads()).toHaveLength(3)

    const [first, second] = answers.filter((answer) => answer.status === 201).map((answer) => answer.headers.location ?? '')
    // Completing one frees its slot; its bytes are what was sent.
    const bytes = testBytes(5000)
    expect((await patch(first ?? '', 0, bytes, true)).status).toBe(200)
    expect(await srv.upload(srv.uploadIdFromUrl(first ?? ''))).toMatchObject({ complete: true, offset: bytes.length, sha256: sha256(bytes) })
    expect((await createEmpty(srv.endpoint)).status).toBe(201)
    expect((await createEmpty(srv.endpoint)).status).toBe(503)
    // So does cancelling one.
    expect((await rawRequest({ method: 'DELETE', url: second ?? '', headers: INTEROP_8 })).status).toBe(204)
    expect((await createEmpty(srv.endpoint)).status).toBe(201)
    expect((await createEmpty(srv.endpoint)).status).toBe(503)
  })
})

describe('idle connections', () => {
  it('closes a request that stops sending for idleTimeoutMs and keeps the bytes it got', async () => {
    const srv = (server = await startReferenceServer({ idleTimeoutMs: 300 }))
    const url = await createUploadUrl(srv.endpoint)
    const open = openRequest({
      method: 'PATCH',
      url,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?0', 'Content-Type': 'application/partial-upload', 'Content-Length': 1000 },
    })
    const sent = testBytes(100)
    open.req.write(sent)
    // Nothing more is sent: the server closes the connection.
    expect(await open.closed).toBeInstanceOf(Error)
    await expect.poll(async () => (await srv.upload(srv.uploadIdFromUrl(url)))?.offset).toBe(100)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256(sent))
  })

  it('closes a connection that stops in the middle of its headers', async () => {
    const srv = (server = await startReferenceServer({ idleTimeoutMs: 300 }))
    const socket = connect(Number(new URL(srv.url).port), '127.0.0.1')
    socket.on('error', () => undefined)
    socket.write('POST /uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Complete: ?1\r\n')
    await new Promise((resolve) => socket.once('close', resolve))
    expect(await srv.uploads()).toEqual([])
  })

  it('never cuts a slow upload that keeps sending, however long it takes in total', async () => {
    const srv = (server = await startReferenceServer({ idleTimeoutMs: 400 }))
    const url = await createUploadUrl(srv.endpoint)
    const bytes = testBytes(2000)
    const open = openRequest({
      method: 'PATCH',
      url,
      headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload', 'Content-Length': bytes.length },
    })
    // 20 pieces, one every 100 ms: about 2 s in total, five times the idle timeout.
    for (let start = 0; start < bytes.length; start += 100) {
      open.req.write(bytes.subarray(start, start + 100))
      await delay(100)
    }
    open.req.end()
    expect((await open.response).status).toBe(200)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, offset: bytes.length, sha256: sha256(bytes) })
  })
})

describe('Location behind a reverse proxy', () => {
  it('names the origin the client addressed: its Host, or what the proxy forwarded', async () => {
    const srv = (server = await startReferenceServer())
    const id = /\/uploads\/[0-9a-f]{32}$/
    const viaHost = await createEmpty(srv.endpoint, { Host: 'example.test:8443' })
    expect(viaHost.headers.location).toMatch(new RegExp(`^http://example\\.test:8443${id.source}`))
    expect(viaHost.interim[0]?.headers.location).toBe(viaHost.headers.location)
    const tls = await createEmpty(srv.endpoint, { Host: 'internal:4000', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'files.example' })
    expect(tls.headers.location).toMatch(new RegExp(`^https://files\\.example${id.source}`))
    const forwarded = await createEmpty(srv.endpoint, { Forwarded: 'for=192.0.2.1;host="up.example:8080";proto=https' })
    expect(forwarded.headers.location).toMatch(new RegExp(`^https://up\\.example:8080${id.source}`))
    // Anything that is not a plain host[:port] or http(s) falls back to the server's own origin.
    for (const headers of [{ Host: 'a@b.example' }, { 'X-Forwarded-Proto': 'javascript' }]) {
      expect((await createEmpty(srv.endpoint, headers)).headers.location?.startsWith(`${srv.url}/uploads/`)).toBe(true)
    }
    // The completion response (on a PATCH) follows the Host too.
    const done = await patch(viaHost.headers.location?.replace('http://example.test:8443', srv.url) ?? '', 0, 'abc', true, { Host: 'example.test:8443' })
    expect(done.headers.location).toBe(viaHost.headers.location)
  })

  it('lets the client upload through a proxy on another port, every request through the proxy', async () => {
    const srv = (server = await startReferenceServer())
    proxy = await startCuttingProxy(srv.url)
    const work = await tempDir()
    try {
      const data = randomData(300_000)
      const path = await writeTestFile(work.dir, 'through-proxy.bin', data)
      const upload = new Upload(path, { endpoint: `${proxy.url}/uploads`, chunkSize: 100_000, store: false })
      const { url } = await upload.start()
      expect(url.startsWith(`${proxy.url}/uploads/`)).toBe(true)
      expect(proxy.requests.map((request) => request.method)).toEqual(['POST', 'PATCH', 'PATCH'])
      expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, offset: data.bytes.length, sha256: data.sha256 })
    } finally {
      await work.remove()
    }
  })
})
