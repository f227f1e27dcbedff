import { afterEach, describe, expect, it } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import { createUploadUrl, head, jsonBody, patch, rawRequest, type RawResponse } from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** A server with the control routes on, open to the demo's origin (as `npm run demo` starts it). */
function startWithControl(): Promise<ReferenceServer> {
  return startReferenceServer({ control: true, cors: { origins: ['http://demo.example'] } })
}

function control(srv: ReferenceServer, method: string, path: string, json?: unknown): Promise<RawResponse> {
  const body = json === undefined ? undefined : JSON.stringify(json)
  const headers = body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
  return rawRequest({ method, url: `${srv.url}/__control/${path}`, headers: { Origin: 'http://demo.example', ...headers }, body })
}

describe('control routes', () => {
  it('adds, lists and clears faults over HTTP', async () => {
    const srv = (server = await startWithControl())
    const url = await createUploadUrl(srv.endpoint)
    const added = await control(srv, 'POST', 'faults', { type: 'status', status: 503, retryAfter: 2, match: { kind: 'head' } })
    expect(added.status).toBe(201)
    expect(added.headers['access-control-allow-origin']).toBe('http://demo.example')
    expect(jsonBody(added)).toMatchObject({ type: 'status', status: 503, hits: 0, times: 1 })
    expect((await head(url)).status).toBe(503)
    const listed = await control(srv, 'GET', 'faults')
    expect(JSON.parse(listed.body)).toMatchObject([{ type: 'status', hits: 1 }])
    expect((await control(srv, 'DELETE', 'faults')).status).toBe(204)
    expect(JSON.parse((await control(srv, 'GET', 'faults')).body)).toEqual([])
    expect(srv.stats.requests.control).toBe(4)
  })

  it('accepts times -1 as unlimited', async () => {
    const srv = (server = await startWithControl())
    const url = await createUploadUrl(srv.endpoint)
    expect(jsonBody(await control(srv, 'POST', 'faults', { type: 'status', status: 500, times: -1 })).times).toBe(-1)
    for (let i = 0; i < 3; i++) expect((await head(url)).status).toBe(500)
  })

  it('rejects invalid faults and bodies with 400', async () => {
    const srv = (server = await startWithControl())
    const invalid = await control(srv, 'POST', 'faults', { type: 'explode' })
    expect(invalid.status).toBe(400)
    expect(String(jsonBody(invalid).detail)).toContain('type')
    expect((await control(srv, 'POST', 'faults', { type: 'destroy' })).status).toBe(400)
    expect((await control(srv, 'POST', 'faults', { type: 'stall', extra: 1 })).status).toBe(400)
    const notJson = await rawRequest({ method: 'POST', url: `${srv.url}/__control/faults`, headers: { 'Content-Length': 3 }, body: '{x}' })
    expect(notJson.status).toBe(400)
    expect(srv.faults.list()).toEqual([])
  })

  it('reports, expires and forgets uploads', async () => {
    const srv = (server = await startWithControl())
    const url = await createUploadUrl(srv.endpoint)
    const id = srv.uploadIdFromUrl(url)
    await patch(url, 0, 'abc', false)
    const info = await control(srv, 'GET', `uploads/${id}`)
    expect(info.status).toBe(200)
    expect(jsonBody(info)).toEqual(JSON.parse(JSON.stringify(await srv.upload(id))))
    expect(JSON.parse((await control(srv, 'GET', 'uploads')).body)).toHaveLength(1)
    expect((await control(srv, 'GET', `uploads/${'f'.repeat(32)}`)).status).toBe(404)

    expect((await control(srv, 'POST', `uploads/${id}/expire`)).status).toBe(204)
    expect((await head(url)).status).toBe(410)
    expect((await control(srv, 'POST', `uploads/${id}/forget`)).status).toBe(204)
    expect((await head(url)).status).toBe(404)
    expect((await control(srv, 'POST', `uploads/${id}/forget`)).status).toBe(404)
  })

  it('serves statistics', async () => {
    const srv = (server = await startWithControl())
    const id = srv.uploadIdFromUrl(await createUploadUrl(srv.endpoint))
    const stats = jsonBody(await control(srv, 'GET', 'stats'))
    expect(stats).toMatchObject({ requests: { create: 1 }, bodyBytesReceived: 0, perUpload: { [id]: { requests: 1 } } })
  })

  it('answers CORS preflights on control routes', async () => {
    const srv = (server = await startWithControl())
    const response = await rawRequest({
      method: 'OPTIONS',
      url: `${srv.url}/__control/faults`,
      headers: { Origin: 'http://demo.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    })
    expect(response.status).toBe(204)
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': 'http://demo.example',
      'access-control-allow-headers': 'content-type',
    })
  })

  it('is absent by default and when control is off', async () => {
    for (const options of [{}, { control: false }]) {
      const srv = (server = await startReferenceServer(options))
      expect((await control(srv, 'POST', 'faults', { type: 'status', status: 500 })).status).toBe(404)
      expect((await rawRequest({ method: 'GET', url: `${srv.url}/__control/uploads` })).status).toBe(404)
      expect(srv.faults.list()).toEqual([])
      await srv.close()
    }
  })
})
