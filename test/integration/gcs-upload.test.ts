/**
 * `new Upload(file, { protocol: gcs({ sessionUrl }), chunkSize })` (issue 13) in Node against the
 * GCS emulator (test/support/gcs-emulator.ts, written from Google's documentation: no GCS emulator
 * installs here): cuts at random points with random partial persistence, a stream of unknown
 * length, a session that expires (a new one through a `sessionUrl` function, `upload-gone` for a
 * string), 429/503 retried, an empty file, a session that already holds bytes, resume from the
 * file store in a new Upload and in a new process after a SIGKILL, and bad input (a `sessionUrl`
 * function that throws or names another origin, a `Range` beyond the file). Every upload that
 * completes is checked with the stored object's SHA-256.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload } from '../../src/node'
import type { UploadEvents } from '../../src/options'
import type { Store, UploadRecord } from '../../src/types'
import { gcs, parseGcsObject, type GcsOptions } from '../../src/gcs'
import { randomData, seededRandom, sha256, tempDir, webStream, writeTestFile } from '../support/files'
import { GCS_UNIT as U, startGcsEmulator, type GcsEmulator, type GcsRequestLog } from '../support/gcs-emulator'

const MiB = 1024 * 1024
const CHILD = new URL('./fixtures/gcs-upload-child.ts', import.meta.url).pathname
const FAST_RETRY = { retries: 8, minTimeout: 1, maxTimeout: 10, factor: 2, randomize: false }

/** Keeps a random share of the whole units of each non-final or cut chunk (GCS may keep fewer than arrived). */
let random = seededRandom(13)
let partial: GcsEmulator
/** Keeps every unit that arrives. */
let whole: GcsEmulator

beforeAll(async () => {
  partial = await startGcsEmulator({ keepUnits: ({ units }) => Math.floor(random() * (units + 1)) })
  whole = await startGcsEmulator({ finalStatus: 201 })
})

afterAll(async () => {
  await partial?.close()
  await whole?.close()
})

/** A protocol for sessions on `emulator`, from a string or a function. */
const on = (emulator: GcsEmulator, sessionUrl: GcsOptions['sessionUrl']): ReturnType<typeof gcs> => gcs({ sessionUrl, allowedOrigins: [emulator.url] })

/** The requests `emulator` saw from `from` on that are chunks (a body was declared). */
function chunks(emulator: GcsEmulator, from: number): GcsRequestLog[] {
  return emulator.requests.slice(from).filter((request) => /^bytes \d/.test(request.contentRange ?? ''))
}

/** Every chunk other than the last declares whole 256 KiB units (exactly `length` bytes, when given). */
function expectWholeUnits(logs: GcsRequestLog[], length?: number): void {
  for (const { contentRange } of logs) {
    const [, first, last, total] = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '') ?? []
    const declared = Number(last) - Number(first) + 1
    if (Number(last) + 1 !== Number(total)) expect([declared % U, declared]).toEqual([0, length ?? declared])
  }
}

/** Every event of `upload`, by name. */
function record(upload: Upload) {
  const events: { [Name in keyof UploadEvents]: UploadEvents[Name][] } = { url: [], progress: [], state: [], retry: [], chunk: [], error: [], warning: [] }
  for (const name of Object.keys(events) as Array<keyof UploadEvents>) upload.on(name, (event) => (events[name] as unknown[]).push(event))
  return events
}

