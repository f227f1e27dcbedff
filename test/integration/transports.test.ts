import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { fetchTransport } from '../../src/transports/fetch'
import { nodeHttpTransport } from '../../src/transports/node-http'
import type { HttpResponse, InterimResponse, RequestBody, SendOptions, Transport, TransportRequest } from '../../src/types'

const INTERIM = 'HTTP/1.1 104 Upload Resumption Supported\r\nLocation: /x\r\nUpload-Draft-Interop-Version: 8\r\n\r\n'
const BIG_RESPONSE = 3 * 1024 * 1024

/** What the server saw of the last request, by its `id` query parameter. */
const seen = new Map<string, { bytes: number; contentLength: string | undefined; port: number | undefined }>()

/**
 * Modes (`?mode=`): none answers 201 with the body's SHA-256; `destroy` cuts the connection after
 * 1 MiB; `hang` never answers; `big` answers with 3 MiB of text. Every request gets a 104 first.
 */
function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const mode = url.searchParams.get('mode')
  req.socket.write(INTERIM)
  const hash = createHash('sha256')
  let bytes = 0
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    bytes += chunk.length
    if (mode === 'destroy' && bytes >= 1024 * 1024) req.socket.destroy()
  })
  req.on('end', () => {
    const id = url.searchParams.get('id') ?? ''
    seen.set(id, { bytes, contentLength: req.headers['content-length'], port: req.socket.remotePort })
    if (mode === 'hang') return
    if (mode === 'big') return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('x'.repeat(BIG_RESPONSE))
    res.setHeader('X-Multi', ['a', 'b'])
    res.writeHead(201, { Location: '/x', 'Content-Type': 'application/json' })
    res.end(JSON.stringify({ sha256: hash.digest('hex'), length: bytes }))
  })
}

let server: http.Server
let base: string
const nodeHttp = nodeHttpTransport()
const transports: Transport[] = [nodeHttp, fetchTransport()]

beforeAll(async () => {
  server = http.createServer(handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  nodeHttp.close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const data = new Uint8Array(randomBytes(5 * 1024 * 1024 + 7))
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function post(path: string, body: RequestBody | null, bodyLength: number): TransportRequest {
  return { method: 'POST', url: base + path, headers: { 'upload-complete': '?1' }, body, bodyLength }
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

function options(overrides: Partial<SendOptions> = {}): SendOptions {
  return { signal: new AbortController().signal, ...overrides }
}

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UploadError)
  return error as UploadError
}

function received(response: HttpResponse): { sha256: string; length: number } {
  expect(response.status).toBe(201)
  return JSON.parse(response.body) as { sha256: string; length: number }
}

describe('node-http', () => {
  it('reports the 104 and its Location before the body has been sent', async () => {
    const interims: Array<InterimResponse & { secondHalfSent: boolean }> = []
    let secondHalfSent = false
    let saw104 = (): void => undefined
    const interimSeen = new Promise<void>((resolve) => (saw104 = resolve))
    const half = data.length >> 1
    async function* body(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, half)
      const timeout = delay(5000).then(() => Promise.reject(new Error('no 104 while the body was being sent')))
      await Promise.race([interimSeen, timeout])
      secondHalfSent = true
      yield data.subarray(half)
    }
    const progress: number[] = []
    const response = await nodeHttp.send(
      post('/', body(), data.length),
      options({
        onInterim: (interim) => {
          interims.push({ ...interim, secondHalfSent })
          saw104()
        },
        onUploadProgress: (bytes) => progress.push(bytes),
      }),
    )
    expect(interims).toEqual([{ status: 104, headers: { location: '/x', 'upload-draft-interop-version': '8' }, secondHalfSent: false }])
    expect(received(response)).toEqual({ sha256: sha256(data), length: data.length })
    expect(progress.length).toBeGreaterThan(2)
    expect(progress.every((bytes, i) => i === 0 || bytes > (progress[i - 1] as number))).toBe(true)
    expect(progress.at(-1)).toBe(data.length)
  })

  it('sends the headers before the first body byte, so the 104 can come first', async () => {
    let saw104 = (): void => undefined
    const interimSeen = new Promise<void>((resolve) => (saw104 = resolve))
    async function* body(): AsyncGenerator<Uint8Array> {
      const timeout = delay(5000).then(() => Promise.reject(new Error('no 104 before the first body byte')))
      await Promise.race([interimSeen, timeout])
      yield data.subarray(0, 1000)
    }
    const response = await nodeHttp.send(post('/', body(), 1000), options({ onInterim: saw104 }))
    expect(received(response).sha256).toBe(sha256(data.subarray(0, 1000)))
  })

  it('reports a 104 and then network when the server cuts the connection mid-body', async () => {
    const interims: number[] = []
    const error = await rejection(nodeHttp.send(post('/?mode=destroy', data, data.length), options({ onInterim: (i) => interims.push(i.status) })))
    expect(interims).toEqual([104])
    expect(error.code).toBe('network')
    expect(error.retryable).toBe(true)
    expect(error.cause).toBeDefined()
  })

  it('sends Content-Length 0 for an empty POST and none for a HEAD', async () => {
    const empty = await nodeHttp.send(post('/?id=empty', null, 0), options())
    expect(received(empty).length).toBe(0)
    expect(seen.get('empty')?.contentLength).toBe('0')
    const head = await nodeHttp.send({ ...post('/?id=head', null, 0), method: 'HEAD' }, options())
    expect(head).toMatchObject({ status: 201, body: '' })
    expect(seen.get('head')?.contentLength).toBeUndefined()
  })

  it('fails with source-error for a failing body or one of the wrong length', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10)
      throw new Error('disk gone')
    }
    const error = await rejection(nodeHttp.send(post('/', broken(), 100), options()))
    expect(error.code).toBe('source-error')
    const short = await rejection(nodeHttp.send(post('/', pieces(data.subarray(0, 50), 10), 100), options()))
    expect(short.code).toBe('source-error')
    const long = await rejection(nodeHttp.send(post('/', data.subarray(0, 150), 100), options()))
    expect(long.code).toBe('source-error')
  })
})

