/**
 * The S3 test infrastructure against a real s3rver (test/support/s3-server.ts, s3-backend.ts,
 * s3-backend-http.ts), driven by hand with Node fetch and read with the sans-I/O protocol
 * (src/protocols/s3.ts): parts in parallel, listParts from s3rver's directory, complete, the
 * stored object's SHA-256; and each thing s3rver does or lacks, as measured (module comment of
 * s3-server.ts).
 */
import { AbortMultipartUploadCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3, type S3File, type S3PartRequest, type S3Protocol, type S3UploadRef } from '../../src/protocols/s3'
import type { HttpResponse } from '../../src/types'
import { startCuttingProxy } from '../support/cutting-proxy'
import { randomData, tempDir } from '../support/files'
import { S3BackendError, createS3Backend, partsOnDisk, type S3TestBackend } from '../support/s3-backend'
import { RemoteBackendError, remoteS3Backend } from '../support/s3-backend-client'
import { serveS3Backend } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'

const MiB = 1024 * 1024
const ORIGIN = 'http://127.0.0.1:1'

let server: S3TestServer
let backend: S3TestBackend
let protocol: S3Protocol
const signal = new AbortController().signal

beforeAll(async () => {
  server = await startS3Server()
  backend = createS3Backend(server)
  protocol = s3(backend)
})

afterAll(async () => {
  await server.stop()
})

function describeFile(name: string, size: number): S3File {
  return protocol.file({ name, type: 'application/octet-stream', size }, {})
}

/** Resolves once `condition` holds, checking every 10 ms for at most 10 s. */
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let check = 0; check < 1000; check++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('condition not met within 10 s')
}

function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex')
}

/** PUTs `bytes`; with `hold`, the first byte goes at once and the rest once `hold` resolves (so requests overlap for sure). */
async function put(url: string, bytes: Uint8Array, options: { hold?: Promise<void>; headers?: Record<string, string> } = {}): Promise<HttpResponse> {
  let body = bytes as unknown as BodyInit
  if (options.hold !== undefined) {
    const hold = options.hold
    let first = true
    body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (first) {
          first = false
          return controller.enqueue(bytes.subarray(0, 1))
        }
        await hold
        controller.enqueue(bytes.subarray(1))
        controller.close()
      },
    })
  }
  const response = await fetch(url, { method: 'PUT', body, headers: options.headers, duplex: 'half' } as RequestInit)
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
}

/** Creates an upload and returns it with a function that signs and sends one part. */
async function startUpload(file: S3File, bytes: Uint8Array, partSize: number) {
  const upload: S3UploadRef = protocol.readCreated(await backend.createMultipartUpload(file, signal))
  const sign = async (partNumber: number, signer: S3TestBackend = backend): Promise<S3PartRequest> => {
    const start = (partNumber - 1) * partSize
    const part = { number: partNumber, start, end: Math.min(bytes.length, start + partSize) }
    return protocol.partRequest(await signer.signPart(file, { ...upload, partNumber, signal }), part)
  }
  const send = async (request: S3PartRequest, hold?: Promise<void>) =>
    protocol.readPartResponse(request, await put(request.url, bytes.subarray(request.body.start, request.body.end), { hold }), Date.now())
  return { upload, sign, send }
}

