/**
 * The Upload in Node against the reference server on 127.0.0.1: interruptions, every server
 * fault, bad server answers, pause/resume and abort. Every upload's stored bytes are checked by
 * length and SHA-256.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Upload, UploadError, nodeHttpTransport } from '../../src/node'
import type { UploadOptions } from '../../src/options'
import type { Transport, TransportRequest } from '../../src/types'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomBetween, randomData, sha256, tempDir, writeTestFile, type TestData } from '../support/files'

const MiB = 1024 * 1024
let server: ReferenceServer
let workDir: { dir: string; remove: () => Promise<void> }

beforeAll(async () => {
  server = await startReferenceServer()
  workDir = await tempDir()
})
afterAll(async () => {
  await server.close()
  await workDir.remove()
})
afterEach(() => server.faults.clear())

/** A node-http transport that records what it sends. */
function recordingTransport(): Transport & { sent: Array<{ method: string; offset: string | undefined; bodyLength: number }> } {
  const inner = nodeHttpTransport()
  const sent: Array<{ method: string; offset: string | undefined; bodyLength: number }> = []
  return {
    name: inner.name,
    seesInterimResponses: inner.seesInterimResponses,
    reportsUploadProgress: inner.reportsUploadProgress,
    sent,
    send(request: TransportRequest, options) {
      sent.push({ method: request.method, offset: request.headers['upload-offset'], bodyLength: request.bodyLength })
      return inner.send(request, options)
    },
  }
}

const fastRetry: UploadOptions['retry'] = { retries: 6, minTimeout: 20, maxTimeout: 200 }

async function expectStored(url: string, data: TestData): Promise<void> {
  const stored = await server.upload(server.uploadIdFromUrl(url))
  expect(stored).toMatchObject({ length: data.bytes.length, offset: data.bytes.length, complete: true, sha256: data.sha256 })
}

/** The stored bytes of an unfinished upload are a prefix of the source: nothing corrupted. */
async function expectPrefix(url: string | undefined, data: TestData): Promise<void> {
  if (url === undefined) return
  const stored = await server.upload(server.uploadIdFromUrl(url))
  if (!stored || stored.deleted) return
  expect(stored.sha256).toBe(sha256(data.bytes.subarray(0, stored.offset)))
}

describe('node-http, chunkSize Infinity, 64 MiB', () => {
  it('survives five cuts after the 104 and re-sends no byte the server had stored', async () => {
    const data = randomData(64 * MiB)
    const path = await writeTestFile(workDir.dir, 'big.bin', data)
    // Five cuts at random points, each inside the request that follows the previous one.
    let remaining = data.bytes.length
    const cuts: number[] = []
    for (let i = 0; i < 5; i++) {
      const cut = randomBetween(1, Math.floor(remaining / 3))
      cuts.push(cut)
      remaining -= cut
    }
    const faults = cuts.map((afterBytes, i) => server.faults.add({ type: 'destroy', afterBytes, match: { kind: i === 0 ? 'create' : 'append' } }))
    const transport = recordingTransport()
    const upload = new Upload(path, { endpoint: server.endpoint, chunkSize: Infinity, transport, retry: fastRetry })
    const urls: Array<{ url: string; via: string }> = []
    upload.on('url', (event) => urls.push(event))
    const { url } = await upload.start()

    expect(faults.map((fault) => fault.hits)).toEqual([1, 1, 1, 1, 1])
    expect(urls).toEqual([{ url, via: '104' }])
    await expectStored(url, data)
    // Each PATCH starts exactly where the server's HEAD said: re-sent stored bytes = 0.
    const patches = transport.sent.filter((request) => request.method === 'PATCH')
    let stored = 0
    let resent = 0
    for (const [i, cut] of cuts.entries()) {
      stored += cut
      const patch = patches[i]
      expect(patch).toBeDefined()
      resent += Math.max(0, stored - Number(patch?.offset))
      expect(Number(patch?.offset)).toBe(stored)
    }
    expect(resent).toBe(0)
    expect(transport.sent.filter((request) => request.method === 'POST')).toHaveLength(1)
    expect(transport.sent.filter((request) => request.method === 'HEAD')).toHaveLength(5)
  })
})

