/**
 * The sans-I/O Azure Block Blob protocol (src/protocols/azure.ts) against a real Azurite 3.35.0
 * (test/support/azurite.ts): blocks PUT in parallel by Node's fetch from the protocol's request
 * descriptions, Get Block List read, Put Block List, CORS, and Azurite's real answer to an expired
 * SAS. Runs through `new Upload` are in azure-upload.test.ts. Every committed blob is downloaded
 * and its SHA-256 compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { azureBlobProtocol, type AzureRequest } from '../../src/protocols/azure'
import type { HttpResponse } from '../../src/types'
import { startAzurite, type Azurite } from '../support/azurite'
import { randomData, type TestData } from '../support/files'

const MiB = 1024 * 1024

let azurite: Azurite

beforeAll(async () => {
  azurite = await startAzurite()
}, 60_000)

afterAll(async () => {
  await azurite?.close()
})

/** Sends a protocol request with Node's fetch; `body` is the source's bytes for a block. */
async function send(request: AzureRequest, data?: Uint8Array): Promise<HttpResponse> {
  const range = request.body
  const body = range === null ? null : typeof range === 'string' ? range : new Uint8Array((data ?? new Uint8Array()).subarray(range.start, range.end))
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body })
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  return { status: response.status, headers, body: await response.text() }
}

async function expectStored(name: string, data: TestData): Promise<void> {
  expect(await azurite.sha256Of(name)).toEqual({ sha256: data.sha256, length: data.bytes.length })
}

