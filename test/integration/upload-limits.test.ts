/**
 * The Upload obeys the server's Upload-Limit: max-append-size learned from the 104 (stop the
 * request at once), from the creation response, or from a 413; max-size refused up front.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import { startReferenceServer, type ReferenceServer } from '../server'
import type { RequestEvent } from '../server/types'
import { randomData } from '../support/files'
import { recordRequests } from '../support/requests'

const MiB = 1024 * 1024
let server: ReferenceServer

beforeAll(async () => {
  server = await startReferenceServer({ limits: { maxAppendSize: MiB, maxSize: 8 * MiB } })
})
afterAll(() => server.close())

describe('Upload-Limit', () => {
  it('answers a 413 on a too-large creation by sending chunks that fit', async () => {
    const data = randomData(3 * MiB + 11)
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: Infinity })
    const { url } = await upload.start()
    log.stop()
    const id = server.uploadIdFromUrl(url)
    expect(await server.upload(id)).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
    const patches = log.requests.filter((request) => request.method === 'PATCH')
    expect(patches.length).toBeGreaterThanOrEqual(3)
    expect(patches.every((request) => Number(request.headers['content-length']) <= MiB)).toBe(true)
  })

  it('stops a request at once when a 104 announces a max-append-size it exceeds', async () => {
    const open = await startReferenceServer()
    try {
      // This server has no limit; its 104 says 1 MiB, and the client must obey what it was told.
      open.faults.add({ type: 'headers', set: { 'upload-limit': `max-append-size=${MiB}` }, interim: true, match: { kind: 'create' } })
      const data = randomData(3 * MiB + 11)
      const upload = new Upload(data.bytes, { endpoint: open.endpoint, chunkSize: Infinity })
      const retries: string[] = []
      upload.on('retry', ({ error }) => retries.push(error.code))
      const lengths: number[] = []
      open.events.on('request', (request: RequestEvent) => {
        if (request.method === 'PATCH') lengths.push(Number(request.headers['content-length']))
      })
      const { url } = await upload.start()
      expect(await open.upload(open.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
      expect(retries).toEqual(['too-large'])
      // What the server took of the stopped request stays; the rest goes in requests that fit.
      expect(lengths.length).toBeGreaterThan(0)
      expect(lengths.every((length) => length <= MiB)).toBe(true)
    } finally {
      await open.close()
    }
  })

  it('learns max-append-size from the creation response (careful creation) and never exceeds it', async () => {
    const data = randomData(3 * MiB)
    const log = recordRequests(server)
    const { url } = await new Upload(data.bytes, { endpoint: server.endpoint, chunkSize: 4 * MiB, transport: 'fetch' }).start()
    log.stop()
    expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
    const sizes = log.requests.filter((request) => request.method === 'PATCH').map((request) => Number(request.headers['content-length']))
    expect(sizes).toEqual([MiB, MiB, MiB])
  })

  it('fails with too-large, sending no body, when the file exceeds max-size', async () => {
    const data = randomData(8 * MiB + 1)
    const log = recordRequests(server)
    const upload = new Upload(data.bytes, { endpoint: server.endpoint, transport: 'fetch' })
    await expect(upload.start()).rejects.toMatchObject({ code: 'too-large', retryable: false })
    log.stop()
    expect(log.requests.filter((request) => request.method === 'PATCH')).toHaveLength(0)
  })
})
