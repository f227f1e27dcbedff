/**
 * Persistence in Node: the file store carries an upload across a killed process; corrupt,
 * expired and gone records lead to clean new uploads; a changed file is never resumed.
 */
import { spawn } from 'node:child_process'
import { chmod, chown, mkdir, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Upload, fileStore, memoryStore, nodeHttpTransport } from '../../src/node'
import type { UploadWarning } from '../../src/persistence'
import type { Store, Transport, UploadRecord } from '../../src/types'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'

const MiB = 1024 * 1024
const CHILD = fileURLToPath(new URL('./fixtures/upload-child.ts', import.meta.url))
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

function warningsOf(upload: Upload): UploadWarning[] {
  const warnings: UploadWarning[] = []
  upload.on('warning', (warning) => warnings.push(warning))
  return warnings
}

describe('file store across processes', () => {
  it('resumes in a second process what a killed process had uploaded', async () => {
    const data = randomData(8 * MiB)
    const path = await writeTestFile(work.dir, 'crash.bin', data)
    const storeDirectory = join(work.dir, 'state')
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, server.endpoint, path, storeDirectory, String(3 * MiB)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout.on('data', (piece: Buffer) => (output += piece.toString()))
    const signal = await new Promise((resolve) => child.once('exit', (_code, killed) => resolve(killed)))
    expect(signal).toBe('SIGKILL')
    const killedAt = Math.max(...[...output.matchAll(/chunk (\d+)/g)].map((match) => Number(match[1])))
    expect(killedAt).toBeGreaterThanOrEqual(3 * MiB)
    expect(killedAt).toBeLessThan(data.bytes.length)

    const upload = new Upload(path, { endpoint: server.endpoint, storeDirectory, chunkSize: MiB })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const firstSent: number[] = []
    upload.on('progress', ({ bytesAcked }) => firstSent.push(bytesAcked))
    const { url } = await upload.start()
    expect(vias).toEqual(['stored'])
    await expectStored(url, data)
    // Resumed at the server's offset: at least what the child saw acknowledged.
    expect(firstSent[0]).toBeGreaterThanOrEqual(killedAt)
    const id = server.uploadIdFromUrl(url)
    expect((server.stats.perUpload.get(id)?.bodyBytesReceived ?? 0) - data.bytes.length).toBeLessThanOrEqual(MiB)
    // removeOnSuccess: the record is gone.
    expect(await fileStore(storeDirectory).list()).toEqual([])
  })
})

describe('the record lock across runs', () => {
  /** node-http, counting what it sends by method. */
  function countingTransport(): Transport & { methods: string[] } {
    const inner = nodeHttpTransport()
    const methods: string[] = []
    return { ...inner, methods, send: (request, options) => (methods.push(request.method), inner.send(request, options)) }
  }

  it('start() again at a URL the Upload holds takes the lock again: while another Upload of the file holds it, locked, and nothing sent', async () => {
    const store = memoryStore()
    const data = randomData(3 * MiB)
    const path = await writeTestFile(work.dir, 'relock.bin', data)
    const options = { endpoint: server.endpoint, store, chunkSize: MiB, lock: 'fail' as const, retry: { retries: 0 } }
    // The first run fails after the creation: the Upload holds its URL, the store its record.
    const refused = server.faults.add({ type: 'status', status: 403, match: { kind: 'append' } })
    const transport = countingTransport()
    const first = new Upload(path, { ...options, transport })
    await expect(first.start()).rejects.toMatchObject({ code: 'http-status', status: 403 })
    expect(refused.hits).toBe(1)
    const url = first.url
    expect(url).toBeDefined()
    expect((await store.list()).map((record) => record.url)).toEqual([url])

    // Another Upload of the file resumes that record and pauses after a chunk, holding the lock.
    const second = new Upload(path, options)
    let pausedAfter: (() => void) | undefined
    const paused = new Promise<void>((resolve) => (pausedAfter = resolve))
    second.on('chunk', () => {
      if (pausedAfter) second.pause()
      pausedAfter?.()
      pausedAfter = undefined
    })
    const running = second.start()
    await paused
    const sent = transport.methods.length
    await expect(first.start()).rejects.toMatchObject({ code: 'locked' })
    expect(transport.methods.length).toBe(sent)

    second.resume()
    expect((await running).url).toBe(url)
    await expectStored(url!, data)
    // The lock free again and the record gone (complete): the first Upload only asks, and is done.
    expect((await first.start()).url).toBe(url)
    expect(transport.methods.slice(sent)).toEqual(['HEAD'])
  })
})

