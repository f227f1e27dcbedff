/**
 * The Upload against servers that misbehave: every request loop is bounded (restarts, requests
 * that store nothing or a few bytes, 104 floods, huge Retry-After), and no success is reported
 * that did not happen (a short completion, a 104 whose max-size refuses the file). Purpose-built
 * servers written here with node:http, and the reference server with its fault injection, all
 * on 127.0.0.1. Each bound is proven by counting requests, never by timing.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Upload, UploadError, memoryStore } from '../../src/node'
import type { UploadOptions } from '../../src/options'
import type { Store, UploadRecord } from '../../src/types'
import { startReferenceServer, type ReferenceServer } from '../server'
import type { RequestEvent } from '../server/types'
import { randomData, sha256, type TestData } from '../support/files'
import { recordRequests } from '../support/requests'

const KiB = 1024
const MiB = 1024 * KiB
/** Fast retries: every bound is reached in milliseconds. */
const retry: UploadOptions['retry'] = { retries: 3, minTimeout: 1, maxTimeout: 5 }
/** A bound that is never reached here; on the old code these tests ran until this timeout. */
const TEST_TIMEOUT = 15_000

// ---------------------------------------------------------------------------------------------
// A purpose-built server

interface SeenRequest {
  method: string
  path: string
  headers: http.IncomingHttpHeaders
}

interface HostileServer {
  origin: string
  endpoint: string
  requests: SeenRequest[]
  count(method: string): number
  /** Resolves with the first request (seen or yet to come) that matches. */
  waitFor(method: string, path?: string): Promise<SeenRequest>
  close(): Promise<void>
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, server: HostileServer) => void | Promise<void>

