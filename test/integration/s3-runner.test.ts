/**
 * The parts runner (src/upload/parts-runner.ts) against a real s3rver behind the gate
 * (test/support/s3-server.ts) and the test backend (s3-backend.ts): parallel parts through
 * node-http, connection cuts (the cutting proxy, presigned for its origin), expired signatures,
 * 500s, NoSuchUpload restarts, abort with terminate, resume from a record through listParts, and
 * bad callback answers. Every upload that completes is checked with GetObject's SHA-256.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import type { UploadEvents } from '../../src/options'
import { s3, type S3Callbacks, type S3RecordState } from '../../src/protocols/s3'
import { s3 as s3Entry } from '../../src/s3'
import { RequestSender } from '../../src/request-sender'
import { bytesSource } from '../../src/sources/bytes'
import { streamSource } from '../../src/sources/stream'
import { nodeFileSource } from '../../src/sources/node-file'
import { nodeHttpTransport } from '../../src/transports/node-http'
import type { Source } from '../../src/types'
import { PartsRunner, partSenderFor, type PartSender, type PartsRecordHooks } from '../../src/upload/parts-runner'
import { startCuttingProxy } from '../support/cutting-proxy'
import { randomData, tempDir, webStream, writeTestFile } from '../support/files'
import { createS3Backend, partsOnDisk, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'

const MiB = 1024 * 1024
const CHILD = new URL('./fixtures/s3-runner-child.ts', import.meta.url).pathname
const FAST_RETRY = { retries: 3, minTimeout: 1, maxTimeout: 10, factor: 2, randomize: false }
const sender = new RequestSender(nodeHttpTransport(), undefined, () => false, 30_000)

/** Parts in flight on the client, counted around each send. */
const sending = { now: 0, max: 0 }
const send: PartSender = async (request, chunk, hooks) => {
  sending.max = Math.max(sending.max, ++sending.now)
  try {
    return await partSenderFor(sender)(request, chunk, hooks)
  } finally {
    sending.now--
  }
}

let server: S3TestServer
let backend: S3TestBackend

beforeAll(async () => {
  server = await startS3Server()
  backend = createS3Backend(server)
})

afterAll(async () => {
  await server.stop()
})

type Event = { [Name in keyof UploadEvents]: [Name, UploadEvents[Name]] }[keyof UploadEvents]

/** A record kept in memory, as a store would keep it (a JSON copy). */
function memoryRecord(initial?: S3RecordState): PartsRecordHooks & { value: S3RecordState | undefined; saves: number } {
  const record = {
    value: initial,
    saves: 0,
    load: () => record.value,
    save: (state: S3RecordState) => {
      record.saves++
      record.value = JSON.parse(JSON.stringify(state)) as S3RecordState
    },
  }
  return record
}

interface RunnerOptions {
  callbacks?: S3Callbacks
  concurrency?: number
  record?: PartsRecordHooks
  maxRestarts?: number
  signal?: AbortSignal
  retries?: number
  offline?: (signal: AbortSignal) => Promise<void> | undefined
}

function runner(source: Source, options: RunnerOptions = {}) {
  const events: Event[] = []
  const waiters: { name: keyof UploadEvents; count: number; resolve: () => void }[] = []
  const emit = (event: Event): void => {
    events.push(event)
    for (const waiter of waiters.filter((candidate) => candidate.name === event[0] && candidate.count === of(event[0]).length)) waiter.resolve()
  }
  const run = new PartsRunner({
    source,
    protocol: s3(options.callbacks ?? backend),
    send,
    concurrency: options.concurrency ?? 4,
    chunkSize: 5 * MiB,
    retry: { ...FAST_RETRY, retries: options.retries ?? FAST_RETRY.retries },
    maxRestarts: options.maxRestarts ?? 2,
    record: options.record,
    emit: (name, event) => emit([name, event] as Event),
    signal: options.signal ?? new AbortController().signal,
    offline: options.offline,
  })
  const of = <Name extends keyof UploadEvents>(name: Name): UploadEvents[Name][] =>
    events.filter((event) => event[0] === name).map((event) => event[1] as UploadEvents[Name])
  /** Resolves when the `count`th event `name` is emitted (synchronously, inside the emit). */
  const until = (name: keyof UploadEvents, count: number): Promise<void> => new Promise((resolve) => waiters.push({ name, count, resolve }))
  return { run, events, of, until }
}

