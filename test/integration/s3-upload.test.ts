/**
 * `new Upload(file, { protocol: s3(callbacks), chunkSize, concurrency })` (issue 12) against a real
 * s3rver behind the gate (test/support/s3-server.ts) and the test backend (s3-backend.ts): the
 * same Upload API, events, pause/resume, abort with terminate, the file store across a SIGKILL,
 * `findPrevious`, and the `concurrency` option. Every upload that completes is checked with
 * GetObject's SHA-256.
 */
import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import type { UploadEvents } from '../../src/options'
import type { S3Callbacks } from '../../src/protocols/s3-types'
import { s3 } from '../../src/s3'
import { fileStore } from '../../src/stores/file'
import { startCuttingProxy } from '../support/cutting-proxy'
import { randomData, tempDir, writeTestFile } from '../support/files'
import { createS3Backend, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend } from '../support/s3-backend-http'
import { S3_CREDENTIALS, S3_REGION, startS3Server, type S3TestServer } from '../support/s3-server'

const MiB = 1024 * 1024
const CHILD = new URL('./fixtures/s3-upload-child.ts', import.meta.url).pathname
const FAST_RETRY = { retries: 3, minTimeout: 1, maxTimeout: 10, factor: 2, randomize: false }

let server: S3TestServer
let backend: S3TestBackend

beforeAll(async () => {
  server = await startS3Server()
  backend = createS3Backend(server)
})

afterAll(async () => {
  await server.stop()
})

/** Every event of `upload`, by name. */
function record(upload: Upload) {
  const events: { [Name in keyof UploadEvents]: UploadEvents[Name][] } = { url: [], progress: [], state: [], retry: [], chunk: [], error: [], warning: [] }
  for (const name of Object.keys(events) as Array<keyof UploadEvents>) upload.on(name, (event) => (events[name] as unknown[]).push(event))
  return events
}

/** The object key of the last completed upload, from the backend's key for `completeMultipartUpload`. */
function keyed<Callbacks extends S3Callbacks>(callbacks: Callbacks): Callbacks & { lastKey: () => string | undefined } {
  let key: string | undefined
  return {
    ...callbacks,
    completeMultipartUpload: async (file, options) => {
      key = options.key
      return callbacks.completeMultipartUpload(file, options)
    },
    lastKey: () => key,
  }
}