async function startHostile(handler: Handler): Promise<HostileServer> {
  const requests: SeenRequest[] = []
  const waiters: Array<{ matches: (seen: SeenRequest) => boolean; resolve: (seen: SeenRequest) => void }> = []
  const server = http.createServer((req, res) => {
    const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers }
    requests.push(seen)
    for (const waiter of waiters.filter((candidate) => candidate.matches(seen))) waiter.resolve(seen)
    void Promise.resolve(handler(req, res, hostile)).catch(() => req.socket.destroy())
  })
  // A client that gives up mid-request resets the connection; that is expected here.
  server.on('connection', (socket) => socket.on('error', () => undefined))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const hostile: HostileServer = {
    origin,
    endpoint: `${origin}/uploads`,
    requests,
    count: (method) => requests.filter((seen) => seen.method === method).length,
    waitFor(method, path) {
      const matches = (seen: SeenRequest): boolean => seen.method === method && (path === undefined || seen.path === path)
      const earlier = requests.find(matches)
      return earlier ? Promise.resolve(earlier) : new Promise((resolve) => waiters.push({ matches, resolve }))
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return hostile
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

/** Reads the first `limit` body bytes (fewer when the body is shorter); `ended` says which. */
function readPrefix(req: http.IncomingMessage, limit: number): Promise<{ bytes: Buffer; ended: boolean }> {
  return new Promise((resolve) => {
    let bytes = Buffer.alloc(0)
    const onData = (part: Buffer): void => {
      bytes = Buffer.concat([bytes, part])
      if (bytes.length < limit) return
      req.off('data', onData)
      req.pause()
      resolve({ bytes: bytes.subarray(0, limit), ended: false })
    }
    req.on('data', onData)
    req.on('end', () => resolve({ bytes, ended: true }))
    req.on('error', () => resolve({ bytes, ended: false }))
  })
}

const IETF = { 'upload-draft-interop-version': '8' }

/** A Store that counts its writes. */
function countingStore(): Store & { puts: UploadRecord[] } {
  const inner = memoryStore()
  const puts: UploadRecord[] = []
  return {
    puts,
    get: (key) => inner.get(key),
    put: (record) => {
      puts.push(record)
      return inner.put(record)
    },
    delete: (key) => inner.delete(key),
    list: () => inner.list(),
  }
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(UploadError)
  return error as UploadError
}

// ---------------------------------------------------------------------------------------------

let reference: ReferenceServer
beforeAll(async () => {
  reference = await startReferenceServer()
})
afterAll(() => reference.close())
afterEach(() => reference.faults.clear())

async function expectStored(url: string, data: TestData): Promise<void> {
  expect(await reference.upload(reference.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
}

describe('restarts after "gone" are bounded by maxRestarts', () => {
  it('every PATCH answered 404: at most maxRestarts + 1 creations, then upload-gone', { timeout: TEST_TIMEOUT }, async () => {
    const fault = reference.faults.add({ type: 'status', status: 404, match: { kind: 'append' }, times: Infinity })
    const log = recordRequests(reference)
    const data = randomData(2 * MiB + 7)
    const upload = new Upload(data.bytes, { endpoint: reference.endpoint, chunkSize: MiB, retry })
    const error = await failure(upload.start())
    log.stop()
    expect(error).toMatchObject({ code: 'upload-gone', retryable: false })
    // The default maxRestarts is 3: the first creation and three fresh ones.
    expect(log.requests.filter((request) => request.kind === 'create')).toHaveLength(4)
    expect(fault.hits).toBe(4)
  })

  it('honours a smaller maxRestarts', { timeout: TEST_TIMEOUT }, async () => {
    reference.faults.add({ type: 'status', status: 404, match: { kind: 'append' }, times: Infinity })
    const log = recordRequests(reference)
    const data = randomData(2 * MiB + 7)
    const error = await failure(new Upload(data.bytes, { endpoint: reference.endpoint, chunkSize: MiB, retry, maxRestarts: 1 }).start())
    log.stop()
    expect(error.code).toBe('upload-gone')
    expect(log.requests.filter((request) => request.kind === 'create')).toHaveLength(2)
  })

  it('a plain server that answers a chunked creation 201 with a Location, then 404s the PATCH', { timeout: TEST_TIMEOUT }, async () => {
    let next = 0
    const plain = await startHostile(async (req, res) => {
      await readBody(req)
      if (req.method === 'POST') {
        res.writeHead(201, { location: `/files/${next++}` }).end()
      } else {
        res.writeHead(404).end()
      }
    })
    try {
      const data = randomData(MiB + 5)
      const error = await failure(new Upload(data.bytes, { endpoint: plain.endpoint, chunkSize: 256 * KiB, retry, maxRestarts: 2 }).start())
      expect(error.code).toBe('upload-gone')
      expect(plain.count('POST')).toBe(3)
      expect(plain.count('PATCH')).toBe(3)
    } finally {
      await plain.close()
    }
  })
})

/** An IETF-looking server whose creation stores nothing and says so (`Upload-Offset: 0`). */
function createEmpty(res: http.ServerResponse, id: string): void {
  res.writeHead(201, { location: `/uploads/${id}`, 'upload-offset': '0', 'upload-complete': '?0', ...IETF }).end()
}

describe('progress counts only when it is real', () => {
  it('a PATCH answered 204 with an unchanged offset is retried with backoff, then no-progress', { timeout: TEST_TIMEOUT }, async () => {
    const server = await startHostile(async (req, res) => {
      await readBody(req)
      if (req.method === 'POST') return createEmpty(res, 'same')
      const offset = req.method === 'PATCH' ? String(req.headers['upload-offset']) : '0'
      res.writeHead(204, { 'upload-offset': offset, 'upload-complete': '?0', ...IETF }).end()
    })
    try {
      const data = randomData(MiB)
      const upload = new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: 256 * KiB, retry })
      const retries: string[] = []
      upload.on('retry', ({ error }) => retries.push(error.code))
      const error = await failure(upload.start())
      expect(error.code).toBe('no-progress')
      // One PATCH in the round that learned the URL, then the first try and 3 retries: each backed off.
      expect(server.count('PATCH')).toBeLessThanOrEqual(5)
      expect(retries.filter((code) => code === 'no-progress').length).toBeGreaterThanOrEqual(3)
      expect(server.count('POST')).toBe(1)
    } finally {
      await server.close()
    }
  })

  for (const transport of ['node-http', 'fetch'] as const) {
    it(`a server that keeps 10 bytes of each request, then cuts (${transport}): no-progress`, { timeout: TEST_TIMEOUT }, async () => {
      const stored = new Map<string, Buffer>()
      const server = await startHostile(async (req, res) => {
        if (req.method === 'POST') {
          await readBody(req)
          const id = String(stored.size)
          stored.set(id, Buffer.alloc(0))
          return createEmpty(res, id)
        }
        const id = String(req.url?.split('/').pop())
        const have = stored.get(id) ?? Buffer.alloc(0)
        if (req.method === 'HEAD') return void res.writeHead(204, { 'upload-offset': String(have.length), 'upload-complete': '?0', ...IETF }).end()
        if (Number(req.headers['upload-offset']) !== have.length) {
          await readBody(req)
          return void res.writeHead(409, { 'upload-offset': String(have.length), ...IETF }).end()
        }
        const { bytes, ended } = await readPrefix(req, 10)
        stored.set(id, Buffer.concat([have, bytes]))
        if (ended) return void res.writeHead(204, { 'upload-offset': String(have.length + bytes.length), 'upload-complete': '?0', ...IETF }).end()
        req.socket.destroy()
      })
      try {
        const data = randomData(MiB)
        const upload = new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: 256 * KiB, retry, transport })
        const error = await failure(upload.start())
        expect(error.code).toBe('no-progress')
        expect(error.cause).toBeInstanceOf(UploadError)
        // The round that learned the URL, then the first try and 3 retries, each with backoff.
        expect(server.count('PATCH')).toBeLessThanOrEqual(5)
        const kept = stored.get('0') ?? Buffer.alloc(0)
        expect(kept.length).toBe(10 * server.count('PATCH'))
        expect(sha256(kept)).toBe(sha256(data.bytes.subarray(0, kept.length)))
      } finally {
        await server.close()
      }
    })
  }

  it('real cuts still resume: a server that keeps 300 KiB of each 1 MiB request completes', { timeout: TEST_TIMEOUT }, async () => {
    const data = randomData(3 * MiB + 3)
    const faults = [0, 1, 2, 3, 4, 5].map(() => reference.faults.add({ type: 'destroy', afterBytes: 300 * KiB, match: { kind: 'append' } }))
    const upload = new Upload(data.bytes, { endpoint: reference.endpoint, chunkSize: MiB, retry: { ...retry, retries: 0 } })
    // No retries at all: each cut stored a real share, so each starts a fresh round at once.
    const { url } = await upload.start()
    expect(faults.every((fault) => fault.hits === 1)).toBe(true)
    await expectStored(url, data)
  })
})

