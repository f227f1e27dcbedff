/**
 * The Upload in Node with every kind of input, older interop versions, and the origin rules for
 * `Location` and credentials. Against the reference server on 127.0.0.1; bytes checked by SHA-256.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Upload, ietfProtocol } from '../../src/node'
import type { UploadOptions } from '../../src/options'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData, tempDir, webStream, writeTestFile, type TestData } from '../support/files'
import { recordRequests } from '../support/requests'

const MiB = 1024 * 1024
let server: ReferenceServer
const fastRetry: UploadOptions['retry'] = { retries: 6, minTimeout: 20, maxTimeout: 200 }

beforeAll(async () => {
  server = await startReferenceServer()
})
afterAll(() => server.close())
afterEach(() => server.faults.clear())

async function expectStored(url: string, data: TestData): Promise<void> {
  const stored = await server.upload(server.uploadIdFromUrl(url))
  expect(stored).toMatchObject({ length: data.bytes.length, offset: data.bytes.length, complete: true, sha256: data.sha256 })
}

describe('inputs', () => {
  it('uploads a Buffer', async () => {
    const data = randomData(3 * MiB + 1)
    const { url } = await new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: MiB }).start()
    await expectStored(url, data)
  })

  it('uploads a Blob', async () => {
    const data = randomData(2 * MiB + 3)
    const { url } = await new Upload(new Blob([new Uint8Array(data.bytes)]), { endpoint: server.endpoint, chunkSize: MiB, transport: 'fetch' }).start()
    await expectStored(url, data)
  })

  it('uploads a web ReadableStream of unknown length, sending the length with the last chunk, through a cut', async () => {
    const data = randomData(5 * MiB + 77)
    const fault = server.faults.add({ type: 'destroy', afterBytes: 300_000, match: { kind: 'append' } })
    const upload = new Upload(webStream(data.bytes, 100_000), { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry })
    const totals: Array<number | undefined> = []
    upload.on('progress', ({ bytesTotal }) => totals.push(bytesTotal))
    const { url } = await upload.start()
    expect(fault.hits).toBe(1)
    expect(totals[0]).toBeUndefined()
    expect(totals.at(-1)).toBe(data.bytes.length)
    await expectStored(url, data)
  })

  it('fails with source-error when a stream cannot go back to the offset a restart needs', async () => {
    const data = randomData(3 * MiB)
    const upload = new Upload(webStream(data.bytes, 64 * 1024), { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry })
    upload.on('chunk', ({ end }) => {
      if (end === 2 * MiB && upload.url) void server.forget(server.uploadIdFromUrl(upload.url))
    })
    await expect(upload.start()).rejects.toMatchObject({ code: 'source-error', retryable: false })
  })

  it('uploads a Node Readable with chunkSize Infinity in bounded chunks', async () => {
    const data = randomData(9 * MiB)
    const log = recordRequests(server)
    const { url } = await new Upload(Readable.from([data.bytes.subarray(0, 4 * MiB), data.bytes.subarray(4 * MiB)]), {
      endpoint: server.endpoint,
      chunkSize: Infinity,
    }).start()
    log.stop()
    await expectStored(url, data)
    // Unknown length: default 8 MiB chunks, never the whole stream in memory.
    expect(log.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1)
  })

  it('uploads a file path and an empty file', async () => {
    const dir = await tempDir()
    try {
      const data = randomData(1234567)
      const { url } = await new Upload(await writeTestFile(dir.dir, 'a.bin', data), { endpoint: server.endpoint, chunkSize: Infinity }).start()
      await expectStored(url, data)
      const empty = randomData(0)
      const done = await new Upload(await writeTestFile(dir.dir, 'empty.bin', empty), { endpoint: server.endpoint }).start()
      await expectStored(done.url, empty)
    } finally {
      await dir.remove()
    }
  })
})

describe('interop versions', () => {
  for (const version of [3, 5, 6, 7, 8]) {
    it(`talks interop version ${version} through a cut`, async () => {
      const data = randomData(2 * MiB + 5)
      server.faults.add({ type: 'destroy', afterBytes: 100_000, match: { kind: 'append' } })
      const log = recordRequests(server)
      const protocol = ietfProtocol({ interopVersion: version, clock: Date.now })
      const upload = new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: MiB, protocol, retry: fastRetry })
      const vias: string[] = []
      upload.on('url', ({ via }) => vias.push(via))
      const { url } = await upload.start()
      log.stop()
      await expectStored(url, data)
      expect(vias).toEqual(['104'])
      expect(new Set(log.requests.map((request) => request.headers['upload-draft-interop-version']))).toEqual(new Set([String(version)]))
      expect((await server.upload(server.uploadIdFromUrl(url)))?.interopVersion).toBe(version)
    })
  }
})

describe('origins and credentials', () => {
  let foreign: Server
  let foreignUrl: string
  let foreignHits = 0
  beforeAll(async () => {
    foreign = createServer((_req, res) => {
      foreignHits++
      res.writeHead(500).end()
    })
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve))
    // Same host, other port: another origin.
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => foreign.close(() => resolve())))

  it('refuses a Location on another origin and never contacts it', async () => {
    server.faults.add({ type: 'headers', set: { location: `${foreignUrl}/uploads/stolen` }, interim: true, match: { kind: 'create' } })
    const upload = new Upload(randomData(MiB).bytes, { endpoint: server.endpoint, headers: { authorization: 'Bearer secret' }, retry: fastRetry })
    await expect(upload.start()).rejects.toMatchObject({ code: 'location-refused', retryable: false })
    expect(foreignHits).toBe(0)
  })

  it('follows a Location on an allowed origin and sends the credentials there too', async () => {
    // The endpoint is reached as localhost; a front end tells the server (X-Forwarded-Host) to
    // name its uploads with 127.0.0.1, another origin.
    const endpoint = server.endpoint.replace('127.0.0.1', 'localhost')
    const data = randomData(2 * MiB)
    const log = recordRequests(server)
    const headers = { Authorization: 'Bearer secret', 'X-Forwarded-Host': new URL(server.url).host }
    const options: UploadOptions = { endpoint, chunkSize: MiB, headers }
    await expect(new Upload(data.bytes, options).start()).rejects.toMatchObject({ code: 'location-refused' })
    const { url } = await new Upload(data.bytes, { ...options, allowedOrigins: [server.url] }).start()
    log.stop()
    await expectStored(url, data)
    const patches = log.requests.filter((request) => request.method === 'PATCH')
    expect(patches.length).toBeGreaterThan(0)
    expect(patches.every((request) => request.headers.authorization === 'Bearer secret')).toBe(true)
  })
})