describe('S3 test backend against s3rver', () => {
  it('creates, signs and PUTs 3 parts in parallel (5 + 5 + 1 MiB), lists them from disk, completes, and GetObject has the same SHA-256', async () => {
    const data = randomData(11 * MiB)
    const file = describeFile('three-parts.bin', data.bytes.length)
    const partSize = protocol.partSize(data.bytes.length, 5 * MiB)
    const { upload, sign, send } = await startUpload(file, data.bytes, partSize)
    const requests = await Promise.all([1, 2, 3].map((number) => sign(number)))
    const before = server.partRequests.length
    const allArrived = server.partsArrived(before + 3)
    const results = await Promise.all(requests.map((request) => send(request, allArrived)))

    expect(server.maxPartsInFlight).toBeGreaterThanOrEqual(3)
    expect(server.partRequests.slice(before).map((record) => record.inFlight)).toEqual([1, 2, 3])
    const expected = requests.map((request) => `"${md5(data.bytes.subarray(request.body.start, request.body.end))}"`)
    expect(results).toEqual(requests.map((request, index) => ({ kind: 'stored', partNumber: request.partNumber, etag: expected[index] })))

    const listed = await backend.listParts(file, { ...upload, signal })
    expect(listed).toEqual([
      { PartNumber: 1, ETag: expected[0], Size: 5 * MiB },
      { PartNumber: 2, ETag: expected[1], Size: 5 * MiB },
      { PartNumber: 3, ETag: expected[2], Size: 1 * MiB },
    ])
    const held = protocol.readListedParts(listed, { size: data.bytes.length, partSize })
    const completed = protocol.readCompleted(await backend.completeMultipartUpload(file, { ...upload, parts: protocol.completionParts(held), signal }))
    expect(completed.location).toBe(`${server.endpoint}/${server.bucket}/${upload.key.split('/').map(encodeURIComponent).join('/')}`)
    expect(await backend.sha256Of(upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    await expect(backend.listParts(file, { ...upload, signal })).rejects.toMatchObject({ code: 'NoSuchUpload', status: 404 })
  })

  it('s3rver itself answers ListParts and AbortMultipartUpload with 405 MethodNotAllowed (hence the backend reads its directory)', async () => {
    const { upload } = await startUpload(describeFile('lacks.bin', 1), new Uint8Array(1), 5 * MiB)
    const ids = { Bucket: server.bucket, Key: upload.key, UploadId: upload.uploadId }
    await expect(server.client.send(new ListPartsCommand(ids))).rejects.toMatchObject({ name: 'MethodNotAllowed', $metadata: { httpStatusCode: 405 } })
    await expect(server.client.send(new AbortMultipartUploadCommand(ids))).rejects.toMatchObject({
      name: 'MethodNotAllowed',
      $metadata: { httpStatusCode: 405 },
    })
  })

  it('abort removes the upload: listParts and Complete then say NoSuchUpload, and its part URLs answer 404 NoSuchUpload, read as gone', async () => {
    const bytes = randomData(5 * MiB).bytes
    const file = describeFile('aborted.bin', bytes.length)
    const { upload, sign, send } = await startUpload(file, bytes, 5 * MiB)
    const request = await sign(1)
    expect((await send(request)).kind).toBe('stored')
    expect(existsSync(server.uploadDirectory(upload.uploadId))).toBe(true)
    await backend.abortMultipartUpload(file, { ...upload, signal })
    expect(existsSync(server.uploadDirectory(upload.uploadId))).toBe(false)
    await expect(backend.listParts(file, { ...upload, signal })).rejects.toMatchObject({ code: 'NoSuchUpload' })
    await expect(backend.completeMultipartUpload(file, { ...upload, parts: [{ PartNumber: 1, ETag: 'x' }], signal })).rejects.toMatchObject({
      code: 'NoSuchUpload',
    })
    await expect(backend.abortMultipartUpload(file, { ...upload, signal })).rejects.toBeInstanceOf(S3BackendError)
    const again = await put(request.url, bytes)
    expect(again.status).toBe(404)
    const result = protocol.readPartResponse(request, again, Date.now())
    expect(result.kind).toBe('gone')
    expect(result.kind === 'gone' && result.error.code).toBe('upload-gone')
    expect(existsSync(server.uploadDirectory(upload.uploadId))).toBe(false)
  })

  it("an expired presigned URL really gets s3rver's 403 AccessDenied 'Request has expired', read as re-sign; the re-signed URL stores the part", async () => {
    const bytes = randomData(1 * MiB).bytes
    const file = describeFile('expired.bin', bytes.length)
    const { sign, send } = await startUpload(file, bytes, 5 * MiB)
    const hourAgo = createS3Backend(server, { expiresIn: 1, signingDate: () => new Date(Date.now() - 3_600_000) })
    const stale = await sign(1, hourAgo)
    expect(protocol.presignedExpiry(stale.url)).toBeLessThan(Date.now())
    const answer = await put(stale.url, bytes)
    expect(answer.status).toBe(403)
    expect(answer.body).toContain('<Code>AccessDenied</Code><Message>Request has expired</Message>')
    const result = protocol.readPartResponse(stale, answer, Date.now())
    expect(result.kind).toBe('re-sign')
    expect(await send(await sign(1))).toEqual({ kind: 'stored', partNumber: 1, etag: `"${md5(bytes)}"` })
  })

  it('s3rver does not check SigV4 signatures (only their expiry): a zeroed signature is stored', async () => {
    const bytes = randomData(1024).bytes
    const { sign } = await startUpload(describeFile('unsigned.bin', bytes.length), bytes, 5 * MiB)
    const request = await sign(1)
    const forged = request.url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`)
    expect(forged).not.toBe(request.url)
    expect((await put(forged, bytes)).status).toBe(200)
  })

  it('the gate answers a part of an unknown upload with 404 NoSuchUpload, and injected 500s, which the protocol retries', async () => {
    const bytes = randomData(1 * MiB).bytes
    const { upload, sign, send } = await startUpload(describeFile('faults.bin', bytes.length), bytes, 5 * MiB)
    const request = await sign(1)
    const unknown = await put(request.url.replace(upload.uploadId, 'f'.repeat(32)), bytes)
    expect([unknown.status, protocol.readPartResponse(request, unknown, Date.now()).kind]).toEqual([404, 'gone'])
    expect(existsSync(server.uploadDirectory('f'.repeat(32)))).toBe(false)

    server.failNextParts(2, { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' })
    const before = server.partRequests.length
    const first = await send(request)
    const second = await send(request)
    const third = await send(request)
    expect([first.kind, first.kind === 'error' && first.error.retryable, second.kind, second.kind === 'error' && second.error.retryable]).toEqual([
      'error',
      true,
      'error',
      true,
    ])
    expect(third).toEqual({ kind: 'stored', partNumber: 1, etag: `"${md5(bytes)}"` })
    expect(server.partRequests.slice(before).map((record) => record.status)).toEqual([500, 500, 200])
  })

  it('Complete checks what S3 checks (s3rver checks neither ETags nor sizes): InvalidPart, InvalidPartOrder, EntityTooSmall', async () => {
    const bytes = randomData(2 * MiB).bytes
    const file = describeFile('complete-checks.bin', bytes.length)
    const { upload, sign, send } = await startUpload(file, bytes, 1 * MiB)
    const results = await Promise.all([1, 2].map(async (number) => send(await sign(number))))
    const parts = results.map((result) => (result.kind === 'stored' ? { PartNumber: result.partNumber, ETag: result.etag } : { PartNumber: 0, ETag: '' }))
    const complete = (list: typeof parts) => backend.completeMultipartUpload(file, { ...upload, parts: list, signal })
    await expect(complete([{ ...parts[0]!, ETag: '"0"' }, parts[1]!])).rejects.toMatchObject({ code: 'InvalidPart', status: 400 })
    await expect(complete([parts[1]!, parts[0]!])).rejects.toMatchObject({ code: 'InvalidPartOrder' })
    await expect(complete(parts)).rejects.toMatchObject({ code: 'EntityTooSmall' })
    expect(await complete([parts[0]!])).toHaveProperty('location')
    expect(await backend.sha256Of(upload.key)).toEqual({ sha256: createHash('sha256').update(bytes.subarray(0, MiB)).digest('hex'), size: MiB })
  })

  it('a resend of a stored part cut short truncates it on s3rver; listParts then leaves it out (and Complete refuses its old ETag)', async () => {
    const bytes = randomData(5 * MiB).bytes
    const file = describeFile('cut.bin', bytes.length)
    const { upload, sign, send } = await startUpload(file, bytes, 5 * MiB)
    const request = await sign(1)
    const stored = await send(request)
    expect(await backend.listParts(file, { ...upload, signal })).toHaveLength(1)
    const cut = new AbortController()
    const arrived = server.partsArrived(server.partRequests.length + 1)
    let sent = false
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent) return arrived.then(() => cut.abort())
        sent = true
        controller.enqueue(bytes.subarray(0, MiB))
      },
    })
    await expect(fetch(request.url, { method: 'PUT', body, signal: cut.signal, duplex: 'half' } as RequestInit)).rejects.toThrow()
    const record = server.partRequests.at(-1)!
    await record.closed
    expect(record.status).toBeUndefined()
    // s3rver opens the part file (truncating it) after an await: wait for that, not for a time.
    await waitFor(async () => (await stat(join(server.uploadDirectory(upload.uploadId), '1'))).size < bytes.length)
    expect(await backend.listParts(file, { ...upload, signal })).toEqual([])
    const parts = stored.kind === 'stored' ? [{ PartNumber: 1, ETag: stored.etag }] : []
    await expect(backend.completeMultipartUpload(file, { ...upload, parts, signal })).rejects.toMatchObject({ code: 'InvalidPart' })
  })

  it('behind the cutting proxy (presigned for its origin): a part cut after 2 MiB is a network error, its resend is stored, and the object is whole', async () => {
    const proxy = await startCuttingProxy(server.endpoint)
    try {
      const viaProxy = createS3Backend(server, { publicEndpoint: proxy.url })
      const data = randomData(5 * MiB + 7)
      const file = describeFile('proxied.bin', data.bytes.length)
      const upload = protocol.readCreated(await viaProxy.createMultipartUpload(file, signal))
      const requests = await Promise.all(
        [1, 2].map(async (partNumber) => {
          const part = { number: partNumber, start: (partNumber - 1) * 5 * MiB, end: Math.min(data.bytes.length, partNumber * 5 * MiB) }
          return protocol.partRequest(await viaProxy.signPart(file, { ...upload, partNumber, signal }), part)
        }),
      )
      expect(new URL(requests[0]!.url).origin).toBe(proxy.url)
      const fault = proxy.cut(2 * MiB, 'PUT')
      const body = (request: S3PartRequest) => data.bytes.subarray(request.body.start, request.body.end)
      await expect(put(requests[0]!.url, body(requests[0]!))).rejects.toThrow()
      expect(fault.hits).toBe(1)
      const results = []
      for (const request of requests) results.push(protocol.readPartResponse(request, await put(request.url, body(request)), Date.now()))
      expect(results.map((result) => result.kind)).toEqual(['stored', 'stored'])
      const held = protocol.readListedParts(await viaProxy.listParts(file, { ...upload, signal }), { size: data.bytes.length, partSize: 5 * MiB })
      await viaProxy.completeMultipartUpload(file, { ...upload, parts: protocol.completionParts(held), signal })
      expect(await viaProxy.sha256Of(upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    } finally {
      await proxy.close()
    }
  })

  it('listParts names a part only when its bytes match its .md5 (s3rver overwrites a part in place)', async () => {
    const { dir, remove } = await tempDir()
    try {
      await mkdir(join(dir, 'u'))
      const whole = Buffer.from('whole part')
      await writeFile(join(dir, 'u', '1'), whole)
      await writeFile(join(dir, 'u', '1.md5'), md5(whole))
      await writeFile(join(dir, 'u', '2'), whole.subarray(0, 4)) // a resend cut short, beside the old .md5
      await writeFile(join(dir, 'u', '2.md5'), md5(whole))
      await writeFile(join(dir, 'u', '3'), whole) // still being written: no .md5 yet
      await writeFile(join(dir, 'u', 'key'), 'k')
      expect(await partsOnDisk(join(dir, 'u'))).toEqual([{ PartNumber: 1, ETag: `"${md5(whole)}"`, Size: whole.length }])
    } finally {
      await remove()
    }
  })

  it('CORS: the preflight allows PUT, parts expose ETag, and error answers (s3rver 403, gate 404) keep the CORS headers', async () => {
    const bytes = randomData(1024).bytes
    const { upload, sign } = await startUpload(describeFile('cors.bin', bytes.length), bytes, 5 * MiB)
    const request = await sign(1)
    const preflight = await fetch(request.url, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    })
    expect(preflight.status).toBe(200)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type')
    const stored = await put(request.url, bytes, { headers: { origin: ORIGIN } })
    expect([stored.status, stored.headers['access-control-allow-origin'], stored.headers['access-control-expose-headers']]).toEqual([200, '*', 'ETag'])
    const stale = await sign(1, createS3Backend(server, { expiresIn: 1, signingDate: () => new Date(0) }))
    const expired = await put(stale.url, bytes, { headers: { origin: ORIGIN } })
    expect([expired.status, expired.headers['access-control-allow-origin']]).toEqual([403, '*'])
    const gone = await put(request.url.replace(upload.uploadId, 'e'.repeat(32)), bytes, { headers: { origin: ORIGIN } })
    expect([gone.status, gone.headers['access-control-allow-origin'], gone.headers['access-control-expose-headers']]).toEqual([404, ORIGIN, 'ETag'])
  })

  it("s3rver's own preflight checks the URL's expiry (403); the gate answers preflights from the CORS rule alone, as S3 does", async () => {
    const own = await startS3Server({ preflight: 's3rver' })
    try {
      const preflight = async (target: S3TestServer) => {
        const file = describeFile('preflight.bin', 4)
        const upload = protocol.readCreated(await createS3Backend(target).createMultipartUpload(file, signal))
        const stale = await createS3Backend(target, { expiresIn: 1, signingDate: () => new Date(0) }).signPart(file, { ...upload, partNumber: 1, signal })
        const answer = await fetch(stale.url, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'PUT' } })
        return [answer.status, answer.headers.get('access-control-allow-origin'), (await answer.text()).includes('Request has expired')]
      }
      expect(await preflight(own)).toEqual([403, '*', true])
      expect(await preflight(server)).toEqual([200, '*', false])
    } finally {
      await own.stop()
    }
  })

  it('a bucket whose CORS rule does not expose ETag sends none to a browser origin; a rule for one origin names it', async () => {
    const hidden = await startS3Server({ exposeETag: false, corsOrigins: [ORIGIN] })
    try {
      const other = createS3Backend(hidden)
      const file = describeFile('hidden.bin', 4)
      const upload = protocol.readCreated(await other.createMultipartUpload(file, signal))
      const { url } = await other.signPart(file, { ...upload, partNumber: 1, signal })
      const answer = await put(url, new Uint8Array(4), { headers: { origin: ORIGIN } })
      expect([answer.status, answer.headers['access-control-allow-origin'], answer.headers['access-control-expose-headers']]).toEqual([200, ORIGIN, undefined])
    } finally {
      await hidden.stop()
    }
  })

  it('over HTTP (the JSON endpoint for Chromium tests): the same five callbacks, with S3 errors as status and code', async () => {
    const endpoint = await serveS3Backend(backend)
    try {
      const remote = s3(remoteS3Backend(endpoint.url))
      const data = randomData(2 * MiB + 3)
      const file = describeFile('remote.bin', data.bytes.length)
      const upload = remote.readCreated(await remote.callbacks.createMultipartUpload(file, signal))
      const part = { number: 1, start: 0, end: data.bytes.length }
      const request = remote.partRequest(await remote.callbacks.signPart(file, { ...upload, partNumber: 1, signal }), part)
      const stored = remote.readPartResponse(request, await put(request.url, data.bytes), Date.now())
      expect(stored.kind).toBe('stored')
      const held = remote.readListedParts(await remote.callbacks.listParts(file, { ...upload, signal }), { size: data.bytes.length, partSize: 5 * MiB })
      expect(held).toEqual([{ number: 1, etag: `"${md5(data.bytes)}"` }])
      const completed = remote.readCompleted(await remote.callbacks.completeMultipartUpload(file, { ...upload, parts: remote.completionParts(held), signal }))
      expect(completed.location).toContain(server.bucket)
      expect(await backend.sha256Of(upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
      const missing = remote.callbacks.listParts(file, { ...upload, signal })
      await expect(missing).rejects.toBeInstanceOf(RemoteBackendError)
      await expect(missing).rejects.toMatchObject({ code: 'NoSuchUpload', status: 404 })
      expect((await fetch(endpoint.url)).headers.get('content-type')).toContain('text/html')
    } finally {
      await endpoint.close()
    }
  })
})
