/**
 * The Upload with protocol 'tus' in Node against a real `@tus/server` + `@tus/file-store`, through
 * a proxy that cuts connections and corrupts bytes: cut chunks, checksums (460), termination,
 * deferred length, method override, Tus-Max-Size, and interop with tus-js-client both ways.
 * Every upload's stored bytes are checked by length and SHA-256.
 */
import { Upload as TusJsUpload } from 'tus-js-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Upload, type UploadError, type UploadOptions } from '../../src/node'
import { tusProtocol } from '../../src/protocols/tus'
import { decodeMetadata } from '../../src/protocols/tus-metadata'
import { startCuttingProxy, type CuttingProxy, type ProxiedRequest } from '../support/cutting-proxy'
import { randomBetween, randomData, sha256, tempDir, writeTestFile, type TestData } from '../support/files'
import { startTusServer, type TusTestServer } from '../support/tus-server'

const MiB = 1024 * 1024
const fastRetry: UploadOptions['retry'] = { retries: 8, minTimeout: 20, maxTimeout: 200 }
let tus: TusTestServer
let proxy: CuttingProxy
let workDir: { dir: string; remove: () => Promise<void> }

beforeAll(async () => {
  tus = await startTusServer()
  proxy = await startCuttingProxy(tus.url)
  workDir = await tempDir()
})
afterAll(async () => {
  await proxy.close()
  await tus.close()
  await workDir.remove()
})
afterEach(() => proxy.clear())

/** The proxy's endpoint: same path as the server's, on the proxy's origin. */
const endpointVia = (through: CuttingProxy, server: TusTestServer = tus): string => server.endpoint.replace(server.url, through.url)

async function expectStored(server: TusTestServer, url: string, data: Uint8Array): Promise<void> {
  const stored = await server.stored(server.idOf(url))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: data.length, sha256: sha256(data) })
}

/** PATCH requests the server answered, with their offset and body size. */
const patches = (requests: ProxiedRequest[]) =>
  requests
    .filter((r) => r.effectiveMethod === 'PATCH' && r.status !== undefined)
    .map((r) => ({ offset: Number(r.headers['upload-offset']), bytes: r.bodyBytes, status: r.status }))

/** Sends PATCH number `n` (1-based) through `arm`, from the Upload's headers hook (called before each request). */
function onPatch(numbers: number[], arm: () => void): UploadOptions['headers'] {
  let count = 0
  return (request) => {
    if (request.method === 'PATCH' && numbers.includes(++count)) arm()
    return {}
  }
}