describe('server faults', () => {
  let data: TestData
  let path: string
  beforeAll(async () => {
    data = randomData(3 * MiB + 12345)
    path = await writeTestFile(workDir.dir, 'faults.bin', data)
  })
  const options = (extra: Partial<UploadOptions> = {}): UploadOptions => ({ endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry, ...extra })

  for (const status of [500, 503]) {
    it(`retries a ${status} once and completes`, async () => {
      const fault = server.faults.add({ type: 'status', status, match: { kind: 'append' } })
      const upload = new Upload(path, options())
      const retries: UploadError[] = []
      upload.on('retry', ({ error }) => retries.push(error))
      const { url } = await upload.start()
      expect(fault.hits).toBe(1)
      expect(retries.map((error) => [error.code, error.status])).toEqual([['http-status', status]])
      await expectStored(url, data)
    })
  }

  it('honours 429 with Retry-After', async () => {
    const fault = server.faults.add({ type: 'status', status: 429, retryAfter: 1, match: { kind: 'append' } })
    const upload = new Upload(path, options())
    const retries: UploadError[] = []
    upload.on('retry', ({ error }) => retries.push(error))
    const { url } = await upload.start()
    expect(fault.hits).toBe(1)
    expect(retries).toHaveLength(1)
    expect(retries[0]).toMatchObject({ code: 'http-status', status: 429, retryAfter: 1, retryable: true })
    await expectStored(url, data)
  })

  it('aborts a stalled request after stallTimeout, asks for the offset and completes', async () => {
    const fault = server.faults.add({ type: 'stall', match: { kind: 'append' } })
    const upload = new Upload(path, options({ stallTimeout: 500 }))
    const retries: UploadError[] = []
    upload.on('retry', ({ error }) => retries.push(error))
    const { url } = await upload.start()
    expect(fault.hits).toBe(1)
    expect(retries.map((error) => error.code)).toEqual(['timeout'])
    await expectStored(url, data)
  })

  it('retries a refused HEAD, then resumes', async () => {
    server.faults.add({ type: 'destroy', afterBytes: 100_000, match: { kind: 'append' } })
    const refused = server.faults.add({ type: 'status', status: 503, match: { kind: 'head' }, times: 2 })
    const upload = new Upload(path, options())
    const { url } = await upload.start()
    expect(refused.hits).toBe(2)
    await expectStored(url, data)
  })

  it('starts a fresh upload when the old one expired (410)', async () => {
    const upload = new Upload(path, options())
    const urls: string[] = []
    upload.on('url', ({ url }) => {
      urls.push(url)
      if (urls.length === 1) server.expire(server.uploadIdFromUrl(url))
    })
    const { url } = await upload.start()
    expect(urls).toHaveLength(2)
    expect(url).toBe(urls[1])
    await expectStored(url, data)
  })

  it('fails with upload-gone when restarting is turned off', async () => {
    const upload = new Upload(path, options({ restartOnGone: false }))
    upload.on('url', ({ url }) => {
      server.forget(server.uploadIdFromUrl(url))
    })
    await expect(upload.start()).rejects.toMatchObject({ code: 'upload-gone', retryable: false })
  })

  it('survives a server restart mid-upload', async () => {
    const upload = new Upload(path, options({ retry: { retries: 20, minTimeout: 50, maxTimeout: 200 } }))
    let restarted: Promise<void> | undefined
    upload.on('chunk', ({ end }) => {
      if (end >= MiB && !restarted) restarted = server.restart()
    })
    const { url } = await upload.start()
    expect(restarted).toBeDefined()
    await restarted
    await expectStored(url, data)
  })
})

