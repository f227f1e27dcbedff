/**
 * What happens to `metadata` under the IETF draft, which has no metadata field (as the README
 * says): it is kept in the upload's record, never sent. The creation request carries the
 * representation metadata the draft names (Content-Type, Content-Disposition with the file name),
 * and a `headers` function can add the app's own fields to the creation request only. Under tus
 * the same `metadata` goes in `Upload-Metadata`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Upload, memoryStore } from '../../src/node'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData } from '../support/files'

let server: ReferenceServer
beforeAll(async () => {
  server = await startReferenceServer()
})
afterAll(async () => {
  await server.close()
})

/** The method and headers of every request the server sees until `stop()`. */
function recordRequests(): { requests: Array<{ kind: string; method: string; headers: IncomingHttpHeaders }>; stop(): void } {
  const requests: Array<{ kind: string; method: string; headers: IncomingHttpHeaders }> = []
  const onRequest = (event: { kind: string; method: string; headers: IncomingHttpHeaders }): void => void requests.push(event)
  server.events.on('request', onRequest)
  return { requests, stop: () => server.events.off('request', onRequest) }
}

it('ietf: metadata is kept in the record and never sent; name and type go as Content-Disposition and Content-Type', async () => {
  const data = randomData(300_000)
  const file = new File([new Uint8Array(data.bytes)], 'report.pdf', { type: 'application/pdf', lastModified: 1_700_000_000_000 })
  const store = memoryStore()
  const log = recordRequests()
  const upload = new Upload(file, { endpoint: server.endpoint, store, chunkSize: 100_000, removeOnSuccess: false, metadata: { project: 'zeta-7-secret' } })
  const { url } = await upload.start()
  log.stop()
  expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
  expect(log.requests.map((request) => JSON.stringify(request.headers)).filter((text) => text.includes('zeta-7'))).toEqual([])
  expect(log.requests.filter((request) => request.headers['upload-metadata'] !== undefined)).toEqual([])
  const creation = log.requests.find((request) => request.kind === 'create')
  expect(creation?.headers).toMatchObject({
    'content-type': 'application/pdf',
    'content-disposition': expect.stringMatching(/^inline; filename="report\.pdf"/),
  })
  expect((await store.list()).map((record) => record.metadata)).toEqual([{ project: 'zeta-7-secret' }])
})

it("ietf: a headers function sends the app's own fields on the creation request only", async () => {
  const data = randomData(250_000)
  const log = recordRequests()
  const upload = new Upload(new Uint8Array(data.bytes), {
    endpoint: server.endpoint,
    chunkSize: 100_000,
    headers: (request): Record<string, string> => (request.method === 'POST' ? { 'x-project': 'zeta-7' } : {}),
  })
  const { url } = await upload.start()
  log.stop()
  expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
  expect(log.requests.map((request) => [request.method, request.headers['x-project']])).toEqual(
    log.requests.map((request) => [request.method, request.method === 'POST' ? 'zeta-7' : undefined]),
  )
  expect(log.requests.filter((request) => request.method === 'PATCH').length).toBeGreaterThanOrEqual(2)
})