describe('tus through a cutting proxy', () => {
  it('64 MiB in 8 MiB chunks survives four cuts mid-chunk; bytes and metadata arrive as sent', async () => {
    const data = randomData(64 * MiB)
    const path = await writeTestFile(workDir.dir, 'big.bin', data)
    const metadata = { note: 'naïve — 日本語 ✓ 😀', empty: '' }
    const cuts: Array<{ hits: number }> = []
    const headers = onPatch([1, 3, 5, 6], () => cuts.push(proxy.cut(randomBetween(64 * 1024, 8 * MiB - 64 * 1024))))
    const upload = new Upload(path, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 8 * MiB, metadata, headers, retry: fastRetry })
    const retries: UploadError[] = []
    upload.on('retry', ({ error }) => retries.push(error))
    const { url } = await upload.start()

    expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1, 1])
    expect(retries.map((error) => error.code)).toEqual(['network', 'network', 'network', 'network'])
    await expectStored(tus, url, data.bytes)
    const stored = await tus.stored(tus.idOf(url))
    expect(stored?.metadata).toEqual({ filename: 'big.bin', note: metadata.note, empty: null }) // @tus/server keeps a bare key as null
    const head = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
    expect(decodeMetadata(head.headers.get('upload-metadata') ?? undefined)).toEqual({ filename: 'big.bin', ...metadata })

    const [options, post] = proxy.requests
    expect([options?.method, options?.headers['tus-resumable']]).toEqual(['OPTIONS', undefined])
    // creation-with-upload carries at most 1 MiB: tus names no URL before the body ends, so a cut
    // during creation would lose every byte of it.
    expect([post?.method, post?.headers['upload-length'], post?.headers['content-type'], post?.bodyBytes]).toEqual([
      'POST',
      String(64 * MiB),
      'application/offset+octet-stream',
      MiB,
    ])
    // @tus/server does not list `checksum`, so no request carries Upload-Checksum.
    expect(proxy.requests.filter((r) => r.headers['upload-checksum'] !== undefined)).toEqual([])
    // After each cut the Upload asks (HEAD) and goes on exactly from the server's offset.
    const resumes = proxy.requests.flatMap((r, i) =>
      r.method === 'HEAD' && r.status === 200 ? [[r.responseHeaders?.['upload-offset'], proxy.requests[i + 1]?.headers['upload-offset']]] : [],
    )
    expect(resumes.length).toBeGreaterThanOrEqual(4)
    for (const [told, sent] of resumes.slice(0, 4)) expect(sent).toBe(told)
    const forwarded = proxy.requests.reduce((sum, r) => sum + r.bodyBytes, 0)
    expect(forwarded - 64 * MiB).toBeLessThanOrEqual(4 * 8 * MiB)
  })

  it('a stream of unknown length goes with Upload-Defer-Length, and its last PATCH states the length', async () => {
    const data = randomData(20 * MiB + 123)
    let at = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= data.bytes.length) return controller.close()
        const end = Math.min(data.bytes.length, at + randomBetween(1, 3 * MiB))
        controller.enqueue(new Uint8Array(data.bytes.subarray(at, end)))
        at = end
      },
    })
    const headers = onPatch([1], () => proxy.cut(randomBetween(1, 8 * MiB)))
    const { url } = await new Upload(stream, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 8 * MiB, headers, retry: fastRetry }).start()

    await expectStored(tus, url, data.bytes)
    expect((await tus.stored(tus.idOf(url)))?.size).toBe(data.bytes.length)
    const post = proxy.requests.find((r) => r.method === 'POST')
    expect([post?.headers['upload-defer-length'], post?.headers['upload-length']]).toEqual(['1', undefined])
    const stated = proxy.requests.filter((r) => r.headers['upload-length'] !== undefined)
    expect(stated.map((r) => [r.method, r.headers['upload-length'], r.status])).toEqual([['PATCH', String(data.bytes.length), 204]])
  })

  it('terminates: abort({ terminate: true }) deletes the upload, and HEAD then answers 404/410', async () => {
    const data = randomData(24 * MiB)
    const upload = new Upload(data.bytes, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 8 * MiB, retry: fastRetry })
    const firstChunk = new Promise<number>((resolve) => upload.on('chunk', ({ end }) => (upload.pause(), resolve(end))))
    const running = upload.start().catch((error: unknown) => error)
    const end = await firstChunk
    const url = upload.url ?? ''
    const before = await tus.stored(tus.idOf(url))
    expect({ length: before?.length, sha256: before?.sha256 }).toEqual({ length: end, sha256: sha256(data.bytes.subarray(0, end)) })

    await upload.abort({ terminate: true })
    expect(await running).toMatchObject({ code: 'aborted' })
    expect(proxy.requests.filter((r) => r.method === 'DELETE').map((r) => [r.headers['tus-resumable'], r.status])).toEqual([['1.0.0', 204]])
    const head = await fetch(url, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })
    expect([404, 410]).toContain(head.status)
    expect(await tus.stored(tus.idOf(url))).toBeUndefined()
  })

  it('small and empty files complete in the creation request', async () => {
    for (const size of [0, 1, MiB]) {
      const data = randomData(size)
      const { url } = await new Upload(data.bytes, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 8 * MiB }).start()
      await expectStored(tus, url, data.bytes)
    }
    expect(proxy.requests.map((r) => r.method)).toEqual(['OPTIONS', 'POST', 'OPTIONS', 'POST', 'OPTIONS', 'POST'])
  })

  it('method override: PATCH and DELETE travel as POST with X-HTTP-Method-Override (translated by the front end)', async () => {
    const front = await startCuttingProxy(tus.url, { methodOverride: true })
    try {
      const data = randomData(10 * MiB + 1)
      const options = { endpoint: endpointVia(front), chunkSize: 4 * MiB, retry: fastRetry }
      const { url } = await new Upload(data.bytes, { ...options, protocol: tusProtocol({ methodOverride: true }) }).start()
      await expectStored(tus, url, data.bytes)
      const second = new Upload(data.bytes, { ...options, protocol: tusProtocol({ methodOverride: true }) })
      const paused = new Promise<void>((resolve) => second.on('chunk', () => (second.pause(), resolve())))
      const running = second.start().catch((error: unknown) => error)
      await paused
      await second.abort({ terminate: true })
      expect(await running).toMatchObject({ code: 'aborted' })
      expect(await tus.stored(tus.idOf(second.url ?? ''))).toBeUndefined()
      expect(front.requests.some((r) => r.method === 'PATCH' || r.method === 'DELETE')).toBe(false)
      const overridden = front.requests.filter((r) => r.headers['x-http-method-override'] !== undefined)
      expect(new Set(overridden.map((r) => `${r.method} ${r.effectiveMethod} ${r.status}`))).toEqual(new Set(['POST PATCH 204', 'POST DELETE 204']))
    } finally {
      await front.close()
    }
  })
})