describe('104 floods', () => {
  /** A creation answered by `count` 104s, naming `location(i)`; then the body is stored and answered. */
  function floodServer(count: number, location: (i: number) => string, body: { stored?: Buffer }): Promise<HostileServer> {
    return startHostile(async (req, res, self) => {
      if (req.method === 'DELETE') return void res.writeHead(204, IETF).end()
      if (req.method !== 'POST') return void res.writeHead(404).end()
      let interim = ''
      for (let i = 0; i < count; i++) {
        interim += `HTTP/1.1 104 Upload Resumption Supported\r\nLocation: ${self.origin}${location(i)}\r\nUpload-Draft-Interop-Version: 8\r\n\r\n`
      }
      res.socket?.write(interim)
      body.stored = await readBody(req)
      res.writeHead(201, { location: location(0), 'upload-complete': '?1', 'upload-offset': String(body.stored.length), ...IETF }).end()
    })
  }

  it(
    '5,000 104s naming 5,000 Locations: location-changed after the second, one url event, one store write, the first cancelled',
    { timeout: TEST_TIMEOUT },
    async () => {
      const server = await floodServer(5000, (i) => `/uploads/${i}`, {})
      try {
        const store = countingStore()
        const data = randomData(512 * KiB)
        const upload = new Upload(data.bytes, { endpoint: server.endpoint, retry, store, fingerprint: () => 'flood' })
        const urls: string[] = []
        upload.on('url', ({ url }) => urls.push(url))
        const error = await failure(upload.start())
        expect(error.code).toBe('location-changed')
        expect(urls).toEqual([`${server.origin}/uploads/0`])
        expect(store.puts.length).toBeLessThanOrEqual(1)
        await server.waitFor('DELETE', '/uploads/0')
        expect(server.count('DELETE')).toBe(1)
        expect(server.count('POST')).toBe(1)
        expect(await store.list()).toEqual([])
      } finally {
        await server.close()
      }
    },
  )

  it('5,000 104s naming the same Location: no extra store write or url event, and the upload completes', { timeout: TEST_TIMEOUT }, async () => {
    const body: { stored?: Buffer } = {}
    const server = await floodServer(5000, () => '/uploads/same', body)
    try {
      const store = countingStore()
      const data = randomData(512 * KiB)
      const upload = new Upload(data.bytes, { endpoint: server.endpoint, retry, store, fingerprint: () => 'same' })
      const urls: string[] = []
      upload.on('url', ({ url }) => urls.push(url))
      const { url } = await upload.start()
      expect(url).toBe(`${server.origin}/uploads/same`)
      expect(urls).toEqual([url])
      expect(store.puts.filter((record) => record.complete !== true)).toHaveLength(1)
      expect(body.stored?.length).toBe(data.bytes.length)
      expect(sha256(body.stored ?? Buffer.alloc(0))).toBe(data.sha256)
    } finally {
      await server.close()
    }
  })
})

