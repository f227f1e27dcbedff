/**
 * The Upload obeys the server's Upload-Limit: max-append-size learned from the 104 (stop the
 * request at once), from the creation response, or from a 413 (down to the 1 KiB floor);
 * max-size refused up front; limits it cannot work with (below the floor, min above max)
 * refused with `limit-unusable` instead of one request per byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import { MIN_APPEND_SIZE_FLOOR } from '../../src/protocols/limits'
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

  it('obeys a 413 whose Upload-Limit names a max-append-size below 64 KiB (16 KiB)', async () => {
    const small = await startReferenceServer({ limits: { maxAppendSize: 16 * 1024 } })
    try {
      const data = randomData(100 * 1024 + 3)
      const log = recordRequests(small)
      const { url } = await new Upload(data.bytes, { endpoint: small.endpoint, chunkSize: Infinity }).start()
      log.stop()
      expect(await small.upload(small.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
      // The first creation carried everything and got the 413; every later request fits.
      const sizes = log.requests.map((request) => Number(request.headers['content-length'] ?? 0))
      expect(sizes[0]).toBe(data.bytes.length)
      expect(sizes.slice(1).every((size) => size <= 16 * 1024)).toBe(true)
      expect(log.requests.filter((request) => request.method === 'PATCH').length).toBe(6)
    } finally {
      await small.close()
    }
  })
})

describe('limits the Upload cannot work with: limit-unusable', () => {
  const cases = [
    { name: 'max-append-size=0', limits: { maxAppendSize: 0 } },
    { name: 'max-append-size=1', limits: { maxAppendSize: 1 } },
    { name: `max-append-size=${MIN_APPEND_SIZE_FLOOR - 1} (below the floor)`, limits: { maxAppendSize: MIN_APPEND_SIZE_FLOOR - 1 } },
    { name: 'min-append-size above max-append-size', limits: { minAppendSize: 64 * 1024, maxAppendSize: 32 * 1024 } },
  ]
  for (const { name, limits } of cases) {
    for (const transport of ['node-http', 'fetch'] as const) {
      it(`${name} (${transport}): fails at once, sends no PATCH, cancels what it created`, async () => {
        const tiny = await startReferenceServer({ limits })
        try {
          const data = randomData(200 * 1024)
          const log = recordRequests(tiny)
          const upload = new Upload(data.bytes, { endpoint: tiny.endpoint, transport, retry: { retries: 2, minTimeout: 1, maxTimeout: 5 } })
          const urls: string[] = []
          upload.on('url', ({ url }) => urls.push(url))
          const deleted = waitForDelete(tiny)
          await expect(upload.start()).rejects.toMatchObject({ code: 'limit-unusable', retryable: false })
          log.stop()
          expect(log.requests.filter((request) => request.method === 'PATCH')).toHaveLength(0)
          expect(log.requests.filter((request) => request.method === 'POST')).toHaveLength(1)
          // node-http sends the body with the creation and gets a 413 (nothing created); fetch
          // creates first (201), and that upload is deleted, not left behind.
          expect(urls).toHaveLength(transport === 'fetch' ? 1 : 0)
          if (transport === 'fetch') expect((await deleted).uploadId).toBe(tiny.uploadIdFromUrl(urls[0] ?? ''))
        } finally {
          await tiny.close()
        }
      })
    }
  }

  it('a file that fits in one request is still sent under a tiny max-append-size', async () => {
    const tiny = await startReferenceServer({ limits: { maxAppendSize: 100 } })
    try {
      const data = randomData(100)
      const { url } = await new Upload(data.bytes, { endpoint: tiny.endpoint, transport: 'fetch' }).start()
      expect(await tiny.upload(tiny.uploadIdFromUrl(url))).toMatchObject({ length: 100, complete: true, sha256: data.sha256 })
    } finally {
      await tiny.close()
    }
  })
})

/** The next DELETE the server starts handling. */
function waitForDelete(server: ReferenceServer): Promise<RequestEvent> {
  return new Promise((resolve) => {
    const listener = (event: RequestEvent): void => {
      if (event.method !== 'DELETE') return
      server.events.off('request', listener)
      resolve(event)
    }
    server.events.on('request', listener)
  })
}