describe('checksums', () => {
  let checked: TusTestServer
  let checkedProxy: CuttingProxy
  beforeAll(async () => {
    checked = await startTusServer({ checksum: true })
    checkedProxy = await startCuttingProxy(checked.url)
  })
  afterAll(async () => {
    await checkedProxy.close()
    await checked.close()
  })
  afterEach(() => checkedProxy.clear())

  it('a corrupted byte in one PATCH is refused with 460 and the chunk is sent again', async () => {
    const data = randomData(20 * MiB + 5)
    const path = await writeTestFile(workDir.dir, 'checked.bin', data) // file chunks are AsyncIterables, read twice
    const headers = onPatch([2], () => checkedProxy.corrupt(randomBetween(0, 4 * MiB)))
    const upload = new Upload(path, { endpoint: endpointVia(checkedProxy, checked), protocol: 'tus', chunkSize: 4 * MiB, headers, retry: fastRetry })
    const retries: UploadError[] = []
    upload.on('retry', ({ error }) => retries.push(error))
    const { url } = await upload.start()

    await expectStored(checked, url, data.bytes)
    expect(retries.map((error) => [error.code, error.status])).toEqual([['http-status', 460]])
    expect(checked.checksums.mismatched).toBe(1)
    const bodies = checkedProxy.requests.filter((r) => r.bodyBytes > 0)
    expect(bodies.every((r) => String(r.headers['upload-checksum']).startsWith('sha1 '))).toBe(true)
    // The refused chunk was sent again from the same offset, after a HEAD.
    const refused = patches(checkedProxy.requests).findIndex((p) => p.status === 460)
    const [bad, again] = patches(checkedProxy.requests).slice(refused, refused + 2)
    expect(again).toEqual({ offset: bad?.offset, bytes: bad?.bytes, status: 204 })
  })

  it('uses sha256 when asked and listed', async () => {
    const data = randomData(3 * MiB)
    const protocol = tusProtocol({ checksum: 'sha256' })
    const { url } = await new Upload(data.bytes, { endpoint: endpointVia(checkedProxy, checked), protocol, chunkSize: MiB }).start()
    await expectStored(checked, url, data.bytes)
    const sums = checkedProxy.requests.filter((r) => r.bodyBytes > 0).map((r) => String(r.headers['upload-checksum']).split(' ')[0])
    expect(sums).toEqual(['sha256', 'sha256', 'sha256'])
  })

  it('without the extension (plain @tus/server) a corrupted byte goes unnoticed: why checksums matter', async () => {
    const data = randomData(6 * MiB)
    const headers = onPatch([1], () => proxy.corrupt(123_456))
    const { url } = await new Upload(data.bytes, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 4 * MiB, headers }).start()
    const stored = await tus.stored(tus.idOf(url))
    expect(stored?.length).toBe(data.bytes.length)
    expect(stored?.sha256).not.toBe(data.sha256)
    // The first PATCH starts after the 1 MiB that went with the creation request.
    const fixed = Buffer.from(data.bytes)
    fixed[MiB + 123_456] = (fixed[MiB + 123_456] ?? 0) ^ 0xff
    expect(stored?.sha256).toBe(sha256(fixed))
  })
})

