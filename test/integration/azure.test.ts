/**
 * The Azure Block Blob protocol (src/protocols/azure.ts) and its run on the parts runner
 * (src/azure.ts) against a real Azurite 3.35.0 (test/support/azurite.ts): blocks PUT in parallel
 * by Node's fetch from the protocol's request descriptions, Get Block List read, Put Block List,
 * Azurite's real answer to an expired SAS, and runs through the Upload's node-http transport:
 * 24 MiB with 4 blocks in flight, a resume that sends only the blocks Get Block List lacks, an
 * expired SAS refreshed. Every committed blob is downloaded and its SHA-256 compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { azureBlob } from '../../src/azure'
import { azureBlobProtocol, type AzureBlobRef, type AzureRequest } from '../../src/protocols/azure'
import type { S3RecordState } from '../../src/protocols/s3-types'
import { RequestSender } from '../../src/request-sender'
import { bytesSource } from '../../src/sources/bytes'
import { nodeHttpTransport } from '../../src/transports/node-http'
import type { HttpResponse } from '../../src/types'
import { partSenderFor, type PartsEmit, type PartSender, type PartsRecordHooks, type PartsRun } from '../../src/upload/parts-runner'
import { startAzurite, type Azurite } from '../support/azurite'
import { startCuttingProxy } from '../support/cutting-proxy'
import { randomData, type TestData } from '../support/files'

const MiB = 1024 * 1024
const FAST_RETRY = { retries: 3, minTimeout: 1, maxTimeout: 10, factor: 2, randomize: false }
const sender = new RequestSender(nodeHttpTransport(), undefined, () => false, 30_000)

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

interface RunOptions {
  url: string | (() => string | Promise<string>)
  concurrency?: number
  chunkSize?: number
  record?: PartsRecordHooks
  emit?: PartsEmit
}

/** A run through the Upload's node-http transport, counting blocks in flight and each block's PUTs. */
function azureRun(data: TestData, options: RunOptions): { run: PartsRun; flight: { now: number; max: number }; puts: number[] } {
  const flight = { now: 0, max: 0 }
  const puts: number[] = []
  const counted: PartSender = async (request, chunk, hooks) => {
    puts.push(request.partNumber)
    flight.max = Math.max(flight.max, ++flight.now)
    try {
      return await partSenderFor(sender)(request, chunk, hooks)
    } finally {
      flight.now--
    }
  }
  const run = azureBlob({ url: options.url }).createRun({
    source: bytesSource(data.bytes, { type: 'application/octet-stream' }),
    send: counted,
    concurrency: options.concurrency ?? 4,
    chunkSize: options.chunkSize ?? 4 * MiB,
    retry: FAST_RETRY,
    maxRestarts: 1,
    record: options.record,
    emit: options.emit ?? (() => undefined),
    signal: new AbortController().signal,
  })
  return { run, flight, puts }
}

function memoryRecord(initial?: unknown): PartsRecordHooks & { value: unknown } {
  const record = {
    value: initial,
    load: () => record.value,
    save: (state: S3RecordState) => void (record.value = JSON.parse(JSON.stringify(state)) as unknown),
  }
  return record
}