describe('bad answers from the server', () => {
  let data: TestData
  let path: string
  beforeAll(async () => {
    data = randomData(2 * MiB + 7)
    path = await writeTestFile(workDir.dir, 'bad.bin', data)
  })

  async function failWith(code: string, setup: () => void, extra: Partial<UploadOptions> = {}): Promise<void> {
    setup()
    const upload = new Upload(path, { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry, ...extra })
    const error = await upload.start().then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code })
    expect(upload.state).toBe('failed')
    await expectPrefix(upload.url, data)
  }

  const cutThenHead = (headers: Record<string, string>) => () => {
    server.faults.add({ type: 'destroy', afterBytes: 1000, match: { kind: 'append' } })
    server.faults.add({ type: 'headers', set: headers, match: { kind: 'head' }, times: 10 })
  }

  for (const value of ['abc', '-5', '1.5', '9999999999999999', '5, 6']) {
    it(`rejects a malformed Upload-Offset ${JSON.stringify(value)}`, () => failWith('malformed-response', cutThenHead({ 'upload-offset': value })))
  }

  it('rejects a server offset beyond the file size', () => failWith('offset-invalid', cutThenHead({ 'upload-offset': String(data.bytes.length + 10) })))

  it('rejects an offset going backwards', () => failWith('offset-invalid', cutThenHead({ 'upload-offset': '0' }), { chunkSize: 512 * 1024 }))

  it('refuses a foreign Location from the 104 and sends it nothing', () =>
    failWith('location-refused', () => {
      server.faults.add({ type: 'headers', set: { location: 'http://198.51.100.7/uploads/x' }, interim: true, match: { kind: 'create' } })
    }))

  it('refuses a foreign Location in the creation response', () =>
    failWith(
      'location-refused',
      () => {
        server.faults.add({ type: 'headers', set: { location: 'http://198.51.100.7/uploads/x' }, match: { kind: 'create' } })
      },
      { transport: 'fetch' },
    ))

  it('fails when the creation response has no Location and no 104 came', () =>
    failWith(
      'location-missing',
      () => {
        server.faults.add({ type: 'headers', remove: ['location'], match: { kind: 'create' } })
      },
      { transport: 'fetch' },
    ))

  it('fails when the 104 and the 201 name different upload URLs', () =>
    failWith('location-changed', () => {
      server.faults.add({ type: 'headers', set: { location: `${server.endpoint}/0123456789abcdef0123456789abcdef` }, match: { kind: 'create' } })
    }))

  it('rejects Upload-Complete: ?0 in answer to the last bytes', () =>
    failWith('malformed-response', () => {
      server.faults.add({ type: 'headers', set: { 'upload-complete': '?0' }, match: { kind: 'append' }, times: 10 })
    }))
})

describe('pause, resume and abort', () => {
  it('pauses, resumes after 2 s and completes', async () => {
    const data = randomData(4 * MiB)
    const path = await writeTestFile(workDir.dir, 'pause.bin', data)
    const upload = new Upload(path, { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry })
    const states: string[] = []
    upload.on('state', ({ state }) => states.push(state))
    let paused = false
    upload.on('chunk', () => {
      if (paused) return
      paused = true
      upload.pause()
      setTimeout(() => upload.resume(), 2000)
    })
    const { url } = await upload.start()
    expect(states).toContain('paused')
    expect(states.at(-1)).toBe('complete')
    await expectStored(url, data)
  })

  it('resume() before the paused request has settled goes on (and pause/resume/pause/resume in one tick)', async () => {
    const data = randomData(4 * MiB)
    const path = await writeTestFile(workDir.dir, 'pause-race.bin', data)
    const upload = new Upload(path, { endpoint: server.endpoint, chunkSize: MiB, retry: fastRetry })
    const states: string[] = []
    upload.on('state', ({ state }) => states.push(state))
    let toggles = 0
    upload.on('progress', ({ bytesSent }) => {
      // Mid-request (bytes of a chunk on their way): the aborted request settles after resume().
      if (toggles >= 2 || bytesSent % MiB === 0) return
      toggles++
      upload.pause()
      upload.resume()
      if (toggles === 2) {
        upload.pause()
        upload.resume()
      }
    })
    const { url } = await upload.start()
    expect(toggles).toBe(2)
    expect(states.filter((state) => state === 'paused')).toHaveLength(3)
    expect(states.at(-1)).toBe('complete')
    await expectStored(url, data)
  })

  it('abort({ terminate: true }) leaves nothing on the server', async () => {
    const data = randomData(4 * MiB)
    const path = await writeTestFile(workDir.dir, 'abort.bin', data)
    const upload = new Upload(path, { endpoint: server.endpoint, chunkSize: MiB })
    let aborted: Promise<void> | undefined
    upload.on('chunk', () => {
      aborted ??= upload.abort({ terminate: true })
    })
    await expect(upload.start()).rejects.toMatchObject({ code: 'aborted' })
    await aborted
    expect(upload.state).toBe('aborted')
    const url = upload.url
    expect(url).toBeDefined()
    const stored = await server.upload(server.uploadIdFromUrl(url ?? ''))
    expect(stored === undefined || stored.deleted).toBe(true)
    const head = await fetch(url ?? '', { method: 'HEAD', headers: { 'upload-draft-interop-version': '8' } })
    expect([404, 410]).toContain(head.status)
  })
})