describe('the protocol against Azurite, sent by fetch', () => {
  it('puts 4 blocks in parallel, reads them back from Get Block List, commits them in order', async () => {
    const data = randomData(10 * MiB + 123)
    const protocol = azureBlobProtocol({ url: azurite.sasUrl('parallel.bin') })
    const ref = protocol.readUrl(protocol.options.url)
    expect(ref.blobUrl).toBe(azurite.blobUrl('parallel.bin'))
    const blockSize = protocol.blockSize(data.bytes.length, 3 * MiB)
    const count = protocol.blockCount(data.bytes.length, blockSize)
    expect(count).toBe(4)
    const blocks = Array.from({ length: count }, (_, index) => protocol.block(index + 1, data.bytes.length, blockSize))
    // Block 3 first: the list must still come back by number, and the commit must be in order.
    const answers = await Promise.all([blocks[2]!, blocks[0]!, blocks[3]!, blocks[1]!].map((block) => send(protocol.putBlock(ref, block), data.bytes)))
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201])
    // A block has no ETag (measured): the protocol reads 201 as stored without one.
    expect(answers.map((answer) => protocol.readResponse('block', answer, ref, Date.now()))).toEqual(Array(4).fill({ kind: 'stored', etag: undefined }))
    const list = await send(protocol.getBlockList(ref))
    expect(list.status).toBe(200)
    expect(protocol.readBlockList(list, { size: data.bytes.length, blockSize })).toEqual([1, 2, 3, 4])
    const commit = await send(protocol.putBlockList(ref, count, { name: 'parallel.bin', type: 'video/mp4', size: data.bytes.length, metadata: {} }))
    expect(commit.status).toBe(201)
    const committed = protocol.readResponse('Put Block List', commit, ref, Date.now())
    expect(committed).toMatchObject({ kind: 'stored', etag: expect.stringMatching(/^"0x[0-9A-F]+"$/) })
    await expectStored('parallel.bin', data)
    const properties = await azurite.service.getContainerClient('uploads').getBlockBlobClient('parallel.bin').getProperties()
    expect(properties.contentType).toBe('video/mp4')
  })

  it('answers a browser: the preflight from the CORS rule (even for an expired SAS), then a Get Block List answer with the CORS headers', async () => {
    const origin = 'http://app.test'
    const preflight = { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-ms-version,x-ms-blob-content-type' }
    for (const expiresOn of [undefined, new Date(Date.now() - 60_000)]) {
      const options = await fetch(`${azurite.sasUrl('cors.bin', expiresOn)}&comp=block&blockid=x`, { method: 'OPTIONS', headers: preflight })
      expect(options.status).toBe(200)
      expect(options.headers.get('access-control-allow-origin')).toBe(origin)
      expect(options.headers.get('access-control-allow-methods')).toBe('PUT')
      expect(options.headers.get('access-control-allow-headers')).toBe('x-ms-version,x-ms-blob-content-type')
    }
    const protocol = azureBlobProtocol({ url: azurite.sasUrl('cors.bin') })
    const request = protocol.getBlockList(protocol.readUrl(protocol.options.url))
    const answer = await fetch(request.url, { headers: { ...request.headers, origin } })
    expect(answer.status).toBe(404)
    // Measured: with exposedHeaders '*' Azurite lists the answer's own headers, x-ms-error-code included.
    expect(answer.headers.get('access-control-allow-origin')).toBe('*')
    expect(answer.headers.get('access-control-expose-headers')).toContain('x-ms-error-code')
  })

  it('reads Get Block List of a blob with no block yet (404 BlobNotFound) as no block', async () => {
    const protocol = azureBlobProtocol({ url: azurite.sasUrl('nothing.bin') })
    const list = await send(protocol.getBlockList(protocol.readUrl(protocol.options.url)))
    expect(list.status).toBe(404)
    expect(protocol.readBlockList(list, { size: 100, blockSize: 10 })).toEqual([])
  })

  it('refuses a block list whose blocks do not fit the file (another block size): offset-invalid, nothing committed', async () => {
    const data = randomData(2 * MiB)
    const protocol = azureBlobProtocol({ url: azurite.sasUrl('misfit.bin') })
    const ref = protocol.readUrl(protocol.options.url)
    expect((await send(protocol.putBlock(ref, protocol.block(1, data.bytes.length, MiB)), data.bytes)).status).toBe(201)
    const list = await send(protocol.getBlockList(ref))
    expect(() => protocol.readBlockList(list, { size: data.bytes.length, blockSize: 512 * 1024 })).toThrow(
      expect.objectContaining({ code: 'offset-invalid', message: expect.stringContaining('block 1 has 1048576 bytes') }),
    )
  })

  it("classifies Azurite's real answer to an expired SAS (403 AuthorizationFailure) as refresh, or as expired without a url function", async () => {
    const expired = azurite.sasUrl('expired.bin', new Date(Date.now() - 60_000))
    const refreshing = azureBlobProtocol({ url: () => expired })
    const fixed = azureBlobProtocol({ url: expired })
    const ref = fixed.readUrl(expired)
    const answer = await send(fixed.putBlock(ref, fixed.block(1, 10, 10)), new Uint8Array(new ArrayBuffer(10)))
    // Measured: Azurite answers 403 with x-ms-error-code AuthorizationFailure and a generic message.
    expect(answer.status).toBe(403)
    expect(answer.headers['x-ms-error-code']).toBe('AuthorizationFailure')
    expect(answer.body).toContain('Server failed to authenticate the request')
    expect(refreshing.readResponse('block 1', answer, ref, Date.now())).toMatchObject({ kind: 'refresh' })
    expect(fixed.readResponse('block 1', answer, ref, Date.now())).toMatchObject({
      kind: 'error',
      error: { code: 'http-status', status: 403, retryable: false, message: expect.stringContaining('SAS token expired') },
    })
    // A 403 with a SAS that has not expired (no read permission... here: a tampered signature) is no refresh.
    const tampered = fixed.readUrl(azurite.sasUrl('expired.bin').replace(/sig=[^&]+/, 'sig=AAAA'))
    const denied = await send(fixed.putBlock(tampered, fixed.block(1, 10, 10)), new Uint8Array(new ArrayBuffer(10)))
    expect(denied.status).toBe(403)
    expect(refreshing.readResponse('block 1', denied, tampered, Date.now())).toMatchObject({ kind: 'error', error: { retryable: false } })
  })
})