describe('Upload with gcs() in Node', () => {
  it.each([
    ['a file on disk, chunkSize 1,000,000 (rounded down to 3 units)', 5 * MiB + 12_345, 1_000_000],
    ['bytes, adaptive chunk sizes (aligned)', 9 * MiB + 5, undefined],
  ])(
    '%s: cuts at random points and partial persistence; the object JSON is the result; no app headers to GCS; one request at a time',
    async (_, length, chunkSize) => {
      random = seededRandom(length)
      const data = randomData(length)
      const name = `cuts-${length}.bin`
      const { dir, remove } = await tempDir()
      try {
        const input = chunkSize === undefined ? new Uint8Array(data.bytes) : await writeTestFile(dir, name, data)
        const protocol = on(partial, await partial.openSession(name))
        const upload = new Upload(input, { protocol, chunkSize, concurrency: 4, retry: FAST_RETRY, store: false, headers: { authorization: 'Bearer app' } })
        const events = record(upload)
        const from = partial.requests.length
        let armed = 0
        partial.cutNext(1 + Math.floor(random() * 3 * U))
        upload.on('chunk', () => {
          if (armed < 4 && random() < 0.6) {
            armed++
            partial.cutNext(1 + Math.floor(random() * 3 * U))
          }
        })
        const result = await upload.start()

        expect(partial.sha256Of(name)).toBe(data.sha256)
        expect(parseGcsObject(result.response)).toMatchObject({ name, size: String(length), bucket: 'uploads' })
        expect(result.url).toBe(upload.url)
        const mine = partial.requests.slice(from)
        const cut = mine.filter((request) => request.method === 'PUT' && request.status === undefined)
        expect(cut.length).toBeGreaterThan(0)
        // After each cut: a status query naming the total, before any other chunk.
        for (const lost of cut) {
          const next = mine[mine.indexOf(lost) + 1]
          expect(next?.contentRange).toBe(`bytes */${length}`)
        }
        // The server kept fewer units than it received at least once, and the client went on from its Range.
        expect(mine.some((request) => request.status === 308 && request.bodyBytes >= U && request.range !== undefined)).toBe(true)
        expectWholeUnits(chunks(partial, from), chunkSize === undefined ? undefined : 3 * U)
        expect(mine.every((request) => request.authorization === undefined)).toBe(true)
        expect(partial.maxInFlight).toBe(1)
        expect(events.retry.length).toBeGreaterThanOrEqual(cut.length)
        expect(events.state.at(-1)?.state).toBe('complete')
      } finally {
        await remove()
      }
    },
  )

  it('a stream of unknown length: a-b/* until the last chunk, which names the total; cuts and partial persistence', async () => {
    random = seededRandom(77)
    const data = randomData(3 * MiB + 77)
    const protocol = on(partial, await partial.openSession('stream.bin'))
    const upload = new Upload(webStream(data.bytes, 64 * 1024), { protocol, chunkSize: 3 * U, retry: FAST_RETRY, store: false })
    const from = partial.requests.length
    partial.cutNext(U + 5)
    upload.on('chunk', () => random() < 0.4 && partial.cutNext(1 + Math.floor(random() * 3 * U)))
    await upload.start()

    expect(partial.sha256Of('stream.bin')).toBe(data.sha256)
    const sent = chunks(partial, from).map((request) => request.contentRange ?? '')
    expect(sent.slice(0, -1).every((range) => range.endsWith('/*'))).toBe(true)
    expect(sent.at(-1)).toMatch(new RegExp(`^bytes \\d+-${data.bytes.length - 1}/${data.bytes.length}$`))
    expectWholeUnits(chunks(partial, from))
  })

  it('a stream that ends on a unit boundary: its last chunk, whole units too, names the total', async () => {
    const data = randomData(6 * U)
    const upload = new Upload(webStream(data.bytes, 100_000), { protocol: on(whole, await whole.openSession('even.bin')), chunkSize: 3 * U, store: false })
    const from = whole.requests.length
    await upload.start()
    expect(whole.sha256Of('even.bin')).toBe(data.sha256)
    // The stream source sees the end with the last chunk's bytes: that chunk names the total.
    expect(whole.requests.slice(from).map((request) => request.contentRange)).toEqual([
      'bytes */*',
      `bytes 0-${3 * U - 1}/*`,
      `bytes ${3 * U}-${6 * U - 1}/${6 * U}`,
    ])
  })

  it('a session that expires mid-way: a sessionUrl function opens a new one (at most maxRestarts times); a string fails with upload-gone', async () => {
    const data = randomData(4 * U + 1)
    const opened: string[] = []
    const protocol = on(whole, async (file) => {
      expect(file).toMatchObject({ size: data.bytes.length, metadata: { purpose: 'test' } })
      return opened[opened.push(await whole.openSession('renewed.bin')) - 1] as string
    })
    const upload = new Upload(new Uint8Array(data.bytes), { protocol, chunkSize: U, store: 'memory', metadata: { purpose: 'test' }, retry: FAST_RETRY })
    let expired = false
    upload.on('chunk', ({ end }) => {
      if (end === 2 * U && !expired) {
        expired = true
        whole.expire(upload.url as string, 410)
      }
    })
    const events = record(upload)
    await upload.start()
    expect(opened).toHaveLength(2)
    expect(events.url.map((event) => event.url)).toEqual(opened)
    expect(whole.sha256Of('renewed.bin')).toBe(data.sha256)

    // maxRestarts bounds it: every session is gone after its first chunk.
    let again = 0
    const always = on(whole, () => whole.openSession(`gone-${++again}.bin`))
    const bounded = new Upload(new Uint8Array(data.bytes), { protocol: always, chunkSize: U, store: false, maxRestarts: 2, retry: FAST_RETRY })
    bounded.on('chunk', () => whole.expire(bounded.url as string))
    await expect(bounded.start()).rejects.toMatchObject({ code: 'upload-gone', message: expect.stringContaining('maxRestarts') as string })
    expect(again).toBe(3)

    const session = await whole.openSession('fixed.bin')
    const fixed = new Upload(new Uint8Array(data.bytes), { protocol: on(whole, session), chunkSize: U, store: false })
    fixed.on('chunk', () => whole.expire(session))
    await expect(fixed.start()).rejects.toMatchObject({ code: 'upload-gone', status: 404 })
    expect(whole.sha256Of('fixed.bin')).toBeUndefined()
  })

  it('429 with Retry-After and 503 are retried with backoff; the upload completes', async () => {
    const data = randomData(3 * U + 5)
    const upload = new Upload(new Uint8Array(data.bytes), {
      protocol: on(whole, await whole.openSession('busy.bin')),
      chunkSize: U,
      store: false,
      retry: FAST_RETRY,
      maxRetryAfter: 0.01,
    })
    const events = record(upload)
    let chunk = 0
    upload.on('chunk', () => {
      if (++chunk === 1) whole.failNext(429, { 'retry-after': '3' })
      if (chunk === 2) whole.failNext(503)
    })
    await upload.start()
    expect(events.retry.map((event) => event.error.status)).toEqual([429, 503])
    expect(whole.sha256Of('busy.bin')).toBe(data.sha256)
  })

  it('an empty file is finalized by the creation status query (bytes */0)', async () => {
    const session = await whole.openSession('empty.bin')
    const from = whole.requests.length
    const result = await new Upload(new Uint8Array(0), { protocol: on(whole, session), store: false }).start()
    expect(parseGcsObject(result.response)).toMatchObject({ name: 'empty.bin', size: '0' })
    expect(whole.objectBytes('empty.bin')?.length).toBe(0)
    expect(whole.requests.slice(from).map((request) => [request.contentRange, request.status])).toEqual([['bytes */0', 201]])
  })

  it('a session that already holds bytes (handed out again): the creation reads its Range and goes on from there', async () => {
    const data = randomData(3 * U)
    const session = await whole.openSession('held.bin')
    await fetch(session, { method: 'PUT', headers: { 'content-range': `bytes 0-${U - 1}/${3 * U}` }, body: new Uint8Array(data.bytes.subarray(0, U)) })
    const from = whole.requests.length
    await new Upload(new Uint8Array(data.bytes), { protocol: on(whole, session), chunkSize: U, store: false }).start()
    expect(chunks(whole, from).map((request) => request.contentRange)).toEqual([`bytes ${U}-${2 * U - 1}/${3 * U}`, `bytes ${2 * U}-${3 * U - 1}/${3 * U}`])
    expect(whole.sha256Of('held.bin')).toBe(data.sha256)
  })

  it('a chunkSize below one unit sends one unit per chunk', async () => {
    const data = randomData(2 * U + 3)
    const from = whole.requests.length
    await new Upload(new Uint8Array(data.bytes), { protocol: on(whole, await whole.openSession('small.bin')), chunkSize: 1000, store: false }).start()
    expect(chunks(whole, from).map((request) => request.bodyBytes)).toEqual([U, U, 3])
    expect(whole.sha256Of('small.bin')).toBe(data.sha256)
  })
})