/** The gate's part requests from index `from` on. */
function partsSince(from: number) {
  return server.partRequests.slice(from)
}

/** A copy of `backend` with some callbacks replaced (the call counters stay the backend's). */
function withCallbacks(overrides: Partial<S3Callbacks>): S3Callbacks {
  return { ...backend, ...overrides }
}

describe('parts runner against s3rver', () => {
  it('a 64 MiB file in 5 MiB parts, 4 at once, through three connection cuts: completes whole, parts in parallel, each cut re-sends one part', async () => {
    const proxy = await startCuttingProxy(server.endpoint)
    const { dir, remove } = await tempDir()
    try {
      const viaProxy = createS3Backend(server, { publicEndpoint: proxy.url })
      const data = randomData(64 * MiB)
      const source = await nodeFileSource(await writeTestFile(dir, 'big.bin', data))
      const cuts = [proxy.cut(1 * MiB, 'PUT'), proxy.cut(3 * MiB, 'PUT'), proxy.cut(4 * MiB, 'PUT')]
      const from = server.partRequests.length
      sending.max = 0
      const { run, of } = runner(source, { callbacks: viaProxy })
      const result = await run.run()

      expect(await viaProxy.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
      expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1])
      const puts = proxy.requests.filter((request) => request.method === 'PUT')
      expect(puts).toHaveLength(13 + 3)
      const resent = puts.reduce((sum, request) => sum + request.bodyBytes, 0) - data.bytes.length
      expect(resent).toBe(1 * MiB + 3 * MiB + 4 * MiB) // exactly the bytes before each cut: one part per cut
      // The client never has more than 4 parts in flight, and reaches 4; the gate (which may still
      // count a cut request whose close it has not seen) saw at least 4 at once.
      expect(sending.max).toBe(4)
      expect(Math.max(...partsSince(from).map((record) => record.inFlight))).toBeGreaterThanOrEqual(4)
      expect(of('chunk')).toHaveLength(13)
      expect(of('retry')).toHaveLength(3)
      expect(of('retry').map((event) => event.error.code)).toEqual(['network', 'network', 'network'])
      const acked = of('progress').map((event) => event.bytesAcked)
      expect(acked).toEqual([...acked].sort((a, b) => a - b))
      expect(of('progress').at(-1)).toEqual({ bytesSent: data.bytes.length, bytesAcked: data.bytes.length, bytesTotal: data.bytes.length })
      expect(of('progress').some((event) => event.bytesSent > event.bytesAcked)).toBe(true)
      expect(of('url')).toEqual([{ url: result.url, via: 'created' }])
      expect(result.url).toBe(result.location)
      expect(of('state').map((event) => event.state)).toEqual(['creating', 'uploading', 'complete'])
    } finally {
      await proxy.close()
      await remove()
    }
  })

  it('an expired signature (403 Request has expired) re-signs the part at once, without a retry', async () => {
    const data = randomData(7 * MiB)
    const stale = createS3Backend(server, { expiresIn: 1, signingDate: () => new Date(Date.now() - 3_600_000) })
    let staleLeft = 1
    const signs: number[] = []
    const callbacks = withCallbacks({
      signPart: (file, options) => {
        signs.push(options.partNumber)
        return options.partNumber === 1 && staleLeft-- > 0 ? stale.signPart(file, options) : backend.signPart(file, options)
      },
    })
    const from = server.partRequests.length
    const { run, of } = runner(bytesSource(data.bytes, { name: 'expired.bin' }), { callbacks, concurrency: 1 })
    const result = await run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    expect(partsSince(from).map((record) => [record.partNumber, record.status])).toEqual([
      [1, 403],
      [1, 200],
      [2, 200],
    ])
    // Part 1 signed twice (re-signed once its 403 is read), part 2 once (ahead of its turn, while part 1 was in flight).
    expect([...signs].sort()).toEqual([1, 1, 2])
    expect(of('retry')).toEqual([])
  })

  it('signatures that stay expired fail after 3 re-signs, with the part never stored and no object', async () => {
    const data = randomData(1 * MiB)
    const stale = createS3Backend(server, { expiresIn: 1, signingDate: () => new Date(Date.now() - 3_600_000) })
    const completes = backend.calls.completeMultipartUpload
    const from = server.partRequests.length
    const { run } = runner(bytesSource(data.bytes), { callbacks: withCallbacks({ signPart: stale.signPart }) })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'http-status', status: 403 })
    expect(partsSince(from).map((record) => record.status)).toEqual([403, 403, 403, 403])
    expect(backend.calls.completeMultipartUpload).toBe(completes)
  })

  it('a part answered 500 twice is retried on its own (two retry events) and stored', async () => {
    const data = randomData(6 * MiB)
    server.failNextParts(2, { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' })
    const from = server.partRequests.length
    const { run, of } = runner(bytesSource(data.bytes), { concurrency: 1 })
    const result = await run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    expect(partsSince(from).map((record) => [record.partNumber, record.status])).toEqual([
      [1, 500],
      [1, 500],
      [1, 200],
      [2, 200],
    ])
    expect(of('retry').map((event) => [event.attempt, event.retriesLeft, event.error.status])).toEqual([
      [1, 3, 500],
      [2, 2, 500],
    ])
  })

  it('an empty file is one empty part, and completes as an empty object', async () => {
    const { run, of } = runner(bytesSource(new Uint8Array(0)))
    const result = await run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: randomData(0).sha256, size: 0 })
    expect(of('chunk')).toEqual([{ start: 0, end: 0 }])
  })

  it('a part failing while offline waits for the network and costs no retry', async () => {
    const data = randomData(1 * MiB)
    server.failNextParts(2, { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' })
    let offlineChecks = 0
    // Offline at the first failure (back at once here), online at the second.
    const offline = (): Promise<void> | undefined => (offlineChecks++ === 0 ? Promise.resolve() : undefined)
    const from = server.partRequests.length
    const { run, of } = runner(bytesSource(data.bytes), { retries: 1, offline })
    const result = await run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    expect(partsSince(from).map((record) => record.status)).toEqual([503, 503, 200])
    expect([offlineChecks, of('retry').length]).toEqual([2, 1])
  })

  it('NoSuchUpload mid-upload starts over once with a new createMultipartUpload, and the object is whole', async () => {
    const data = randomData(11 * MiB)
    let forget = true
    const callbacks = withCallbacks({
      signPart: async (file, options) => {
        // S3 forgets the upload once part 1 is stored (a lifecycle rule, another client's abort).
        if (options.partNumber === 2 && forget) {
          forget = false
          await backend.abortMultipartUpload(file, options)
        }
        return backend.signPart(file, options)
      },
    })
    const creates = backend.calls.createMultipartUpload
    const { run } = runner(bytesSource(data.bytes), { callbacks, concurrency: 1 })
    const result = await run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    expect([run.restartCount, backend.calls.createMultipartUpload - creates]).toEqual([1, 2])
  })

  it('NoSuchUpload every time: maxRestarts fresh starts, then upload-gone, and nothing completed', async () => {
    const data = randomData(1 * MiB)
    const callbacks = withCallbacks({
      signPart: async (file, options) => {
        await backend.abortMultipartUpload(file, options)
        return backend.signPart(file, options)
      },
    })
    const creates = backend.calls.createMultipartUpload
    const completes = backend.calls.completeMultipartUpload
    const { run, of } = runner(bytesSource(data.bytes), { callbacks, maxRestarts: 1 })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect((error as UploadError).code).toBe('upload-gone')
    expect(backend.calls.createMultipartUpload - creates).toBe(2)
    expect(backend.calls.completeMultipartUpload).toBe(completes)
    expect(of('state').at(-1)?.state).toBe('failed')
  })

  it('abort, then terminate: the parts in flight stop, abortMultipartUpload drops the upload, nothing is completed', async () => {
    const data = randomData(26 * MiB)
    const controller = new AbortController()
    const aborts = backend.calls.abortMultipartUpload
    const { run, of } = runner(bytesSource(data.bytes), { concurrency: 2, signal: controller.signal })
    const arrived = server.partsArrived(server.partRequests.length + 2)
    const running = run.run()
    await arrived
    controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })
    const upload = run.current!
    await Promise.all(server.partRequests.map((record) => record.closed))
    expect(server.uploadExists(upload.uploadId)).toBe(true)
    await run.terminate()
    expect(backend.calls.abortMultipartUpload - aborts).toBe(1)
    expect(server.uploadExists(upload.uploadId)).toBe(false)
    expect(of('state').map((event) => event.state)).not.toContain('failed')
    expect(of('url')).toEqual([])
  })

  it('resumes from a record: listParts is the truth, no new createMultipartUpload, only the missing parts are sent', async () => {
    const data = randomData(36 * MiB) // 8 parts
    const record = memoryRecord()
    const controller = new AbortController()
    const first = runner(bytesSource(data.bytes), { record, concurrency: 2, signal: controller.signal })
    const third = first.until('chunk', 3)
    const running = first.run.run()
    await third
    controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })
    const upload = first.run.current!
    expect(record.value).toMatchObject({ uploadId: upload.uploadId, key: upload.key, partSize: 5 * MiB })
    const stored = (await partsOnDisk(server.uploadDirectory(upload.uploadId))).map((part) => part.PartNumber)
    // The final write holds every part the runner saw stored (a part may land after the abort: listParts has it).
    expect(record.value?.parts.map((part) => part.number).every((number) => stored.includes(number))).toBe(true)
    expect(record.value?.parts.length).toBe(first.of('chunk').length)
    expect(stored.length).toBeGreaterThanOrEqual(3)
    expect(stored.length).toBeLessThan(8)

    const creates = backend.calls.createMultipartUpload
    const lists = backend.calls.listParts
    const from = server.partRequests.length
    const second = runner(bytesSource(data.bytes), { record })
    const result = await second.run.run()
    expect(result.upload).toEqual(upload)
    expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([0, 1])
    const missing = [1, 2, 3, 4, 5, 6, 7, 8].filter((number) => !stored.includes(number))
    expect(
      partsSince(from)
        .map((part) => part.partNumber)
        .sort((a, b) => a - b),
    ).toEqual(missing)
    expect(second.of('progress')[0]?.bytesAcked).toBeGreaterThanOrEqual(stored.length * 5 * MiB)
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
  })

  it('pause and resume without a store: run() again on the same runner goes on through listParts, no new create, only missing parts', async () => {
    const data = randomData(36 * MiB) // 8 parts
    let listed: number[] = []
    const listParts: S3Callbacks['listParts'] = async (file, options) => {
      const parts = await backend.listParts(file, options)
      listed = parts.map((part) => part.PartNumber)
      return parts
    }
    const view = runner(bytesSource(data.bytes), { concurrency: 2, callbacks: withCallbacks({ listParts }) })
    const pause = new AbortController()
    const third = view.until('chunk', 3)
    const creates = backend.calls.createMultipartUpload
    const running = view.run.run(pause.signal)
    await third
    pause.abort()
    await expect(running).rejects.toMatchObject({ code: 'aborted' })
    const upload = view.run.current!
    const lists = backend.calls.listParts
    const from = server.partRequests.length
    const result = await view.run.run(new AbortController().signal)
    expect(result.upload).toEqual(upload)
    expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([1, 1])
    expect(listed.length).toBeGreaterThanOrEqual(3)
    const sent = partsSince(from).map((part) => part.partNumber)
    expect(sent.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((number) => !listed.includes(number)))
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
  })

  it('bad input: a signPart that throws fails with callback-failed (retried, the cause kept) after its retries; nothing is completed', async () => {
    const data = randomData(1 * MiB)
    const completes = backend.calls.completeMultipartUpload
    const from = server.partRequests.length
    const boom = new Error('the signing endpoint is down')
    const callbacks = withCallbacks({
      signPart: () => {
        throw boom
      },
    })
    const { run, of } = runner(bytesSource(data.bytes), { callbacks, retries: 2 })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({ code: 'callback-failed', retryable: true, cause: boom, message: 'signPart failed: the signing endpoint is down' })
    expect(of('retry').map((event) => event.error.code)).toEqual(['callback-failed', 'callback-failed'])
    expect(partsSince(from)).toEqual([])
    expect(backend.calls.completeMultipartUpload).toBe(completes)
  })

  it('bad input: a createMultipartUpload answering garbage fails with callback-invalid (not retried), nothing sent, nothing recorded', async () => {
    const record = memoryRecord()
    const from = server.partRequests.length
    const callbacks = withCallbacks({ createMultipartUpload: () => ({ uploadId: 42, key: '' }) as never })
    const { run, of } = runner(bytesSource(randomData(1024).bytes), { callbacks, record })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect(error).toMatchObject({
      code: 'callback-invalid',
      retryable: false,
      message: 'createMultipartUpload must answer a non-empty `uploadId` string; it answered `uploadId`: a number',
    })
    expect(of('retry')).toEqual([])
    expect([partsSince(from).length, record.saves, run.current]).toEqual([0, 0, undefined])
  })

  it('bad input: listParts naming parts that do not fit the file fails with offset-invalid; nothing is sent or completed, the parts stay', async () => {
    // A record of a real upload of another 6 MiB file, resumed with a 3 MiB file: part 1 has 5 MiB on S3, 3 MiB here.
    const other = randomData(6 * MiB)
    const record = memoryRecord()
    await runner(bytesSource(other.bytes), {
      record,
      callbacks: withCallbacks({ completeMultipartUpload: () => Promise.reject(new Error('stop here')) }),
      retries: 0,
    })
      .run.run()
      .catch(() => undefined)
    const stale = record.value!
    expect(await partsOnDisk(server.uploadDirectory(stale.uploadId))).toHaveLength(2)
    const completes = backend.calls.completeMultipartUpload
    const from = server.partRequests.length
    const { run } = runner(bytesSource(randomData(3 * MiB).bytes), { record })
    const error = await run.run().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UploadError)
    expect((error as UploadError).code).toBe('offset-invalid')
    expect((error as Error).message).toContain('part 1 has 5242880 bytes')
    expect([partsSince(from).length, backend.calls.completeMultipartUpload - completes]).toEqual([0, 0])
    expect(await partsOnDisk(server.uploadDirectory(stale.uploadId))).toHaveLength(2)
    expect(record.value).toEqual(stale)
  })

  it('bad input: listParts naming a part beyond the plan (or twice) is offset-invalid too', async () => {
    const data = randomData(1 * MiB)
    const record = memoryRecord()
    const created = s3(backend).readCreated(
      await backend.createMultipartUpload(s3(backend).file({ size: data.bytes.length }, {}), new AbortController().signal),
    )
    record.value = { ...created, partSize: 5 * MiB, parts: [] }
    for (const listed of [
      [{ PartNumber: 2, ETag: '"a"' }],
      [
        { PartNumber: 1, ETag: '"a"' },
        { PartNumber: 1, ETag: '"a"' },
      ],
    ]) {
      const from = server.partRequests.length
      const { run } = runner(bytesSource(data.bytes), { record, callbacks: withCallbacks({ listParts: () => listed }) })
      await expect(run.run()).rejects.toMatchObject({ name: 'UploadError', code: 'offset-invalid' })
      expect(partsSince(from)).toEqual([])
    }
  })

  it.each([
    ['23 MiB', 23 * MiB, 5],
    ['exactly 10 MiB (the end on a part boundary)', 10 * MiB, 2],
  ])('a stream of unknown length (%s) is read part by part, at most concurrency parts held, and completes whole', async (_name, size, parts) => {
    const data = randomData(size)
    const stream = streamSource(webStream(data.bytes, 64 * 1024), { name: 'stream.bin' })
    let heldMax = 0
    const source: Source = {
      ...stream,
      size: undefined,
      slice: (start, end) => {
        // What the runner holds once this slice is read: every byte up to `end` not yet stored.
        heldMax = Math.max(heldMax, end - (view.of('progress').at(-1)?.bytesAcked ?? 0))
        return stream.slice(start, end)
      },
    }
    const from = server.partRequests.length
    const view = runner(source, { concurrency: 3 })
    const result = await view.run.run()
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size })
    expect(partsSince(from)).toHaveLength(parts)
    expect(view.of('chunk').reduce((sum, chunk) => sum + chunk.end - chunk.start, 0)).toBe(size)
    expect(view.of('progress').at(-1)).toEqual({ bytesSent: size, bytesAcked: size, bytesTotal: undefined })
    expect(heldMax).toBeLessThanOrEqual(3 * 5 * MiB)
    expect(heldMax).toBeGreaterThan(5 * MiB) // more than one part read ahead: parts go in parallel
  })

  it('the resumable-upload/s3 entry: s3(callbacks) is the protocol plus createRun, which the Upload calls for parts protocols', async () => {
    const data = randomData(12 * MiB + 5)
    const protocol = s3Entry(backend)
    expect([protocol.name, protocol.parts, typeof protocol.partRequest]).toEqual(['s3', true, 'function'])
    expect(() => protocol.checkChunkSize(1024)).toThrow(RangeError)
    const events: string[] = []
    const run = protocol.createRun({
      source: bytesSource(data.bytes, { name: 'entry.bin', type: 'application/octet-stream' }),
      send: partSenderFor(sender),
      concurrency: 3,
      chunkSize: 5 * MiB,
      metadata: { owner: 'test' },
      retry: FAST_RETRY,
      maxRestarts: 1,
      emit: (name) => events.push(name),
      signal: new AbortController().signal,
    })
    const result = await run.run()
    expect(result.url).toBe(result.location)
    expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    expect(events.filter((name) => name === 'chunk')).toHaveLength(3)
  })

  it('a process killed with SIGKILL at half: a new process resumes from the record through listParts, no new create, only what s3rver lacks', async () => {
    const endpoint = await serveS3Backend(backend)
    const { dir, remove } = await tempDir()
    try {
      const data = randomData(40 * MiB) // 8 parts of 5 MiB
      const path = await writeTestFile(dir, 'crash.bin', data)
      const recordPath = join(dir, 'record.json')
      const creates = backend.calls.createMultipartUpload
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, endpoint.url, path, recordPath, '4'], { stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      child.stdout.on('data', (piece: Buffer) => (output += piece.toString()))
      const killed = await new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
      expect(killed).toBe('SIGKILL')
      expect([...output.matchAll(/^chunk /gm)]).toHaveLength(4)
      expect(backend.calls.createMultipartUpload - creates).toBe(1)

      const recorded = JSON.parse(await readFile(recordPath, 'utf8')) as S3RecordState
      const lists = backend.calls.listParts
      const from = server.partRequests.length
      let held: number[] = []
      const listParts: S3Callbacks['listParts'] = async (file, options) => {
        const listed = await backend.listParts(file, options)
        held = listed.map((part) => part.PartNumber)
        return listed
      }
      const resumed = runner(await nodeFileSource(path), { record: memoryRecord(recorded), callbacks: withCallbacks({ listParts }) })
      const result = await resumed.run.run()
      expect(held.length).toBeGreaterThanOrEqual(4)
      expect(held.length).toBeLessThan(8)
      expect(result.upload).toEqual({ uploadId: recorded.uploadId, key: recorded.key })
      expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([1, 1])
      const sent = partsSince(from).map((part) => part.partNumber)
      expect(sent.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((number) => !held.includes(number)))
      expect(resumed.of('progress')[0]?.bytesAcked).toBe(held.length * 5 * MiB)
      expect(await backend.sha256Of(result.upload.key)).toEqual({ sha256: data.sha256, size: data.bytes.length })
    } finally {
      await endpoint.close()
      await remove()
    }
  })
})