describe('azureBlob() runs on the parts runner against Azurite', () => {
  it('uploads 24 MiB in 4 MiB blocks with 4 in flight: SHA-256 equal, the record holds the blob URL without its SAS', async () => {
    const data = randomData(24 * MiB)
    const record = memoryRecord()
    const { run, flight, puts } = azureRun(data, { url: azurite.sasUrl('runner-24.bin'), record })
    const result = await run.run()
    expect(result.url).toBe(azurite.blobUrl('runner-24.bin'))
    expect(flight.max).toBe(4)
    expect(puts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6])
    await expectStored('runner-24.bin', data)
    // Written at create (then cancelled on completion): never the SAS.
    expect(JSON.stringify(record.value)).not.toContain('sig=')
  })

  it('goes through two connection cuts (a proxy in front of Azurite): each cut block is sent again, SHA-256 equal', async () => {
    const proxy = await startCuttingProxy(new URL(azurite.accountUrl).origin)
    try {
      const data = randomData(24 * MiB + 5)
      const name = 'runner-cuts.bin'
      // A SAS signs the account, container and blob, not the host: the proxy's origin works as is.
      const url = azurite.sasUrl(name).replace(new URL(azurite.accountUrl).origin, proxy.url.replace(/\/$/, ''))
      const cuts = [proxy.cut(1 * MiB, 'PUT'), proxy.cut(3 * MiB, 'PUT')]
      const { run, flight } = azureRun(data, { url })
      await run.run()
      expect(cuts.map((cut) => cut.hits)).toEqual([1, 1])
      const blocks = proxy.requests.filter((request) => request.method === 'PUT' && request.url.includes('comp=block&'))
      expect(blocks).toHaveLength(7 + 2)
      expect(blocks.reduce((sum, request) => sum + request.bodyBytes, 0) - data.bytes.length).toBe(4 * MiB)
      expect(flight.max).toBe(4)
      await expectStored(name, data)
    } finally {
      await proxy.close()
    }
  })

  it('resumes from the record through Get Block List: sends only the blocks Azurite lacks', async () => {
    const data = randomData(20 * MiB + 7)
    const name = 'runner-resume.bin'
    const protocol = azureBlobProtocol({ url: azurite.sasUrl(name) })
    const ref: AzureBlobRef = protocol.readUrl(protocol.options.url)
    // An earlier run stored blocks 1, 2 and 4 of 6 (4 MiB each) and recorded only block 1.
    for (const number of [1, 2, 4])
      expect((await send(protocol.putBlock(ref, protocol.block(number, data.bytes.length, 4 * MiB)), data.bytes)).status).toBe(201)
    const record = memoryRecord({ blobUrl: ref.blobUrl, blockSize: 4 * MiB, blocks: [1] })
    let urlCalls = 0
    const { run, puts } = azureRun(data, { url: () => (urlCalls++, azurite.sasUrl(name)), record })
    await run.run()
    expect(puts.sort((a, b) => a - b)).toEqual([3, 5, 6])
    expect(urlCalls).toBe(1)
    await expectStored(name, data)
  })

  it('pauses after 2 of 6 blocks and goes on with run() again: Get Block List, only the missing blocks, SHA-256 equal', async () => {
    const data = randomData(24 * MiB)
    const name = 'runner-pause.bin'
    const pause = new AbortController()
    let chunks = 0
    const emit: PartsEmit = (event) => {
      if (event === 'chunk' && ++chunks === 2) pause.abort()
    }
    const { run, puts } = azureRun(data, { url: azurite.sasUrl(name), concurrency: 1, emit })
    await expect(run.run(pause.signal)).rejects.toMatchObject({ code: 'aborted' })
    // The pause comes inside block 2's chunk event: block 3 is not started (or is cut, and Azure keeps no part of a block).
    expect(puts.slice(0, 2)).toEqual([1, 2])
    expect(puts.length).toBeLessThanOrEqual(3)
    puts.length = 0
    await run.run(new AbortController().signal)
    expect(puts).toEqual([3, 4, 5, 6])
    await expectStored(name, data)
  })

  it('uploads an empty file as one empty block (Azurite takes a 0-byte Put Block) and commits an empty blob', async () => {
    const data = randomData(0)
    const { run, puts } = azureRun(data, { url: azurite.sasUrl('runner-empty.bin') })
    await run.run()
    expect(puts).toEqual([1])
    await expectStored('runner-empty.bin', data)
  })

  it('refreshes an expired SAS through the url function and completes', async () => {
    const data = randomData(9 * MiB)
    const name = 'runner-refresh.bin'
    const urls = [azurite.sasUrl(name, new Date(Date.now() - 60_000))]
    let urlCalls = 0
    const { run, puts } = azureRun(data, { url: () => urls[urlCalls++] ?? azurite.sasUrl(name), concurrency: 3 })
    await run.run()
    // The first SAS was expired: each of the 3 blocks got a 403, one fresh SAS was fetched for all.
    expect(urlCalls).toBe(2)
    expect(puts.sort((a, b) => a - b)).toEqual([1, 1, 2, 2, 3, 3])
    await expectStored(name, data)
  })

  it('fails with a typed error saying the token expired when url is a fixed SAS URL', async () => {
    const data = randomData(MiB)
    const { run } = azureRun(data, { url: azurite.sasUrl('runner-expired.bin', new Date(Date.now() - 60_000)) })
    await expect(run.run()).rejects.toMatchObject({ code: 'http-status', status: 403, retryable: false, message: expect.stringContaining('SAS token expired') })
  })

  it('refuses a refreshed URL naming another blob (location-refused), and a url function that throws keeps its cause', async () => {
    const data = randomData(MiB)
    const urls = [azurite.sasUrl('a.bin', new Date(Date.now() - 60_000)), azurite.sasUrl('other.bin')]
    let calls = 0
    await expect(azureRun(data, { url: () => urls[calls++]! }).run.run()).rejects.toMatchObject({ code: 'location-refused' })
    const cause = new Error('backend down')
    const failing = azureRun(data, { url: () => Promise.reject(cause) })
    await expect(failing.run.run()).rejects.toMatchObject({ code: 'network', cause })
  })
})