describe('resume', () => {
  it('pause() then resume(): a status query, then the rest; abort({ terminate }) deletes the session (499) and the record', async () => {
    const data = randomData(6 * U)
    const session = await whole.openSession('paused.bin')
    const upload = new Upload(new Uint8Array(data.bytes), { protocol: on(whole, session), chunkSize: U, store: 'memory' })
    let paused = false
    const resumed = new Promise<number>((resolve) =>
      upload.on('chunk', ({ end }) => {
        if (end === 2 * U && !paused) {
          paused = true
          upload.pause()
          resolve(whole.requests.length)
        }
      }),
    )
    const done = upload.start()
    const from = await resumed
    expect(upload.state).toBe('paused')
    // The run must have stopped before resume(): resume() while the paused request is still being
    // stopped fails the run with 'aborted' (the Upload's own loop; reported). No event marks that point.
    await new Promise((resolve) => setTimeout(resolve, 100))
    upload.resume()
    await done
    expect(whole.requests.slice(from).map((request) => request.contentRange)[0]).toBe(`bytes */${6 * U}`)
    expect(whole.sha256Of('paused.bin')).toBe(data.sha256)

    const doomed = await whole.openSession('doomed.bin')
    const other = new Upload(new Uint8Array(data.bytes), { protocol: on(whole, doomed), chunkSize: U, store: 'memory' })
    const stopped = new Promise<void>((resolve) => other.on('chunk', () => resolve()))
    const failed = other.start().catch((error: unknown) => error)
    await stopped
    await other.abort({ terminate: true })
    expect(await failed).toMatchObject({ code: 'aborted' })
    expect(whole.requests.filter((request) => request.method === 'DELETE').at(-1)?.status).toBe(499)
    expect(whole.session(doomed)?.goneStatus).toBe(410)
    expect(await Upload.findPrevious(new Uint8Array(data.bytes), { protocol: on(whole, doomed), store: 'memory' })).toEqual([])
  })

  it('restoreAll({ protocol: gcs(...) }) with persistBlob resumes the stored session with the kept File', async () => {
    const data = randomData(4 * U + 7)
    let opened = 0
    const protocol = (): ReturnType<typeof gcs> => on(whole, () => (opened++, whole.openSession('restored.bin')))
    const file = new File([new Uint8Array(data.bytes)], 'restored.bin', { lastModified: 1_700_000_000_000 })
    const first = new Upload(file, { protocol: protocol(), chunkSize: U, store: 'memory', persistBlob: true })
    first.on('chunk', ({ end }) => end >= 2 * U && void first.abort())
    await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
    const uploads = await Upload.restoreAll({ protocol: protocol(), store: 'memory', chunkSize: U })
    expect(uploads).toHaveLength(1)
    await uploads[0]!.start()
    expect([opened, uploads[0]!.url]).toEqual([1, first.url])
    expect(whole.sha256Of('restored.bin')).toBe(data.sha256)
  })

  it('a new Upload resumes from the file store: no new session, a status query naming the total, only the missing bytes', async () => {
    const { dir, remove } = await tempDir()
    try {
      const data = randomData(8 * U + 9)
      const path = await writeTestFile(dir, 'resume.bin', data)
      const storeDirectory = `${dir}/store`
      let opened = 0
      const protocol = (): ReturnType<typeof gcs> => on(whole, () => (opened++, whole.openSession('resume.bin')))
      const first = new Upload(path, { protocol: protocol(), chunkSize: 2 * U, storeDirectory })
      first.on('chunk', ({ end }) => end >= 4 * U && void first.abort())
      await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
      const previous = await Upload.findPrevious(path, { protocol: protocol(), storeDirectory })
      expect(previous).toHaveLength(1)
      expect(previous[0]).toMatchObject({ protocol: 'gcs', endpoint: 'gcs:', url: first.url, size: data.bytes.length })
      const held = whole.session(first.url as string)?.persisted ?? 0
      expect(held).toBeGreaterThanOrEqual(4 * U)

      const from = whole.requests.length
      const second = new Upload(path, { protocol: protocol(), chunkSize: 2 * U, storeDirectory })
      const events = record(second)
      await second.start()
      expect(opened).toBe(1)
      expect(second.url).toBe(first.url)
      expect(events.url[0]).toMatchObject({ via: 'stored' })
      expect(whole.requests[from]?.contentRange).toBe(`bytes */${data.bytes.length}`)
      expect(chunks(whole, from)[0]?.contentRange).toMatch(new RegExp(`^bytes ${held}-`))
      expect(whole.sha256Of('resume.bin')).toBe(data.sha256)
      expect(await Upload.findPrevious(path, { protocol: protocol(), storeDirectory })).toEqual([])
    } finally {
      await remove()
    }
  })

  it('a process killed with SIGKILL at half: a new process resumes from the file store, no new session', async () => {
    let release = (): void => undefined
    const { dir, remove } = await tempDir()
    try {
      const data = randomData(8 * MiB)
      const path = await writeTestFile(dir, 'crash.bin', data)
      const storeDirectory = `${dir}/store`
      const session = await whole.openSession('crash.bin')
      // The child stops at half whatever the machine's speed: chunks from 4 MiB on wait (then are dropped).
      release = whole.holdFrom(4 * MiB)
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, session, path, storeDirectory, '4'], { stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      child.stdout.on('data', (piece: Buffer) => (output += piece.toString()))
      const killed = await new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
      release()
      expect(killed).toBe('SIGKILL')
      expect([...output.matchAll(/^chunk /gm)]).toHaveLength(4)
      const held = whole.session(session)?.persisted
      expect(held).toBe(4 * MiB)

      let opened = 0
      const protocol = (): ReturnType<typeof gcs> => on(whole, () => (opened++, whole.openSession('other.bin')))
      expect(await Upload.findPrevious(path, { protocol: protocol(), storeDirectory })).toMatchObject([{ protocol: 'gcs', url: session }])
      const from = whole.requests.length
      const upload = new Upload(path, { protocol: protocol(), chunkSize: MiB, storeDirectory })
      const events = record(upload)
      await upload.start()
      expect(opened).toBe(0)
      expect(events.progress[0]?.bytesAcked).toBe(4 * MiB)
      expect(whole.requests[from]?.contentRange).toBe(`bytes */${8 * MiB}`)
      expect(chunks(whole, from).map((request) => request.contentRange)).toEqual([4, 5, 6, 7].map((at) => `bytes ${at * MiB}-${(at + 1) * MiB - 1}/${8 * MiB}`))
      expect(whole.sha256Of('crash.bin')).toBe(data.sha256)
      expect(await Upload.findPrevious(path, { protocol: protocol(), storeDirectory })).toEqual([])
    } finally {
      release()
      await remove()
    }
  })
})

