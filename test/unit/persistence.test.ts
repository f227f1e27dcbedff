/**
 * UploadPersistence: record writes load on the first write (persistence-later.ts), after the first
 * byte; calls made before that keep their order, offsets are written at most once a second, the
 * final write is never skipped, and a writes module that cannot load is a warning, not a failure.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bytesSource } from '../../src/sources/bytes'
import { memoryStore } from '../../src/stores/memory'
import type { PersistenceSettings, UploadWarning } from '../../src/persistence'
import type { Protocol, Store, UploadRecord } from '../../src/types'

const ENDPOINT = 'https://uploads.example/files'
const URL_1 = 'https://uploads.example/files/1'
const protocol = { name: 'ietf', version: '8' } as Protocol
const source = bytesSource(new Uint8Array(1000))

/** A memory store that logs what is written to it. */
function loggedStore(): { store: Store; log: string[] } {
  const inner = memoryStore()
  const log: string[] = []
  const store: Store = {
    ...inner,
    put: async (record: UploadRecord) => {
      log.push(`put ${record.offset}${record.complete ? ' complete' : ''}`)
      return inner.put(record)
    },
    delete: async (key: string) => {
      log.push('delete')
      return inner.delete(key)
    },
  }
  return { store, log }
}

function settings(store: Store, changes: Partial<PersistenceSettings> = {}): PersistenceSettings {
  return {
    ...{ store, endpoint: ENDPOINT, fingerprint: () => 'key-1', sampleContent: false },
    ...{ removeOnSuccess: true, persistBlob: false, lock: 'fail', metadata: {} },
    ...changes,
  }
}

async function opened(store: Store, changes: Partial<PersistenceSettings> = {}) {
  const { UploadPersistence } = await import('../../src/persistence')
  const warnings: UploadWarning[] = []
  const persistence = new UploadPersistence(settings(store, changes), (warning) => warnings.push(warning))
  expect(await persistence.open(source, source, protocol, () => true, new AbortController().signal)).toBeUndefined()
  return { persistence, warnings }
}

afterEach(() => {
  vi.useRealTimers()
  vi.doUnmock('../../src/persistence-later')
  vi.resetModules()
})