describe('Upload with s3()', () => {
  it('a 64 MiB file path in 5 MiB parts, concurrency 4, through three connection cuts: whole object, parts in parallel, Upload events', async () => {
    const proxy = await startCuttingProxy(server.endpoint)
    const { dir, remove } = await tempDir()
    try {
      const viaProxy = keyed(createS3Backend(server, { publicEndpoint: proxy.url }))
      const data = randomData(64 * MiB)
      const path = await writeTestFile(dir, 'big.bin', data)
      const cuts = [proxy.cut(1 * MiB, 'PUT'), proxy.cut(3 * MiB, 'PUT'), proxy.cut(4 * MiB, 'PUT')]
      const from = server.partRequests.length
      const upload = new Upload(path, { protocol: s3(viaProxy), chunkSize: 5 * MiB, concurrency: 4, storeDirectory: dir, retry: FAST_RETRY })
      const events = record(upload)
      const result = await upload.start()

      expect(await viaProxy.sha256Of(viaProxy.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
      expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1])
      expect(proxy.requests.filter((request) => request.method === 'PUT')).toHaveLength(13 + 3)
      // The gate saw 4 parts (or more: a cut request whose close it has not seen yet) at once.
      const inFlight = server.partRequests.slice(from).map((part) => part.inFlight)
      expect(Math.max(...inFlight)).toBeGreaterThanOrEqual(4)
      expect(events.chunk).toHaveLength(13)
      expect(events.retry.map((event) => event.error.code)).toEqual(['network', 'network', 'network'])
      expect(events.state.map((event) => event.state)).toEqual(['creating', 'uploading', 'complete'])
      expect(events.url).toEqual([{ url: result.url, via: 'created' }])
      expect(events.error).toEqual([])
      expect(upload.state).toBe('complete')
      expect(upload.url).toBe(result.url)
      expect(upload.progress).toEqual({ bytesSent: data.bytes.length, bytesAcked: data.bytes.length, bytesTotal: data.bytes.length })
      // removeOnSuccess: the record written as parts completed is gone.
      expect(await Upload.findPrevious(path, { protocol: s3(viaProxy), storeDirectory: dir })).toEqual([])
    } finally {
      await proxy.close()
      await remove()
    }
  })

  it('pause and resume: the parts in flight stop, resume goes on through listParts with no new createMultipartUpload', async () => {
    const { dir, remove } = await tempDir()
    try {
      const callbacks = keyed(backend)
      const data = randomData(36 * MiB) // 8 parts
      const path = await writeTestFile(dir, 'pause.bin', data)
      const [creates, lists] = [backend.calls.createMultipartUpload, backend.calls.listParts]
      const upload = new Upload(path, { protocol: s3(callbacks), chunkSize: 5 * MiB, concurrency: 2, storeDirectory: dir, retry: FAST_RETRY })
      const events = record(upload)
      const stored = new Promise<void>((resolve) => upload.on('chunk', () => events.chunk.length === 2 && resolve()))
      const running = upload.start()
      await stored
      upload.pause()
      expect(upload.state).toBe('paused')
      await Promise.all(server.partRequests.map((part) => part.closed))
      // findPrevious shows real progress: the bytes of whole parts stored, and the object's URL (no signature).
      const previous = async () => (await Upload.findPrevious(path, { protocol: s3(callbacks), storeDirectory: dir }))[0]
      await expect.poll(async () => (await previous())?.offset, { timeout: 10_000 }).toBeGreaterThan(0)
      const paused = (await previous())!
      expect(paused.offset % (5 * MiB)).toBe(0)
      expect(paused.offset).toBeLessThanOrEqual(events.chunk.length * 5 * MiB)
      expect(new URL(paused.url).origin).toBe(server.endpoint)
      expect(new URL(paused.url).search).toBe('')
      expect(JSON.parse(paused.state!)).toMatchObject({ partSize: 5 * MiB, parts: expect.any(Array) })
      const sentBeforeResume = server.partRequests.length
      upload.resume()
      await running

      expect(await backend.sha256Of(callbacks.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
      expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([1, 1])
      // Parts stored after the pause: each at most once, at most the 6 not stored before it. Counted by
      // answer, not by arrival: a PUT the pause aborted can reach the gate after the snapshot under load.
      const storedAfter = server.partRequests
        .slice(sentBeforeResume)
        .filter((part) => part.status === 200)
        .map((part) => part.partNumber)
      expect(new Set(storedAfter).size).toBe(storedAfter.length)
      expect(storedAfter.length).toBeLessThanOrEqual(8 - 2)
      expect(events.state.map((event) => event.state)).toEqual(['creating', 'uploading', 'paused', 'creating', 'uploading', 'complete'])
    } finally {
      await remove()
    }
  })

  it('a record of the previous version (the state in its url) still resumes: no new createMultipartUpload, only missing parts', async () => {
    const { dir, remove } = await tempDir()
    try {
      const callbacks = keyed(backend)
      const data = randomData(16 * MiB) // 4 parts
      const path = await writeTestFile(dir, 'legacy.bin', data)
      const options = { protocol: s3(callbacks), chunkSize: 5 * MiB, concurrency: 1, storeDirectory: dir, retry: FAST_RETRY }
      const first = new Upload(path, options)
      const stored = new Promise<void>((resolve) => first.on('chunk', () => resolve()))
      const running = first.start()
      await stored
      first.pause()
      const store = fileStore(dir)
      await expect.poll(async () => (await store.list())[0]?.offset, { timeout: 10_000 }).toBeGreaterThan(0)
      const settled = expect(running).rejects.toMatchObject({ code: 'aborted' })
      await first.abort()
      await settled
      // Rewritten as the previous version wrote it: no `state`, the state as JSON in the url's query.
      const { state, ...current } = (await store.list())[0]!
      await store.put({ ...current, offset: 0, url: `https://multipart.invalid/?state=${encodeURIComponent(state!)}` })

      const [creates, lists] = [backend.calls.createMultipartUpload, backend.calls.listParts]
      const from = server.partRequests.length
      await new Upload(path, options).start()
      expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([0, 1])
      expect(server.partRequests.slice(from).map((part) => part.partNumber)).not.toContain(1)
      expect(await backend.sha256Of(callbacks.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    } finally {
      await remove()
    }
  })

  it('pause() and resume() in the same tick: the run goes on (not failed), one multipart upload, whole object', async () => {
    const callbacks = keyed(backend)
    const data = randomData(16 * MiB)
    const creates = backend.calls.createMultipartUpload
    const upload = new Upload(new Uint8Array(data.bytes), { protocol: s3(callbacks), chunkSize: 5 * MiB, concurrency: 2, store: false })
    let paused = false
    upload.on('chunk', () => {
      if (paused) return
      paused = true
      upload.pause()
      upload.resume()
    })
    await upload.start()
    expect(paused).toBe(true)
    expect(upload.state).toBe('complete')
    expect(backend.calls.createMultipartUpload - creates).toBe(1)
    expect(await backend.sha256Of(callbacks.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
  })

  it('pause, then abort({ terminate: true }): abortMultipartUpload once (the upload is gone on s3rver), the record forgotten', async () => {
    const { dir, remove } = await tempDir()
    try {
      const data = randomData(26 * MiB)
      const path = await writeTestFile(dir, 'abort.bin', data)
      const aborts = backend.calls.abortMultipartUpload
      let uploadId: string | undefined
      const callbacks: S3Callbacks = {
        ...backend,
        createMultipartUpload: async (file, signal) => {
          const created = await backend.createMultipartUpload(file, signal)
          uploadId = created.uploadId
          return created
        },
      }
      const upload = new Upload(path, { protocol: s3(callbacks), chunkSize: 5 * MiB, concurrency: 2, storeDirectory: dir })
      const arrived = server.partsArrived(server.partRequests.length + 2)
      const running = upload.start()
      await arrived
      expect(server.uploadExists(uploadId!)).toBe(true)
      // Paused first: terminate comes after the pause, as in an app (the parts cut are closed).
      upload.pause()
      await Promise.all(server.partRequests.map((part) => part.closed))
      const settled = expect(running).rejects.toMatchObject({ code: 'aborted' })
      await upload.abort({ terminate: true })
      await settled
      expect(backend.calls.abortMultipartUpload - aborts).toBe(1)
      expect(server.uploadExists(uploadId!)).toBe(false)
      expect(await Upload.findPrevious(path, { protocol: s3(callbacks), storeDirectory: dir })).toEqual([])
      expect(upload.state).toBe('aborted')
    } finally {
      await remove()
    }
  })

  it('a process killed with SIGKILL at half: a new process resumes from the file store through listParts, no new createMultipartUpload', async () => {
    const endpoint = await serveS3Backend(backend)
    const { dir, remove } = await tempDir()
    try {
      const data = randomData(40 * MiB) // 8 parts of 5 MiB
      const path = await writeTestFile(dir, 'crash.bin', data)
      const storeDirectory = `${dir}/store`
      const creates = backend.calls.createMultipartUpload
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, endpoint.url, path, storeDirectory, '4'], { stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      child.stdout.on('data', (piece: Buffer) => (output += piece.toString()))
      const killed = await new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
      expect(killed).toBe('SIGKILL')
      expect([...output.matchAll(/^chunk /gm)]).toHaveLength(4)
      expect(backend.calls.createMultipartUpload - creates).toBe(1)
      expect(await readdir(storeDirectory)).not.toEqual([])

      const callbacks = keyed(backend)
      const previous = await Upload.findPrevious(path, { protocol: s3(callbacks), storeDirectory })
      expect(previous).toHaveLength(1)
      expect(previous[0]).toMatchObject({ protocol: 's3', endpoint: 's3:', size: data.bytes.length })
      let held: number[] = []
      const lists = backend.calls.listParts
      const from = server.partRequests.length
      const upload = new Upload(path, {
        protocol: s3({
          ...callbacks,
          listParts: async (file, options) => {
            const listed = await callbacks.listParts(file, options)
            held = listed.map((part) => part.PartNumber)
            return listed
          },
        }),
        storeDirectory,
        chunkSize: 5 * MiB,
      })
      const events = record(upload)
      await upload.start()
      expect(held.length).toBeGreaterThanOrEqual(4)
      expect(held.length).toBeLessThan(8)
      expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([1, 1])
      const sent = server.partRequests.slice(from).map((part) => part.partNumber)
      expect(sent.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((number) => !held.includes(number)))
      expect(events.progress[0]?.bytesAcked).toBe(held.length * 5 * MiB)
      expect(await backend.sha256Of(callbacks.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
      expect(await Upload.findPrevious(path, { protocol: s3(callbacks), storeDirectory })).toEqual([])
    } finally {
      await endpoint.close()
      await remove()
    }
  })

  it('restoreAll with persistBlob and the memory store resumes a paused upload with the same multipart upload', async () => {
    const callbacks = keyed(backend)
    const data = randomData(16 * MiB)
    const blob = new File([new Uint8Array(data.bytes)], 'restore.bin', { lastModified: 1_700_000_000_000 })
    const creates = backend.calls.createMultipartUpload
    const first = new Upload(blob, { protocol: s3(callbacks), chunkSize: 5 * MiB, concurrency: 1, store: 'memory', persistBlob: true })
    const stored = new Promise<void>((resolve) => first.on('chunk', () => resolve()))
    const running = first.start()
    await stored
    await first.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })

    const restored = await Upload.restoreAll({ protocol: s3(callbacks), store: 'memory' })
    expect(restored).toHaveLength(1)
    await restored[0]!.start()
    expect(backend.calls.createMultipartUpload - creates).toBe(1)
    expect(await backend.sha256Of(callbacks.lastKey()!)).toEqual({ sha256: data.sha256, size: data.bytes.length })
  })

  it("a backend presigning with the AWS SDK's defaults (the CRC32 of no bytes signed in): callback-invalid naming the fix, before any part is sent", async () => {
    // S3 refuses such a part with BadDigest on every attempt; s3rver checks no checksum, so only the client can say it.
    const defaults = new S3Client({ endpoint: server.endpoint, region: S3_REGION, forcePathStyle: true, credentials: S3_CREDENTIALS })
    const callbacks: S3Callbacks = {
      ...backend,
      signPart: async (_file, { uploadId, key, partNumber }) => ({
        url: await getSignedUrl(defaults, new UploadPartCommand({ Bucket: server.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }), {
          expiresIn: 600,
        }),
      }),
    }
    const before = server.partRequests.length
    const upload = new Upload(randomData(6 * MiB).bytes, { protocol: s3(callbacks), chunkSize: 5 * MiB, store: false, retry: FAST_RETRY })
    const events = record(upload)
    await expect(upload.start()).rejects.toMatchObject({
      code: 'callback-invalid',
      message: expect.stringContaining("requestChecksumCalculation: 'WHEN_REQUIRED'"),
    })
    expect(server.partRequests.length).toBe(before)
    expect(events.retry).toEqual([])
    defaults.destroy()
  })

  it('concurrency (a positive integer) and chunkSize (S3 part rules): checked at construction; IETF and tus ignore concurrency', () => {
    for (const concurrency of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), concurrency })).toThrow(RangeError)
    }
    expect(() => new Upload(new Uint8Array(1), { endpoint: 'http://127.0.0.1:1/', concurrency: 2 })).not.toThrow()
    expect(() => new Upload(new Uint8Array(1), { endpoint: 'http://127.0.0.1:1/', protocol: 'tus', concurrency: 8 })).not.toThrow()
    // The part size follows S3's rules at construction, not first at start().
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), chunkSize: 5 * MiB - 1 })).toThrow(/at least 5 MiB/)
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), chunkSize: 5 * 1024 * MiB + 1 })).toThrow(RangeError)
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), chunkSize: 5 * MiB + 0.5 })).toThrow(TypeError)
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), chunkSize: 5 * MiB })).not.toThrow()
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend), chunkSize: Infinity })).not.toThrow()
    // s3() needs no endpoint; IETF still does.
    expect(() => new Upload(new Uint8Array(1), { protocol: s3(backend) })).not.toThrow()
    expect(() => new Upload(new Uint8Array(1), {})).toThrow(TypeError)
  })
})