describe('Retry-After is capped by maxRetryAfter', () => {
  it('a 503 with Retry-After: 2000000 is retried after maxRetryAfter seconds', { timeout: TEST_TIMEOUT }, async () => {
    const fault = reference.faults.add({ type: 'status', status: 503, retryAfter: 2_000_000, match: { kind: 'append' } })
    const data = randomData(MiB + 9)
    const upload = new Upload(data.bytes, { endpoint: reference.endpoint, chunkSize: 256 * KiB, retry, maxRetryAfter: 0.05 })
    const retries: UploadError[] = []
    upload.on('retry', ({ error }) => retries.push(error))
    const { url } = await upload.start()
    expect(fault.hits).toBe(1)
    expect(retries.map((error) => [error.code, error.retryAfter])).toEqual([['http-status', 2_000_000]])
    await expectStored(url, data)
  })
})

describe('no success that did not happen', () => {
  it('HEAD says complete at an offset below the size after a cut: offset-invalid, not success', { timeout: TEST_TIMEOUT }, async () => {
    reference.faults.add({ type: 'destroy', afterBytes: 1000, match: { kind: 'append' } })
    reference.faults.add({ type: 'headers', set: { 'upload-complete': '?1' }, match: { kind: 'head' }, times: 10 })
    const data = randomData(2 * MiB + 7)
    const upload = new Upload(data.bytes, { endpoint: reference.endpoint, chunkSize: MiB, retry })
    const error = await failure(upload.start())
    expect(error).toMatchObject({ code: 'offset-invalid', retryable: false })
    expect(upload.state).toBe('failed')
  })

  it('a completion that states an Upload-Offset other than the length: offset-invalid', { timeout: TEST_TIMEOUT }, async () => {
    reference.faults.add({ type: 'headers', set: { 'upload-offset': '5' }, match: { kind: 'create' } })
    const data = randomData(64 * KiB)
    const error = await failure(new Upload(data.bytes, { endpoint: reference.endpoint, retry }).start())
    expect(error).toMatchObject({ code: 'offset-invalid', retryable: false })
  })

  it('a 104 max-size below the file: too-large, the url event, and the upload the 104 created is cancelled', { timeout: TEST_TIMEOUT }, async () => {
    reference.faults.add({ type: 'headers', set: { 'upload-limit': 'max-size=1000' }, interim: true, match: { kind: 'create' } })
    const deleted = new Promise<RequestEvent>((resolve) => {
      const listener = (event: RequestEvent): void => {
        if (event.method !== 'DELETE') return
        reference.events.off('request', listener)
        resolve(event)
      }
      reference.events.on('request', listener)
    })
    const data = randomData(256 * KiB)
    const upload = new Upload(data.bytes, { endpoint: reference.endpoint, retry })
    const urls: Array<{ url: string; via: string }> = []
    upload.on('url', (event) => urls.push(event))
    const error = await failure(upload.start())
    expect(error).toMatchObject({ code: 'too-large', retryable: false })
    expect(urls).toHaveLength(1)
    expect(urls[0]?.via).toBe('104')
    const id = reference.uploadIdFromUrl(urls[0]?.url ?? '')
    expect((await deleted).uploadId).toBe(id)
  })
})

describe('options', () => {
  it('sends the interopVersion option on every request', { timeout: TEST_TIMEOUT }, async () => {
    const log = recordRequests(reference)
    const data = randomData(300 * KiB)
    const { url } = await new Upload(data.bytes, { endpoint: reference.endpoint, interopVersion: 6, retry }).start()
    log.stop()
    expect(log.requests.length).toBeGreaterThan(0)
    expect(log.requests.map((request) => request.headers['upload-draft-interop-version'])).toEqual(log.requests.map(() => '6'))
    await expectStored(url, data)
  })

  it('refuses an unknown option name with a TypeError that names it', () => {
    const options = { endpoint: reference.endpoint, chunksize: MiB } as UploadOptions
    expect(() => new Upload(Buffer.alloc(1), options)).toThrow(TypeError)
    expect(() => new Upload(Buffer.alloc(1), options)).toThrow(/`chunksize` \(did you mean `chunkSize`\?\)/)
  })
})