describe('stored records that must not be resumed', () => {
  async function storedUpload(store: Store, data: TestData, name: string): Promise<{ path: string; record: UploadRecord }> {
    const path = await writeTestFile(work.dir, name, data)
    const first = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
    first.on('chunk', ({ end }) => {
      if (end >= MiB) void first.abort()
    })
    await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
    const [record] = await store.list()
    expect(record).toBeDefined()
    return { path, record: record as UploadRecord }
  }

  it('resumes a valid record from the same store', async () => {
    const store = memoryStore()
    const data = randomData(3 * MiB)
    const { path, record } = await storedUpload(store, data, 'valid.bin')
    expect(await Upload.findPrevious(path, { endpoint: server.endpoint, store })).toEqual([record])
    const upload = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect(vias).toEqual(['stored'])
    expect(url).toBe(record.url)
    await expectStored(url, data)
  })

  it('ignores a corrupt record with a warning and uploads anew', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    const { path, record } = await storedUpload(store, data, 'corrupt.bin')
    const corrupt: Store = { ...store, get: async () => ({ ...record, offset: -1 }) as UploadRecord }
    const upload = new Upload(path, { endpoint: server.endpoint, store: corrupt, chunkSize: MiB })
    const warnings = warningsOf(upload)
    const { url } = await upload.start()
    expect(url).not.toBe(record.url)
    expect(warnings.map((warning) => warning.code)).toContain('record-ignored')
    await expectStored(url, data)
  })

  it('drops an expired record and uploads anew', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    const { path, record } = await storedUpload(store, data, 'expired.bin')
    await store.put({ ...record, expiresAt: Date.now() - 1000 })
    const upload = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
    const warnings = warningsOf(upload)
    const { url } = await upload.start()
    expect(url).not.toBe(record.url)
    expect(warnings.map((warning) => warning.code)).toEqual(['record-expired'])
    await expectStored(url, data)
  })

  it('starts a clean new upload when the stored URL answers 404', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    const { path, record } = await storedUpload(store, data, 'gone.bin')
    await server.forget(server.uploadIdFromUrl(record.url))
    const upload = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect(vias).toEqual(['stored', '104'])
    await expectStored(url, data)
  })

  it('never resumes a changed file (same name and size) when content sampling is on', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    const path = await writeTestFile(work.dir, 'changed.bin', data)
    const options = { endpoint: server.endpoint, store, chunkSize: MiB, sampleContent: true }
    const first = new Upload(path, options)
    first.on('chunk', () => void first.abort())
    await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
    const [record] = await store.list()
    // Same name, same size, same mtime as far as a fingerprint can see; other bytes.
    const other = randomData(2 * MiB)
    const { mtime } = await import('node:fs/promises').then((fs) => fs.stat(path))
    await writeFile(path, other.bytes)
    await import('node:fs/promises').then((fs) => fs.utimes(path, mtime, mtime))
    const upload = new Upload(path, options)
    const { url } = await upload.start()
    expect(url).not.toBe(record?.url)
    await expectStored(url, other)
  })

  it('stores nothing for bytes without a fingerprint function, and resumes them with one', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    await new Upload(data.bytes, { endpoint: server.endpoint, store, removeOnSuccess: false }).start()
    expect(await store.list()).toEqual([])
    const keyed = { endpoint: server.endpoint, store, chunkSize: MiB, fingerprint: () => `bytes:${data.sha256}` }
    const first = new Upload(data.bytes, keyed)
    first.on('chunk', () => void first.abort())
    await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
    const upload = new Upload(data.bytes, keyed)
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    await expectStored((await upload.start()).url, data)
    expect(vias).toEqual(['stored'])
  })

  it('goes on with the memory store, and says so, when the store is broken', async () => {
    const data = randomData(2 * MiB)
    const path = await writeTestFile(work.dir, 'broken.bin', data)
    const broken: Store = {
      get: () => Promise.reject(new Error('disk gone')),
      put: () => Promise.reject(new Error('disk gone')),
      delete: () => Promise.reject(new Error('disk gone')),
      list: () => Promise.reject(new Error('disk gone')),
    }
    for (const store of [broken, 'indexeddb' as const]) {
      const upload = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
      const warnings = warningsOf(upload)
      await expectStored((await upload.start()).url, data)
      // Neither store can lock, and Node 20 has no Web Locks.
      expect(warnings.map((warning) => warning.code)).toEqual(['lock-unavailable', 'store-unavailable'])
    }
  })

  it('ignores a stored URL that carries a user name and password, with a warning', async () => {
    const store = memoryStore()
    const data = randomData(2 * MiB)
    const { path, record } = await storedUpload(store, data, 'userinfo.bin')
    const withUserinfo = new URL(record.url)
    withUserinfo.username = 'user'
    withUserinfo.password = 'pass'
    await store.put({ ...record, url: withUserinfo.href })
    const upload = new Upload(path, { endpoint: server.endpoint, store, chunkSize: MiB })
    const warnings = warningsOf(upload)
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect(vias).not.toContain('stored')
    expect(url).not.toBe(record.url)
    expect(warnings).toMatchObject([{ code: 'record-ignored', message: expect.stringContaining('user name or password') }])
    expect(warnings[0]?.message).not.toContain(record.url)
    await expectStored(url, data)
  })

  it('warns lock-unavailable for a store without a lock where there are no Web Locks (Node)', async () => {
    const data = randomData(MiB)
    const path = await writeTestFile(work.dir, 'lockless.bin', data)
    const { lock: _lock, ...lockless } = memoryStore()
    const upload = new Upload(path, { endpoint: server.endpoint, store: lockless })
    const warnings = warningsOf(upload)
    await expectStored((await upload.start()).url, data)
    expect(warnings.map((warning) => warning.code)).toEqual(['lock-unavailable'])
  })
})

