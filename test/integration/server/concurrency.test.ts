import { afterEach, describe, expect, it } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../../server/index'
import {
  createUploadUrl,
  head,
  INTEROP_8,
  interimWhere,
  openRequest,
  patch,
  rawRequest,
  sha256,
  testBytes,
  writeBody,
  type OpenRequest,
} from '../../server/test-client'

let server: ReferenceServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

const PART = 40_000

/**
 * Starts a PATCH of `body` and writes only its first PART bytes; resolves once the server has
 * written them (its progress 104 says so), the request still in flight.
 */
async function patchInFlight(url: string, body: Buffer): Promise<OpenRequest> {
  const open = openRequest({
    method: 'PATCH',
    url,
    headers: { ...INTEROP_8, 'Upload-Offset': 0, 'Upload-Complete': '?1', 'Content-Type': 'application/partial-upload', 'Content-Length': body.length },
  })
  await writeBody(open.req, body.subarray(0, PART))
  expect((await open.firstInterim).headers['upload-offset']).toBe(String(PART))
  return open
}

describe('concurrency (draft §4.6)', () => {
  it('a HEAD while a PATCH is in flight aborts the PATCH and reports the flushed offset', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: PART }))
    const body = testBytes(100_000, 31)
    const url = await createUploadUrl(srv.endpoint)
    const open = await patchInFlight(url, body)
    const state = await head(url)
    expect(state.status).toBe(204)
    expect(state.headers['upload-offset']).toBe(String(PART))
    expect(await open.closed).toBeInstanceOf(Error)
    expect((await patch(url, PART, body.subarray(PART), true)).status).toBe(200)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, sha256: sha256(body) })
  })

  it('a newer PATCH aborts the older one and continues from its flushed offset', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: PART }))
    const body = testBytes(100_000, 32)
    const url = await createUploadUrl(srv.endpoint)
    const open = await patchInFlight(url, body)
    const rest = await patch(url, PART, body.subarray(PART), true)
    expect(rest.status).toBe(200)
    expect(await open.closed).toBeInstanceOf(Error)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ complete: true, sha256: sha256(body) })
  })

  it('a DELETE while a PATCH is in flight kills it and removes the bytes', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: PART }))
    const url = await createUploadUrl(srv.endpoint)
    const open = await patchInFlight(url, testBytes(100_000, 33))
    expect((await rawRequest({ method: 'DELETE', url, headers: INTEROP_8 })).status).toBe(204)
    expect(await open.closed).toBeInstanceOf(Error)
    expect(await srv.upload(srv.uploadIdFromUrl(url))).toMatchObject({ deleted: true, offset: 0 })
    expect((await head(url)).status).toBe(410)
  })

  it('a HEAD during a creation aborts the creation and reports what it stored', async () => {
    const srv = (server = await startReferenceServer({ progressInterimEvery: PART }))
    const body = testBytes(100_000, 34)
    const open = openRequest({ method: 'POST', url: srv.endpoint, headers: { ...INTEROP_8, 'Upload-Complete': '?1', 'Content-Length': body.length } })
    const url = (await open.firstInterim).headers.location ?? ''
    await writeBody(open.req, body.subarray(0, PART))
    await interimWhere(open, (interim) => interim.headers['upload-offset'] === String(PART))
    const state = await head(url)
    expect(state.headers['upload-offset']).toBe(String(PART))
    expect(await open.closed).toBeInstanceOf(Error)
    expect((await patch(url, PART, body.subarray(PART), true)).status).toBe(200)
    expect((await srv.upload(srv.uploadIdFromUrl(url)))?.sha256).toBe(sha256(body))
  })
})