describe('servers with fewer extensions', () => {
  it('without creation-with-upload the creation request carries no body (needs the upload.ts change in the report)', async () => {
    const plain = await startTusServer({ withoutExtensions: ['creation-with-upload'] })
    const front = await startCuttingProxy(plain.url)
    try {
      for (const size of [MiB + 3, 9 * MiB]) {
        const data = randomData(size)
        const { url } = await new Upload(data.bytes, { endpoint: endpointVia(front, plain), protocol: 'tus', chunkSize: 8 * MiB }).start()
        await expectStored(plain, url, data.bytes)
      }
      const bodies = front.requests.filter((r) => r.bodyBytes > 0).map((r) => [r.method, r.bodyBytes])
      expect(bodies).toEqual([
        ['PATCH', MiB + 3],
        ['PATCH', 8 * MiB],
        ['PATCH', MiB],
      ])
    } finally {
      await front.close()
      await plain.close()
    }
  })
})

describe('limits', () => {
  it('Tus-Max-Size from OPTIONS refuses a larger file before creating anything', async () => {
    const small = await startTusServer({ maxSize: MiB })
    const front = await startCuttingProxy(small.url)
    try {
      const data = randomData(MiB + 1)
      const upload = new Upload(data.bytes, { endpoint: endpointVia(front, small), protocol: 'tus' })
      await expect(upload.start()).rejects.toMatchObject({ code: 'too-large', retryable: false })
      expect(front.requests.map((r) => r.method)).toEqual(['OPTIONS'])
    } finally {
      await front.close()
      await small.close()
    }
  })
})

describe('interop with tus-js-client', () => {
  const tusJsOptions = { retryDelays: [0, 100], storeFingerprintForResuming: false, removeFingerprintOnSuccess: false }

  it('an upload tus-js-client started and aborted midway is finished by ours', async () => {
    const data: TestData = randomData(20 * MiB + 17)
    const stopped = await new Promise<{ url: string; accepted: number }>((resolve, reject) => {
      const theirs: TusJsUpload = new TusJsUpload(Buffer.from(data.bytes), {
        ...tusJsOptions,
        endpoint: endpointVia(proxy),
        chunkSize: 4 * MiB,
        metadata: { filename: 'theirs.bin', note: 'ça marche' },
        onChunkComplete: (_size, accepted) => {
          if (accepted >= 8 * MiB) void theirs.abort().then(() => resolve({ url: theirs.url ?? '', accepted }), reject)
        },
        onError: reject,
      })
      theirs.start()
    })
    proxy.clear()
    const { url } = await new Upload(data.bytes, { url: stopped.url, protocol: 'tus', chunkSize: 8 * MiB, retry: fastRetry }).start()

    expect(url).toBe(stopped.url)
    await expectStored(tus, url, data.bytes)
    expect((await tus.stored(tus.idOf(url)))?.metadata).toEqual({ filename: 'theirs.bin', note: 'ça marche' })
    expect(proxy.requests[0]?.method).toBe('HEAD')
    expect(patches(proxy.requests)[0]?.offset).toBe(stopped.accepted) // nothing stored was sent again
  })

  it('an upload ours started and aborted (not terminated) is finished by tus-js-client', async () => {
    const data = randomData(20 * MiB + 17)
    const ours = new Upload(data.bytes, { endpoint: endpointVia(proxy), protocol: 'tus', chunkSize: 4 * MiB, metadata: { who: 'ours' }, retry: fastRetry })
    const halfway = new Promise<void>((resolve) => ours.on('chunk', ({ end }) => end >= 8 * MiB && (ours.pause(), resolve())))
    const running = ours.start().catch((error: unknown) => error)
    await halfway
    await ours.abort()
    expect(await running).toMatchObject({ code: 'aborted' })
    const url = ours.url ?? ''
    const acked = ours.progress.bytesAcked
    proxy.clear()

    await new Promise<void>((resolve, reject) => {
      new TusJsUpload(Buffer.from(data.bytes), { ...tusJsOptions, uploadUrl: url, onSuccess: () => resolve(), onError: reject }).start()
    })
    await expectStored(tus, url, data.bytes)
    expect((await tus.stored(tus.idOf(url)))?.metadata).toEqual({ who: 'ours' })
    expect(proxy.requests[0]?.method).toBe('HEAD')
    expect(patches(proxy.requests)).toEqual([{ offset: acked, bytes: data.bytes.length - acked, status: 204 }])
  })
})
