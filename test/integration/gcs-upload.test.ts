// The GCS protocol's request descriptions, sent with Node fetch to the GCS emulator by a small
// test-only driver (the Upload wiring comes later): whole uploads through cuts at random points,
// partial persistence at random, a stream of unknown length, retryable 429/503, a session that
// expires (restarted through a sessionUrl function, or upload-gone for a string), an empty file.
// Every upload checks the stored object's SHA-256.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { gcs, parseGcsObject, type GcsProtocol } from '../../src/protocols/gcs'
import type { HttpResponse, ProtocolResult, RequestDescription, RequestKind } from '../../src/types'
import { randomData, seededRandom } from '../support/files'
import { GCS_UNIT as U, startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator'

let emulator: GcsEmulator
let random = seededRandom(13)
beforeAll(async () => {
  // GCS may keep fewer units than arrived: here a random share of each non-final or cut chunk.
  emulator = await startGcsEmulator({ keepUnits: ({ units }) => Math.floor(random() * (units + 1)) })
})
afterAll(async () => {
  await emulator.close()
})

/** Sends one described request with Node fetch; a lost connection rejects. */
async function send(request: RequestDescription, data: Uint8Array): Promise<HttpResponse> {
  const body = request.body === null ? undefined : data.slice(request.body.start, request.body.end)
  const response = await fetch(request.url, { method: request.method, headers: request.headers, body, redirect: 'manual' })
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
}

interface DriveOptions {
  chunkSize: number
  /** Treat the data as a stream of unknown length. */
  stream?: boolean
  /** Called before each chunk PUT with its index: arm faults there. */
  beforeChunk?: (index: number, request: RequestDescription) => void
  maxRestarts?: number
}

interface Drive {
  response: HttpResponse
  restarts: number
  failures: number
}

/** The one-offset session's rules in miniature: create, chunks, a status query after any failure, bounded restarts. */
async function drive(protocol: GcsProtocol, data: Uint8Array, options: DriveOptions): Promise<Drive> {
  const size = options.stream ? undefined : data.length
  const state = { restarts: 0, failures: 0, chunks: 0 }
  const result = async (kind: RequestKind, request: RequestDescription): Promise<ProtocolResult> => {
    try {
      return protocol.interpret(kind, request, await send(request, data))
    } catch {
      state.failures++
      return { kind: 'mismatch', offset: undefined }
    }
  }
  let url = await protocol.endpointFor({ name: 'x', size, metadata: {} })
  let answer = await result('create', protocol.createRequest({ endpoint: url, size, body: null, complete: size === 0, metadata: {} }))
  let offset = 0
  for (let step = 0; step < 500; step++) {
    switch (answer.kind) {
      case 'complete':
        return { response: (answer as Extract<ProtocolResult, { kind: 'complete' }>).response, ...state }
      case 'created':
      case 'offset':
      case 'appended':
        offset = answer.offset ?? offset
        break
      case 'gone':
        if (!protocol.restartable) throw new UploadError('upload-gone', 'the session is gone')
        if (++state.restarts > (options.maxRestarts ?? 3)) throw new UploadError('upload-gone', 'gone again')
        url = await protocol.endpointFor({ name: 'x', size, metadata: {} })
        answer = await result('create', protocol.createRequest({ endpoint: url, size, body: null, complete: size === 0, metadata: {} }))
        continue
      case 'error':
        if (!answer.error.retryable) throw answer.error
        state.failures++
        answer = await result('offset', protocol.offsetRequest(url, size))
        continue
      case 'mismatch':
        if (answer.offset === undefined) {
          answer = await result('offset', protocol.offsetRequest(url, size))
          continue
        }
        offset = answer.offset
        break
      default:
        throw new Error(`unexpected ${answer.kind}`)
    }
    let end = protocol.alignChunkEnd(offset, offset + options.chunkSize, size)
    // A stream's source says when it reached the end.
    if (end >= data.length) end = data.length
    const request = protocol.appendRequest({ url, offset, end, size, complete: end === data.length })
    options.beforeChunk?.(state.chunks++, request)
    answer = await result('append', request)
  }
  throw new Error('the driver made no progress')
}

describe('GCS protocol against the emulator', () => {
  it.each([
    ['a known size, 1 MiB chunks', false, 5 * 1024 * 1024 + 12_345, 1024 * 1024],
    ['a stream of unknown length, 3 units per chunk', true, 3 * 1024 * 1024 + 77, 3 * U],
    ['a stream that ends on a unit boundary', true, 8 * U, 3 * U],
  ])('%s: cuts at random points and partial persistence, SHA-256 equal', async (_, stream, length, chunkSize) => {
    random = seededRandom(length)
    const data = randomData(length)
    const name = `cut-${length}-${stream}.bin`
    const protocol = gcs({ sessionUrl: await emulator.openSession(name), allowedOrigins: [emulator.url] })
    let cuts = 0
    const drove = await drive(protocol, data.bytes, {
      chunkSize,
      stream,
      beforeChunk: (_, request) => {
        const body = request.body
        if (body !== null && body.end - body.start > 1 && random() < 0.5) {
          cuts++
          emulator.cutNext(1 + Math.floor(random() * (body.end - body.start - 1)))
        }
      },
    })
    expect(cuts).toBeGreaterThan(0)
    expect(drove.failures).toBeGreaterThanOrEqual(cuts)
    expect(emulator.sha256Of(name)).toBe(data.sha256)
    expect(emulator.objectBytes(name)?.length).toBe(length)
    expect(parseGcsObject(drove.response)).toMatchObject({ name, size: String(length) })
  })

  it('429 with Retry-After and 503 are retried; the upload completes', async () => {
    const data = randomData(3 * U + 5)
    const protocol = gcs({ sessionUrl: await emulator.openSession('busy.bin'), allowedOrigins: [emulator.url] })
    const drove = await drive(protocol, data.bytes, {
      chunkSize: U,
      beforeChunk: (index) => {
        if (index === 1) emulator.failNext(429, { 'retry-after': '3' })
        if (index === 2) emulator.failNext(503)
      },
    })
    expect(drove.failures).toBe(2)
    expect(emulator.sha256Of('busy.bin')).toBe(data.sha256)
  })

  it('a session that expires mid-way: a sessionUrl function opens a new one (bounded); a string fails with upload-gone', async () => {
    const data = randomData(4 * U)
    const opened: string[] = []
    const protocol = gcs({
      sessionUrl: async () => opened[opened.push(await emulator.openSession('renewed.bin')) - 1] as string,
      allowedOrigins: [emulator.url],
    })
    const drove = await drive(protocol, data.bytes, {
      chunkSize: U,
      beforeChunk: (index, request) => {
        if (index === 2) emulator.expire(request.url, 410)
      },
    })
    expect([drove.restarts, opened.length]).toEqual([1, 2])
    expect(emulator.sha256Of('renewed.bin')).toBe(data.sha256)

    const fixed = gcs({ sessionUrl: await emulator.openSession('fixed.bin'), allowedOrigins: [emulator.url] })
    const failure = drive(fixed, data.bytes, { chunkSize: U, beforeChunk: (index, request) => index === 1 && emulator.expire(request.url) })
    await expect(failure).rejects.toMatchObject({ code: 'upload-gone' })
    expect(emulator.sha256Of('fixed.bin')).toBeUndefined()
  })

  it('an empty file is finalized by the creation status query', async () => {
    const protocol = gcs({ sessionUrl: await emulator.openSession('empty.bin'), allowedOrigins: [emulator.url] })
    const drove = await drive(protocol, new Uint8Array(0), { chunkSize: U })
    expect(parseGcsObject(drove.response)?.size).toBe('0')
    expect(emulator.objectBytes('empty.bin')?.length).toBe(0)
  })

  it('a session that already holds bytes is continued from them (creation reads the Range)', async () => {
    random = () => 0.999 // keep every unit
    const data = randomData(3 * U)
    const session = await emulator.openSession('held.bin')
    await fetch(session, { method: 'PUT', headers: { 'content-range': `bytes 0-${U - 1}/${3 * U}` }, body: data.bytes.slice(0, U) })
    const held = emulator.session(session)?.persisted
    expect(held).toBe(U)
    const protocol = gcs({ sessionUrl: session, allowedOrigins: [emulator.url] })
    const before = emulator.requests.length
    await drive(protocol, data.bytes, { chunkSize: U })
    const chunks = emulator.requests.slice(before).filter((request) => request.bodyBytes > 0)
    expect(chunks[0]?.contentRange).toBe(`bytes ${U}-${2 * U - 1}/${3 * U}`)
    expect(emulator.sha256Of('held.bin')).toBe(data.sha256)
  })
})