describe.runIf(process.platform !== 'win32')('the store directory belongs to the user alone', () => {
  async function uploadWith(storeDirectory: string | undefined, name: string): Promise<UploadWarning[]> {
    const data = randomData(2 * MiB)
    const path = await writeTestFile(work.dir, name, data)
    const where = storeDirectory === undefined ? {} : { storeDirectory }
    const upload = new Upload(path, { endpoint: server.endpoint, ...where, chunkSize: MiB, removeOnSuccess: false })
    const warnings = warningsOf(upload)
    await expectStored((await upload.start()).url, data)
    return warnings
  }

  it('a directory writable by others: warns store-unavailable, uploads from memory, writes nothing there', async () => {
    const shared = join(work.dir, 'shared-state')
    await mkdir(shared)
    await chmod(shared, 0o1777)
    const warnings = await uploadWith(shared, 'shared.bin')
    expect(warnings.map((warning) => warning.code)).toEqual(['store-unavailable'])
    expect(String((warnings[0]?.cause as Error).message)).toContain('writable by other users')
    expect(await readdir(shared)).toEqual([])
  })

  it('a directory owned by another user (a planted one): warns store-unavailable and never reads its records', async () => {
    const planted = join(work.dir, 'planted-state')
    const data = randomData(2 * MiB)
    const path = await writeTestFile(work.dir, 'planted.bin', data)
    // Another user's record for this very file, pointing at their upload.
    const first = new Upload(path, { endpoint: server.endpoint, storeDirectory: planted, chunkSize: MiB })
    first.on('chunk', () => void first.abort())
    await expect(first.start()).rejects.toMatchObject({ code: 'aborted' })
    const [record] = await fileStore(planted).list()
    expect(record).toBeDefined()
    await chown(planted, 65534, 65534)
    const upload = new Upload(path, { endpoint: server.endpoint, storeDirectory: planted, chunkSize: MiB })
    const warnings = warningsOf(upload)
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect(vias).not.toContain('stored')
    expect(url).not.toBe(record?.url)
    expect(warnings.map((warning) => warning.code)).toEqual(['store-unavailable'])
    await expectStored(url, data)
  })

  it.runIf(process.platform === 'linux')('the default directory is $XDG_STATE_HOME/resumable-upload, mode 0700, not a shared temp directory', async () => {
    const stateHome = join(work.dir, 'xdg-state')
    const saved = process.env.XDG_STATE_HOME
    process.env.XDG_STATE_HOME = stateHome
    try {
      const warnings = await uploadWith(undefined, 'default-dir.bin')
      expect(warnings).toEqual([])
      const directory = join(stateHome, 'resumable-upload')
      expect((await stat(directory)).mode & 0o777).toBe(0o700)
      expect(await fileStore(directory).list()).toHaveLength(1)
    } finally {
      if (saved === undefined) delete process.env.XDG_STATE_HOME
      else process.env.XDG_STATE_HOME = saved
    }
  })
})