describe('bad input', () => {
  it('a sessionUrl function that throws: retried, then a typed network error; nothing sent', async () => {
    let calls = 0
    const from = whole.requests.length
    const upload = new Upload(new Uint8Array(10), {
      protocol: on(whole, () => (calls++, Promise.reject(new Error('backend down')))),
      store: false,
      retry: { ...FAST_RETRY, retries: 2 },
    })
    await expect(upload.start()).rejects.toMatchObject({ code: 'network', message: expect.stringContaining('backend down') as string })
    expect(calls).toBe(3)
    expect(whole.requests.length).toBe(from)
  })

  it('a sessionUrl function that answers a URL on another origin: location-refused, nothing sent there', async () => {
    const elsewhere = await startGcsEmulator()
    try {
      const upload = new Upload(new Uint8Array(10), { protocol: on(whole, () => elsewhere.openSession('x.bin')), store: 'memory', retry: FAST_RETRY })
      await expect(upload.start()).rejects.toMatchObject({ code: 'location-refused', retryable: false })
      // Only the test's own session initiation reached it.
      expect(elsewhere.requests.map((request) => request.method)).toEqual(['POST'])
    } finally {
      await elsewhere.close()
    }
  })

  it('a stored record naming a URL with an opaque origin (as gcs: has) is not trusted: ignored with a warning, a new session is opened', async () => {
    const data = randomData(U + 1)
    const records = new Map<string, UploadRecord>()
    const store: Store = {
      get: async (key) => records.get(key),
      put: async (record) => void records.set(record.key, record),
      delete: async (key) => void records.delete(key),
      list: async () => [...records.values()],
    }
    const forged = { url: 'gcs:forged', protocol: 'gcs', protocolVersion: '1', endpoint: 'gcs:', size: data.bytes.length, offset: 0, metadata: {} }
    records.set('k', { ...forged, key: 'k', createdAt: Date.now(), updatedAt: Date.now() })
    let opened = 0
    const upload = new Upload(new Uint8Array(data.bytes), {
      protocol: on(whole, () => (opened++, whole.openSession('forged.bin'))),
      store,
      fingerprint: () => Promise.resolve('k'),
    })
    const events = record(upload)
    await upload.start()
    expect(events.warning.map((warning) => warning.code)).toContain('record-ignored')
    expect([opened, events.url[0]?.via]).toEqual([1, 'created'])
    expect(whole.sha256Of('forged.bin')).toBe(data.sha256)
  })

  it('a Range beyond the file: offset-invalid, the record forgotten, the session untouched; a new run completes', async () => {
    const data = randomData(4 * U)
    const session = await whole.openSession('beyond.bin')
    const upload = new Upload(new Uint8Array(data.bytes), { protocol: on(whole, session), chunkSize: U, store: 'memory' })
    let lied = false
    upload.on('chunk', () => {
      if (!lied) whole.failNext(308, { range: `bytes=0-${8 * U}` })
      lied = true
    })
    await expect(upload.start()).rejects.toMatchObject({ code: 'offset-invalid', retryable: false })
    const held = whole.session(session)
    expect(held?.object).toBeUndefined()
    expect(sha256(held?.data() ?? Buffer.alloc(0))).toBe(sha256(data.bytes.subarray(0, held?.persisted)))
    expect(await Upload.findPrevious(new Uint8Array(data.bytes), { protocol: on(whole, session), store: 'memory' })).toEqual([])
    await upload.start()
    expect(whole.sha256Of('beyond.bin')).toBe(data.sha256)
  })
})