describe('UploadPersistence', () => {
  it('runs calls made before the writes module arrived in their order: the URL, then the removal', async () => {
    const { store, log } = loggedStore()
    const { persistence, warnings } = await opened(store)
    persistence.saveUrl(URL_1, protocol, 1000, {})
    persistence.saveOffset(100, 1000, {})
    const removed = persistence.remove()
    await removed
    await persistence.close()
    expect(log).toEqual(['put 0', 'delete'])
    expect(await store.list()).toEqual([])
    expect(warnings).toEqual([])
  })

  it('writes offsets at most once a second, and the state of the last one it skipped with the next write', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 })
    const { store, log } = loggedStore()
    const { persistence } = await opened(store, { removeOnSuccess: false })
    persistence.saveUrl(URL_1, protocol, 1000, {})
    // Once the writes module is there, each call writes (or not) at once.
    await vi.dynamicImportSettled()
    vi.advanceTimersByTime(500)
    persistence.saveOffset(100, 1000, {})
    vi.advanceTimersByTime(500)
    persistence.saveOffset(200, 1000, {})
    vi.advanceTimersByTime(100)
    persistence.saveOffset(300, 1000, {})
    await persistence.complete(1000)
    await persistence.close()
    expect(log).toEqual(['put 0', 'put 200'])
    expect(await store.get('key-1')).toMatchObject({ url: URL_1, offset: 200, size: 1000 })
  })

  it('marks the record complete, never removes it, when another Upload waits for the lock', async () => {
    const { store, log } = loggedStore()
    const { persistence } = await opened(store)
    persistence.saveUrl(URL_1, protocol, 1000, {})
    const waiter = store.lock?.('key-1', 'wait', new AbortController().signal)
    await persistence.complete(1000)
    await persistence.close()
    const lock = await waiter
    expect(log).toEqual(['put 0', 'put 1000 complete'])
    expect(await store.get('key-1')).toMatchObject({ url: URL_1, offset: 1000, complete: true })
    await lock?.release()
  })

  it('with a Web Lock (a store without its own lock): marks the record complete when query() shows a waiter, else removes it', async () => {
    for (const waiting of [true, false]) {
      const pending = waiting ? [{ name: 'resumable-upload:key-1', mode: 'exclusive' }] : []
      const released: string[] = []
      const locks = {
        request: async (name: string, _options: LockOptions, granted: (lock: Lock | null) => Promise<void>) => {
          await granted({ name, mode: 'exclusive' } as Lock)
          released.push(name)
        },
        query: async () => ({ held: [], pending }),
      }
      vi.stubGlobal('navigator', { locks })
      const { store, log } = loggedStore()
      const { lock: _lock, ...withoutLock } = store
      const { persistence, warnings } = await opened(withoutLock)
      persistence.saveUrl(URL_1, protocol, 1000, {})
      await persistence.complete(1000)
      await persistence.close()
      vi.unstubAllGlobals()
      expect(warnings).toEqual([])
      expect(released).toEqual(['resumable-upload:key-1'])
      expect(log).toEqual(waiting ? ['put 0', 'put 1000 complete'] : ['put 0', 'delete'])
    }
  })

  it('a writes module that cannot load: one store-unavailable warning, nothing written, the lock released', async () => {
    vi.doMock('../../src/persistence-later', () => {
      throw new Error('the chunk did not arrive')
    })
    const { store, log } = loggedStore()
    const { persistence, warnings } = await opened(store)
    persistence.saveUrl(URL_1, protocol, 1000, {})
    persistence.saveOffset(100, 1000, {})
    await persistence.complete(1000)
    await persistence.close()
    expect(log).toEqual([])
    expect(warnings).toEqual([expect.objectContaining({ code: 'store-unavailable', message: expect.stringContaining('could not be loaded') })])
    const lock = await store.lock?.('key-1', 'fail', new AbortController().signal)
    expect(lock).toBeDefined()
    await lock?.release()
  })

  it('a parts upload: url, state and offset in one write, every call written (the runner throttles; its last write when it stops is kept)', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_000 })
    const { store, log } = loggedStore()
    const { persistence } = await opened(store, { removeOnSuccess: false })
    const s3 = { name: 's3', version: '1' } as Protocol
    const PARTS_URL = 'https://multipart.invalid/u-1'
    persistence.saveUrl(PARTS_URL, s3, 1000, {}, { state: '{"parts":[]}', offset: 0 })
    await vi.dynamicImportSettled()
    vi.advanceTimersByTime(400)
    persistence.saveUrl(PARTS_URL, s3, 1000, {}, { state: '{"parts":[1]}', offset: 300 })
    vi.advanceTimersByTime(700)
    persistence.saveUrl(PARTS_URL, s3, 1000, {}, { state: '{"parts":[1,2]}', offset: 600 })
    vi.advanceTimersByTime(100)
    persistence.saveUrl(PARTS_URL, s3, 1000, {}, { state: '{"parts":[1,2,3]}', offset: 900 })
    await persistence.close()
    expect(log).toEqual(['put 0', 'put 300', 'put 600', 'put 900'])
    expect(await store.get('key-1')).toEqual({
      ...{ key: 'key-1', url: PARTS_URL, protocol: 's3', protocolVersion: '1', endpoint: ENDPOINT, size: 1000, offset: 900 },
      ...{ createdAt: 1_700_000_000_000, updatedAt: 1_700_000_001_200, metadata: {}, state: '{"parts":[1,2,3]}' },
    })
  })

  it('a parts upload that resumes a stored record writes its first state at once', async () => {
    const { store, log } = loggedStore()
    const s3 = { name: 's3', version: '1' } as Protocol
    const PARTS_URL = 'https://multipart.invalid/u-1'
    const stored = { key: 'key-1', url: PARTS_URL, protocol: 's3', protocolVersion: '1', endpoint: ENDPOINT, size: 1000, offset: 300 }
    await store.put({ ...stored, createdAt: 1, updatedAt: 1, metadata: {}, state: '{"parts":[1]}' })
    const { UploadPersistence } = await import('../../src/persistence')
    const persistence = new UploadPersistence(settings(store), () => undefined)
    expect(await persistence.open(source, source, s3, () => true, new AbortController().signal)).toMatchObject({ state: '{"parts":[1]}', offset: 300 })
    persistence.saveUrl(PARTS_URL, s3, 1000, {}, { state: '{"parts":[1,2]}', offset: 600 })
    await persistence.close()
    expect(log).toEqual(['put 300', 'put 600'])
    expect(await store.get('key-1')).toMatchObject({ ...stored, offset: 600, createdAt: 1, state: '{"parts":[1,2]}' })
  })

  it('opening for a new file (nothing stored) loads nothing more: the checks of a stored record load only with one', async () => {
    const loaded: string[] = []
    vi.doMock('../../src/persistence-later', async (importOriginal) => {
      loaded.push('persistence-later')
      return importOriginal()
    })
    const { store } = loggedStore()
    const { persistence, warnings } = await opened(store)
    await persistence.close()
    expect(loaded).toEqual([])
    expect(warnings).toEqual([])
    // A stored record of this key: loaded, checked (parsed, compared) and resumed.
    await store.put({
      key: 'key-1',
      url: URL_1,
      protocol: 'ietf',
      protocolVersion: '8',
      endpoint: ENDPOINT,
      size: 1000,
      offset: 10,
      createdAt: 1,
      updatedAt: 1,
      metadata: {},
    })
    const { UploadPersistence } = await import('../../src/persistence')
    const resumed = new UploadPersistence(settings(store), (warning) => warnings.push(warning))
    expect(await resumed.open(source, source, protocol, () => true, new AbortController().signal)).toMatchObject({ url: URL_1, offset: 10 })
    await resumed.close()
    expect(loaded).toEqual(['persistence-later'])
    expect(warnings).toEqual([])
  })

  it('reading: a stored record this upload may not resume is warned about, in words, and removed', async () => {
    const { UploadPersistence } = await import('../../src/persistence')
    const base = {
      key: 'key-1',
      url: URL_1,
      protocol: 'ietf',
      protocolVersion: '8',
      endpoint: ENDPOINT,
      size: 1000,
      offset: 10,
      createdAt: 1,
      updatedAt: 1,
      metadata: {},
    }
    const cases: Array<[Partial<UploadRecord>, string, ((url: string) => boolean)?]> = [
      [{}, 'its URL is on an origin that is not allowed', () => false],
      [{ url: 'https://user:pass@uploads.example/files/1' }, 'its URL carries a user name or password'],
      [{ endpoint: 'https://other.example/files' }, 'other endpoint'],
      [{ protocolVersion: '7' }, 'other protocol'],
      [{ protocol: 'tus' }, 'other protocol'],
      [{ size: 999, offset: 0 }, 'other size'],
    ]
    for (const [changes, words, trusted = () => true] of cases) {
      const { store, log } = loggedStore()
      await store.put({ ...base, ...changes })
      const warnings: UploadWarning[] = []
      const persistence = new UploadPersistence(settings(store), (warning) => warnings.push(warning))
      expect(await persistence.open(source, source, protocol, trusted, new AbortController().signal)).toBeUndefined()
      await persistence.close()
      expect(warnings).toEqual([{ code: 'record-ignored', message: `a stored upload was not resumed: ${words}` }])
      expect(log.slice(1)).toEqual(['delete'])
    }
  })

  it('loads no writes module and writes nothing for a source without a key', async () => {
    const { store, log } = loggedStore()
    const { persistence } = await opened(store, { fingerprint: () => undefined })
    persistence.saveUrl(URL_1, protocol, 1000, {})
    await persistence.complete(1000)
    await persistence.close()
    expect(log).toEqual([])
  })

  it('reading: a value that is not a record, or a corrupt entry, is warned about and removed; nothing is resumed', async () => {
    // The modules as persistence sees them (vi.resetModules gives each test fresh ones).
    const { UploadPersistence } = await import('../../src/persistence')
    const { StoreError } = await import('../../src/stores/errors')
    for (const stored of ['garbage' as unknown, new StoreError('corrupt', 'An IndexedDB entry is not a valid upload record.')]) {
      const { store, log } = loggedStore()
      const broken: Store = { ...store, get: async () => (stored instanceof StoreError ? Promise.reject(stored) : (stored as UploadRecord)) }
      const warnings: UploadWarning[] = []
      const persistence = new UploadPersistence(settings(broken), (warning) => warnings.push(warning))
      expect(await persistence.open(source, source, protocol, () => true, new AbortController().signal)).toBeUndefined()
      await persistence.close()
      expect(warnings).toMatchObject([{ code: 'record-ignored', message: 'a stored upload record was corrupt and is ignored' }])
      expect(log).toEqual(['delete'])
    }
  })

  it('reading: a failing store and a failing fingerprint are warnings, and the upload goes on', async () => {
    const { UploadPersistence } = await import('../../src/persistence')
    const { StoreError } = await import('../../src/stores/errors')
    const { store } = loggedStore()
    const failing: Store = { ...store, get: () => Promise.reject(new StoreError('failed', 'An IndexedDB operation failed (UnknownError).')) }
    const warnings: UploadWarning[] = []
    const persistence = new UploadPersistence(settings(failing), (warning) => warnings.push(warning))
    expect(await persistence.open(source, source, protocol, () => true, new AbortController().signal)).toBeUndefined()
    await persistence.close()
    const unfingerprinted = new UploadPersistence(
      settings(store, {
        fingerprint: () => {
          throw new Error('no key')
        },
      }),
      (warning) => warnings.push(warning),
    )
    expect(await unfingerprinted.open(source, source, protocol, () => true, new AbortController().signal)).toBeUndefined()
    expect(warnings.map((warning) => warning.code)).toEqual(['store-unavailable', 'record-ignored'])
    expect(warnings[1]?.message).toContain('could not be fingerprinted')
  })

  it('reading: an expired record is warned about as record-expired and removed', async () => {
    const { UploadPersistence } = await import('../../src/persistence')
    const { store, log } = loggedStore()
    await store.put({
      key: 'key-1',
      url: URL_1,
      protocol: 'ietf',
      protocolVersion: '8',
      endpoint: ENDPOINT,
      size: 1000,
      offset: 10,
      createdAt: 1,
      updatedAt: 1,
      expiresAt: 2,
      metadata: {},
    })
    const warnings: UploadWarning[] = []
    const persistence = new UploadPersistence(settings(store), (warning) => warnings.push(warning))
    expect(await persistence.open(source, source, protocol, () => true, new AbortController().signal)).toBeUndefined()
    await persistence.close()
    expect(warnings).toMatchObject([{ code: 'record-expired', message: 'a stored upload was not resumed: expired' }])
    expect(log).toEqual(['put 10', 'delete'])
    expect(await store.list()).toEqual([])
  })
})
