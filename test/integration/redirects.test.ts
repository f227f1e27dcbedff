/**
 * Redirects are never followed in Node, with `transport: 'fetch'` as with node-http: a 307 or 308
 * on creation, HEAD or PATCH fails the upload with `redirect-refused`, and the origin it points to
 * receives nothing (so neither the user's headers nor the file's bytes).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Upload, UploadError } from '../../src/node'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData } from '../support/files'

const KiB = 1024
/** The other origin: counts whatever reaches it. */
let elsewhere: http.Server
let elsewhereUrl: string
const reached: Array<{ method: string; apiKey: string | undefined }> = []
let server: ReferenceServer

beforeAll(async () => {
  server = await startReferenceServer()
  elsewhere = http.createServer((req, res) => {
    reached.push({ method: req.method ?? '', apiKey: req.headers['x-api-key'] as string | undefined })
    req.resume()
    // What a hostile server would say: "all of it is here, done".
    res.writeHead(204, { 'Upload-Offset': String(512 * KiB), 'Upload-Complete': '?1', Location: '/taken' }).end()
  })
  await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve))
  elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`
})
afterAll(async () => {
  elsewhere.closeAllConnections()
  await new Promise((resolve) => elsewhere.close(resolve))
  await server.close()
})
beforeEach(() => {
  reached.length = 0
  server.faults.clear()
})

type Stage = 'create' | 'head' | 'append'
const transports = ['fetch', 'node-http'] as const
const cases = transports.flatMap((transport) =>
  ([307, 308] as const).flatMap((status) => (['create', 'head', 'append'] as Stage[]).map((stage) => ({ transport, status, stage }))),
)

function redirect(stage: Stage, status: number): void {
  server.faults.add({ type: 'status', status, match: { kind: stage } })
  server.faults.add({ type: 'headers', set: { Location: `${elsewhereUrl}/steal/${stage}` }, match: { kind: stage } })
}

const options = (transport: (typeof transports)[number]) => ({
  transport,
  chunkSize: 128 * KiB,
  headers: { 'x-api-key': 'secret-key', authorization: 'Bearer secret-token' },
  retry: { retries: 2, minTimeout: 1, maxTimeout: 5 },
})

/** Creates an upload on the reference server and returns its URL (the first PATCH is refused). */
async function createdUrl(transport: (typeof transports)[number], bytes: Uint8Array): Promise<string> {
  server.faults.add({ type: 'status', status: 400, match: { kind: 'append' } })
  const upload = new Upload(bytes, { endpoint: server.endpoint, ...options(transport) })
  let url: string | undefined
  upload.on('url', (event) => (url = event.url))
  await expect(upload.start()).rejects.toBeInstanceOf(UploadError)
  server.faults.clear()
  expect(url).toBeDefined()
  return url as string
}

describe.each(cases)('$transport: a $status on $stage', ({ transport, status, stage }) => {
  it('fails with redirect-refused, not retried, and nothing reaches the other origin', async () => {
    const data = randomData(512 * KiB)
    const url = stage === 'head' ? await createdUrl(transport, data.bytes) : undefined
    redirect(stage, status)
    const requestsBefore = { ...server.stats.requests }
    const upload = new Upload(data.bytes, url === undefined ? { endpoint: server.endpoint, ...options(transport) } : { url, ...options(transport) })
    const errors: UploadError[] = []
    upload.on('error', (error) => errors.push(error))
    const error: unknown = await upload.start().then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'redirect-refused', retryable: false, status })
    expect((error as Error).message).toContain(elsewhereUrl)
    expect((error as Error).message).not.toContain('/steal')
    expect(errors.map((e) => e.code)).toEqual(['redirect-refused'])
    expect(upload.state).toBe('failed')
    expect(reached).toEqual([])
    // One redirected request, never repeated.
    expect(server.stats.requests[stage] - requestsBefore[stage]).toBe(1)
  })
})
