/**
 * The interop matrix in Node: interop versions 3, 5, 6, 7 and 8, through `new Upload(…, {
 * interopVersion })`, against the reference server speaking each version as tusd does (3–6) or as
 * the draft says (7, 8). Each run is cut by the server, and the stored bytes are compared by length
 * and SHA-256. Every request the server got is checked: the version header, the version's
 * completion field, and no `Upload-Length` on a PATCH when the creation stated the length.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import type { UploadOptions } from '../../src/options'
import { startReferenceServer, type ReferenceServer } from '../server'
import type { RequestEvent } from '../server/types'
import { randomData, webStream, type TestData } from '../support/files'
import { interopViolations } from '../support/interop-requests'
import { recordRequests } from '../support/requests'

const MiB = 1024 * 1024
const VERSIONS = [3, 5, 6, 7, 8]
const fastRetry: UploadOptions['retry'] = { retries: 6, minTimeout: 10, maxTimeout: 100 }
let server: ReferenceServer

beforeAll(async () => {
  server = await startReferenceServer()
})
afterAll(() => server.close())
afterEach(() => server.faults.clear())

async function expectStored(url: string, data: TestData, version: number): Promise<void> {
  const stored = await server.upload(server.uploadIdFromUrl(url))
  expect(stored).toMatchObject({ offset: data.bytes.length, complete: true, sha256: data.sha256, interopVersion: version })
}

function expectRequestsSpeak(requests: RequestEvent[], version: number): void {
  expect(interopViolations(requests, version)).toEqual([])
}

describe.each(VERSIONS.map((version) => [version]))('interop version %i', (version) => {
  it('node-http, one request, cut during the creation and during the resuming PATCH', async () => {
    const data = randomData(3 * MiB + 11)
    const cuts = [
      server.faults.add({ type: 'destroy', afterBytes: 700_000, match: { kind: 'create' } }),
      server.faults.add({ type: 'destroy', afterBytes: 900_000, match: { kind: 'append' } }),
    ]
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, interopVersion: version, chunkSize: Infinity, retry: fastRetry })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    log.stop()
    expect(cuts.map((cut) => cut.hits)).toEqual([1, 1])
    expect(vias).toEqual(['104'])
    await expectStored(url, data, version)
    expectRequestsSpeak(log.requests, version)
    expect(log.requests.filter((request) => request.kind === 'head').length).toBeGreaterThanOrEqual(2)
  })

  it('node-http, 1 MiB chunks, cut during a PATCH', async () => {
    const data = randomData(3 * MiB + MiB / 2)
    const cut = server.faults.add({ type: 'destroy', afterBytes: 300_000, match: { kind: 'append' } })
    const log = recordRequests(server)
    const { url } = await new Upload(data.bytes, { endpoint: server.endpoint, interopVersion: version, chunkSize: MiB, retry: fastRetry }).start()
    log.stop()
    expect(cut.hits).toBe(1)
    await expectStored(url, data, version)
    expectRequestsSpeak(log.requests, version)
    expect(log.requests.filter((request) => request.kind === 'append').length).toBeGreaterThanOrEqual(4)
  })

  it('fetch, 1 MiB chunks after a careful creation, cut during a PATCH', async () => {
    const data = randomData(2 * MiB + 5)
    const cut = server.faults.add({ type: 'destroy', afterBytes: 200_000, match: { kind: 'append' } })
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, interopVersion: version, chunkSize: MiB, transport: 'fetch', retry: fastRetry })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    log.stop()
    expect([cut.hits, vias]).toEqual([1, ['created']])
    await expectStored(url, data, version)
    expectRequestsSpeak(log.requests, version)
  })

  it('a stream of unknown length states Upload-Length on the completing PATCH only, through a cut', async () => {
    const data = randomData(2 * MiB + 333)
    const cut = server.faults.add({ type: 'destroy', afterBytes: 250_000, match: { kind: 'append' } })
    const log = recordRequests(server)
    const { url } = await new Upload(webStream(data.bytes, 128 * 1024), {
      endpoint: server.endpoint,
      interopVersion: version,
      chunkSize: MiB,
      retry: fastRetry,
    }).start()
    log.stop()
    expect(cut.hits).toBe(1)
    await expectStored(url, data, version)
    expectRequestsSpeak(log.requests, version)
    const lengths = log.requests.filter((request) => request.kind !== 'head').map((request) => request.headers['upload-length'])
    expect(lengths.slice(0, -1).every((length) => length === undefined)).toBe(true)
    expect(lengths.at(-1)).toBe(String(data.bytes.length))
  })
})

describe('servers that do not behave', () => {
  it('a server that does not speak the version (tusd: 412 about Tus-Resumable) fails with version-unsupported naming the option', async () => {
    const only8 = await startReferenceServer({ interopVersions: [8] })
    try {
      for (const transport of ['node-http', 'fetch'] as const) {
        const upload = new Upload(randomData(1000).bytes, { endpoint: only8.endpoint, interopVersion: 5, transport, retry: fastRetry })
        const error = await upload.start().catch((failure: unknown) => failure)
        expect(error, transport).toMatchObject({ code: 'version-unsupported', status: 412, retryable: false })
        expect((error as Error).message).toContain('interop version 5')
        expect((error as Error).message).toContain('`interopVersion`')
        expect((error as { body?: string }).body).toContain('Tus-Resumable')
      }
      expect(await only8.uploads()).toEqual([])
    } finally {
      await only8.close()
    }
  })

  it('an append answered with an offset beyond the bytes it carried is offset-invalid, never a skip', async () => {
    const data = randomData(3 * MiB)
    const bogus = String(2 * MiB + 700_000)
    server.faults.add({ type: 'headers', set: { 'Upload-Offset': bogus }, match: { kind: 'append' } })
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry })
    const error = await upload.start().catch((failure: unknown) => failure)
    log.stop()
    expect(error).toMatchObject({ code: 'offset-invalid', retryable: false })
    expect((error as Error).message).toContain('outside the sent range')
    // Nothing was sent from the bogus offset: no byte of the source was skipped.
    expect(log.requests.map((request) => request.headers['upload-offset'])).not.toContain(bogus)
    const [stored] = (await server.uploads()).filter((info) => info.id === server.uploadIdFromUrl(upload.url ?? ''))
    expect(stored?.complete).toBe(false)
  })

  it("an http-status error carries the server's problem details, or the start of its body", async () => {
    server.faults.add({ type: 'status', status: 403, body: 'no uploads for you '.repeat(100), match: { kind: 'create' } })
    const error = await new Upload(randomData(10).bytes, { endpoint: server.endpoint, retry: fastRetry }).start().catch((failure: unknown) => failure)
    expect(error).toMatchObject({ code: 'http-status', status: 403, problem: undefined })
    expect((error as { body?: string }).body).toBe('no uploads for you '.repeat(100).slice(0, 1024))
    const problem = { type: 'https://example.com/problems/quota', title: 'quota exceeded', 'quota-left': 0 }
    server.faults.add({ type: 'status', status: 507, body: JSON.stringify(problem), match: { kind: 'create' } })
    server.faults.add({ type: 'headers', set: { 'Content-Type': 'application/problem+json' }, match: { kind: 'create' } })
    const withProblem = await new Upload(randomData(10).bytes, { endpoint: server.endpoint, retry: { retries: 0 } })
      .start()
      .catch((failure: unknown) => failure)
    expect(withProblem).toMatchObject({ code: 'http-status', status: 507, problem, body: undefined })
  })
})
