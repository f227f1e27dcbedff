/**
 * The Upload's public lifecycle: `state`, `url` and `bytesAcked` are read-only getters; `start()`
 * is idempotent (a second call, even a double click in the same tick, is the same promise and one
 * creation); a failed or aborted Upload can be started again and resumes where the server is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import { UploadError } from '../../src/errors'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData } from '../support/files'
import { recordRequests } from '../support/requests'

const MiB = 1024 * 1024
let server: ReferenceServer

beforeAll(async () => {
  server = await startReferenceServer()
})
afterAll(() => server.close())

describe('read-only state', () => {
  it('state, url and bytesAcked cannot be assigned', () => {
    const upload = new Upload(randomData(10).bytes, { endpoint: server.endpoint, store: false })
    const writable = upload as unknown as { state: string; url: string; bytesAcked: number }
    expect(() => (writable.state = 'complete')).toThrow(TypeError)
    expect(() => (writable.url = 'http://elsewhere/')).toThrow(TypeError)
    expect(() => (writable.bytesAcked = 5)).toThrow(TypeError)
    expect(upload.state).toBe('idle')
    expect(upload.url).toBeUndefined()
    expect(upload.bytesAcked).toBe(0)
  })
})

describe('start()', () => {
  it('twice returns the same promise and creates one upload', async () => {
    const data = randomData(MiB + 3)
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, store: false, chunkSize: 256 * 1024 })
    const first = upload.start()
    const second = upload.start()
    expect(second).toBe(first)
    const { url } = await first
    log.stop()
    expect(upload.start()).toBe(first)
    expect(log.requests.filter((request) => request.method === 'POST')).toHaveLength(1)
    expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
    expect(upload.bytesAcked).toBe(data.bytes.length)
  })

  it('after a failure starts a new run that resumes at the known URL (HEAD first)', async () => {
    const data = randomData(2 * MiB + 5)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, store: false, chunkSize: 512 * 1024, retry: { retries: 0 } })
    const chunks: number[] = []
    upload.on('chunk', ({ end }) => {
      chunks.push(end)
      // After the first acknowledged chunk, the next append fails for good (a 400).
      if (chunks.length === 1) server.faults.add({ type: 'status', status: 400, match: { kind: 'append' } })
    })
    const failure = await upload.start().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(UploadError)
    expect(upload.state).toBe('failed')
    const url = upload.url
    expect(url).toBeDefined()
    const log = recordRequests(server)
    const states: string[] = []
    upload.on('state', ({ state }) => states.push(state))
    const result = await upload.start()
    log.stop()
    expect(result.url).toBe(url)
    expect(log.requests[0]?.method).toBe('HEAD')
    expect(log.requests.some((request) => request.method === 'POST')).toBe(false)
    expect(states[0]).toBe('idle')
    expect(states.at(-1)).toBe('complete')
    expect(await server.upload(server.uploadIdFromUrl(result.url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
  })

  it('after an abort starts again and resumes', async () => {
    const data = randomData(2 * MiB + 7)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, store: false, chunkSize: 512 * 1024 })
    let aborted = false
    upload.on('chunk', () => {
      if (!aborted) void upload.abort()
      aborted = true
    })
    const failure = await upload.start().catch((error: unknown) => error)
    expect(failure).toMatchObject({ code: 'aborted' })
    expect(upload.state).toBe('aborted')
    const acked = upload.bytesAcked
    expect(acked).toBeGreaterThan(0)
    const log = recordRequests(server)
    const restarted = upload.start()
    expect(upload.start()).toBe(restarted)
    const { url } = await restarted
    log.stop()
    expect(log.requests[0]?.method).toBe('HEAD')
    expect(log.requests.some((request) => request.method === 'POST')).toBe(false)
    expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
  })
})
