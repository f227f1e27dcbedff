/**
 * `Upload.restoreAll` in Node: it resumes every unfinished upload whose Blob the store kept
 * (`persistBlob` with a store that keeps Blobs, such as the memory store), and finds nothing in
 * the file store, which keeps no Blob: there the file path given again resumes the record.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload, memoryStore } from '../../src/node'
import type { UploadOptions } from '../../src/options'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'

const MiB = 1024 * 1024
let server: ReferenceServer
let work: { dir: string; remove: () => Promise<void> }

beforeAll(async () => {
  server = await startReferenceServer()
  work = await tempDir()
})
afterAll(async () => {
  await server.close()
  await work.remove()
})

async function expectStored(url: string, data: TestData): Promise<void> {
  expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
}

/** Starts an upload of `input` and aborts it once 1 MiB is acknowledged; resolves with its URL. */
async function abortAfterFirstMiB(input: string | File, options: UploadOptions): Promise<string> {
  const first = new Upload(input, { ...options, chunkSize: MiB })
  let url = ''
  first.on('url', (event) => (url = event.url))
  first.on('chunk', ({ end }) => {
    if (end >= MiB) void first.abort()
  })
  await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
  return url
}

describe('Upload.restoreAll in Node', () => {
  it('resumes a File kept by the memory store (persistBlob), with its endpoint and metadata', async () => {
    const data = randomData(3 * MiB + 17)
    const store = memoryStore()
    const file = new File([new Uint8Array(data.bytes)], 'kept.bin', { type: 'application/octet-stream', lastModified: 1_700_000_000_000 })
    const firstUrl = await abortAfterFirstMiB(file, { endpoint: server.endpoint, store, persistBlob: true, metadata: { filename: 'kept.bin' } })
    const id = server.uploadIdFromUrl(firstUrl)
    const receivedBefore = server.stats.perUpload.get(id)?.bodyBytesReceived ?? 0
    expect(receivedBefore).toBeGreaterThanOrEqual(MiB)

    const restored = await Upload.restoreAll({ store, chunkSize: MiB })
    expect(restored).toHaveLength(1)
    const upload = restored[0] as Upload
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect({ vias, url }).toEqual({ vias: ['stored'], url: firstUrl })
    await expectStored(url, data)
    // Resumed, not sent again: at most one chunk beyond the file's length in all.
    expect((server.stats.perUpload.get(id)?.bodyBytesReceived ?? 0) - data.bytes.length).toBeLessThanOrEqual(MiB)
    expect(await store.list()).toEqual([])
    expect(await Upload.restoreAll({ store })).toEqual([])
  })

  it('finds nothing in the file store (no Blob in it); the path given again resumes the record', async () => {
    const data = randomData(2 * MiB + 5)
    const path = await writeTestFile(work.dir, 'path.bin', data)
    const options = { endpoint: server.endpoint, storeDirectory: join(work.dir, 'state'), persistBlob: true }
    const firstUrl = await abortAfterFirstMiB(path, options)
    expect(await Upload.restoreAll({ storeDirectory: options.storeDirectory })).toEqual([])
    expect(await Upload.findPrevious(path, options)).toMatchObject([{ url: firstUrl }])
    const upload = new Upload(path, { ...options, chunkSize: MiB })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect({ vias, url }).toEqual({ vias: ['stored'], url: firstUrl })
    await expectStored(url, data)
  })
})