describe.each(transports.map((transport) => [transport.name, transport] as const))('%s', (_name, transport) => {
  it.each([
    ['Blob', () => new Blob([data])],
    ['Uint8Array', () => data],
    ['AsyncIterable', () => pieces(data, 100_000)],
  ] as const)('delivers a %s body byte-exact', async (_kind, body) => {
    const response = await transport.send(post('/', body(), data.length), options())
    expect(received(response)).toEqual({ sha256: sha256(data), length: data.length })
  })

  it('rejects with aborted when the signal fires mid-body, while waiting, or before', async () => {
    const controller = new AbortController()
    async function* body(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 100_000)
      controller.abort()
      await delay(200)
      yield data.subarray(100_000)
    }
    const midBody = await rejection(transport.send(post('/', body(), data.length), { signal: controller.signal }))
    expect(midBody.code).toBe('aborted')

    const waiting = new AbortController()
    const pending = transport.send(post('/?mode=hang', data.subarray(0, 10), 10), { signal: waiting.signal })
    setTimeout(() => waiting.abort(), 100)
    expect((await rejection(pending)).code).toBe('aborted')

    const before = await rejection(transport.send(post('/', null, 0), { signal: AbortSignal.abort() }))
    expect(before.code).toBe('aborted')
  })

  it('rejects with network when the server cuts the connection mid-body', async () => {
    const error = await rejection(transport.send(post('/?mode=destroy', data, data.length), options()))
    expect(error.code).toBe('network')
  })

  it('rejects with network when nothing listens', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`
    await new Promise((resolve) => closed.close(resolve))
    const error = await rejection(transport.send({ ...post('/', null, 0), url }, options()))
    expect(error.code).toBe('network')
  })

  it('lower-cases header names and joins repeated fields', async () => {
    const response = await transport.send(post('/', new Uint8Array(3), 3), options())
    expect(response.headers).toMatchObject({ location: '/x', 'x-multi': 'a, b', 'content-type': 'application/json' })
    expect(Object.keys(response.headers).every((name) => name === name.toLowerCase())).toBe(true)
  })

  it('caps the response body text and still reuses the connection', async () => {
    const capped = await transport.send(post('/?mode=big', null, 0), options())
    expect(capped.body.length).toBe(1024 * 1024)
    const small = transport.name === 'fetch' ? fetchTransport({ responseBodyLimit: 10 }) : nodeHttpTransport({ responseBodyLimit: 10 })
    expect((await small.send(post('/?mode=big&id=cap1', null, 0), options())).body).toBe('xxxxxxxxxx')
    const next = await small.send(post('/?id=cap2', new Uint8Array(5), 5), options())
    expect(next).toMatchObject({ status: 201, body: '{"sha256":' })
    expect(seen.get('cap2')?.bytes).toBe(5)
    // undici spreads sequential requests over two connections, so only node-http's reuse is checked.
    if (transport.name === 'node-http') expect(seen.get('cap2')?.port).toBe(seen.get('cap1')?.port)
    if ('close' in small && typeof small.close === 'function') small.close()
  })

  it('reports progress once with bodyLength (fetch) or as bytes leave (node-http)', async () => {
    const progress: number[] = []
    await transport.send(post('/', data, data.length), options({ onUploadProgress: (n) => progress.push(n) }))
    expect(progress.at(-1)).toBe(data.length)
    if (transport.name === 'fetch') expect(progress).toEqual([data.length])
    else expect(progress.length).toBeLessThanOrEqual(Math.ceil(data.length / 65536) + 1)
  })
})

describe('redirects are never followed', () => {
  /** Answers every request with `?status=` and `?location=` (where the redirect points). */
  let redirector: http.Server
  let redirectorUrl: string
  /** The other origin: counts whatever reaches it. */
  let target: http.Server
  let targetUrl: string
  const reached: string[] = []

  beforeAll(async () => {
    redirector = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      req.resume()
      const location = url.searchParams.get('location')
      res.writeHead(Number(url.searchParams.get('status')), location === null ? {} : { Location: location }).end('moved')
    })
    target = http.createServer((req, res) => {
      reached.push(`${req.method ?? ''} ${req.url ?? ''}`)
      req.resume()
      res.writeHead(201, { Location: '/taken' }).end()
    })
    for (const server of [redirector, target]) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    for (const server of [redirector, target]) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  const redirectCases = transports.flatMap((transport) =>
    [301, 302, 303, 307, 308].flatMap((status) => (['POST', 'PATCH', 'HEAD'] as const).map((method) => ({ name: transport.name, transport, status, method }))),
  )

  it.each(redirectCases)('$name: $method answered $status to another origin -> redirect-refused, nothing sent there', async ({ transport, status, method }) => {
    reached.length = 0
    const location = `${targetUrl}/secret-path`
    const url = `${redirectorUrl}/?status=${status}&location=${encodeURIComponent(location)}`
    const body = method === 'HEAD' ? null : data.subarray(0, 1024 * 1024)
    const request: TransportRequest = { method, url, headers: { 'x-api-key': 'secret' }, body, bodyLength: body?.length ?? 0 }
    const error = await transport.send(request, { signal: new AbortController().signal }).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'redirect-refused', retryable: false, status })
    expect((error as Error).message).toContain(targetUrl)
    expect((error as Error).message).not.toContain('secret-path')
    expect(reached).toEqual([])
  })

  it.each(transports.map((transport) => [transport.name, transport] as const))(
    '%s: a redirect to the same origin is refused as well; a 3xx without Location is a response',
    async (_name, transport) => {
      reached.length = 0
      const signal = new AbortController().signal
      const same = `${redirectorUrl}/?status=307&location=${encodeURIComponent('/elsewhere')}`
      await expect(transport.send({ method: 'HEAD', url: same, headers: {}, body: null, bodyLength: 0 }, { signal })).rejects.toMatchObject({
        code: 'redirect-refused',
        message: expect.stringContaining(redirectorUrl),
      })
      const plain = await transport.send({ method: 'HEAD', url: `${redirectorUrl}/?status=300`, headers: {}, body: null, bodyLength: 0 }, { signal })
      expect(plain.status).toBe(300)
    },
  )
})
