import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { StoreError } from '../../src/stores/errors'
import { fileStore } from '../../src/stores/file'
import { indexedDbStore } from '../../src/stores/indexeddb'
import { lazyMemoryStore } from '../../src/stores/lazy-memory'
import { memoryStore } from '../../src/stores/memory'
import type { Store, UploadRecord } from '../../src/types'

function record(key: string, changes: Partial<UploadRecord> = {}): UploadRecord {
  return {
    key,
    url: `https://uploads.example/files/${encodeURIComponent(key)}`,
    protocol: 'ietf',
    protocolVersion: '8',
    endpoint: 'https://uploads.example/files',
    size: 1000,
    offset: 100,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_500,
    metadata: { filename: 'a.bin' },
    ...changes,
  }
}

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(StoreError)
  return error as StoreError
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')
const byKey = (a: UploadRecord, b: UploadRecord): number => a.key.localeCompare(b.key)

let directory: string
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'ru-stores-'))
})
afterEach(async () => {
  await rm(directory, { recursive: true, force: true })
})

const stores: Array<[string, () => Store]> = [
  ['memory', () => memoryStore()],
  ['memory, loaded on first use (lazyMemoryStore)', () => lazyMemoryStore(false)],
  ['file', () => fileStore(join(directory, 'records'))],
  ['indexeddb (fake-indexeddb)', () => indexedDbStore({ indexedDB: new IDBFactory() })],
]

describe.each(stores)('the %s store', (_name, makeStore) => {
  it('gets undefined for an absent key; put, get, replace, delete, list', async () => {
    const store = makeStore()
    expect(await store.get('ru1:none')).toBeUndefined()
    expect(await store.list()).toEqual([])
    await store.put(record('ru1:a'))
    await store.put(record('ru1:b', { size: undefined, expiresAt: 1_800_000_000_000 }))
    expect(await store.get('ru1:a')).toEqual(record('ru1:a'))
    await store.put(record('ru1:a', { offset: 900, updatedAt: 1_700_000_009_000 }))
    expect(await store.get('ru1:a')).toMatchObject({ offset: 900, updatedAt: 1_700_000_009_000 })
    expect((await store.list()).sort(byKey)).toEqual([
      record('ru1:a', { offset: 900, updatedAt: 1_700_000_009_000 }),
      record('ru1:b', { size: undefined, expiresAt: 1_800_000_000_000 }),
    ])
    await store.delete('ru1:a')
    await store.delete('ru1:a')
    await store.delete('ru1:never')
    expect(await store.get('ru1:a')).toBeUndefined()
    expect((await store.list()).map((r) => r.key)).toEqual(['ru1:b'])
  })

  it('hands out copies: changing a record after put or after get does not change the store', async () => {
    const store = makeStore()
    const original = record('ru1:a')
    await store.put(original)
    original.offset = 999
    original.metadata.filename = 'changed'
    const read = await store.get('ru1:a')
    expect(read).toEqual(record('ru1:a'))
    if (read === undefined) throw new Error('missing')
    read.metadata.filename = 'changed again'
    read.offset = 5
    ;(await store.list())[0]!.metadata.extra = 'x'
    expect(await store.get('ru1:a')).toEqual(record('ru1:a'))
  })

  it('rejects an invalid record with a corrupt StoreError and drops unknown fields', async () => {
    const store = makeStore()
    expect((await storeError(store.put(record('ru1:a', { offset: 2000 })))).code).toBe('corrupt')
    expect((await storeError(store.put(record('ru1:a', { url: '/relative' })))).code).toBe('corrupt')
    await store.put({ ...record('ru1:a'), headers: { authorization: 'Bearer secret' } } as UploadRecord)
    expect(await store.get('ru1:a')).toEqual(record('ru1:a'))
    expect(JSON.stringify(await store.list())).not.toContain('secret')
  })

  it("round-trips a parts protocol's state text, in get and list, and replaces it on put", async () => {
    const store = makeStore()
    const state = JSON.stringify({ uploadId: 'u-1', key: 'a/ü "b"', parts: [[1, '"etag"']] })
    await store.put(record('ru1:parts', { url: 'https://multipart.invalid/u-1', offset: 600, state }))
    expect(await store.get('ru1:parts')).toEqual(record('ru1:parts', { url: 'https://multipart.invalid/u-1', offset: 600, state }))
    expect((await store.list())[0]?.state).toBe(state)
    await store.put(record('ru1:parts', { state: '{}' }))
    expect((await store.get('ru1:parts'))?.state).toBe('{}')
    await store.put(record('ru1:parts'))
    expect(await store.get('ru1:parts')).not.toHaveProperty('state')
  })

  it('takes keys of any characters', async () => {
    const store = makeStore()
    const keys = ['../../etc/passwd', 'a/b\\c:d', 'ünïcode 🗂', ' ', 'x'.repeat(2000)]
    for (const key of keys) await store.put(record(key))
    for (const key of keys) expect((await store.get(key))?.key).toBe(key)
    expect((await store.list()).map((r) => r.key).sort()).toEqual([...keys].sort())
  })
})

describe('memoryStore', () => {
  it('keeps the blob (the same Blob: Blobs are immutable)', async () => {
    const store = memoryStore()
    const blob = new Blob(['file bytes'], { type: 'text/plain' })
    await store.put(record('ru1:a', { blob }))
    expect((await store.get('ru1:a'))?.blob).toBe(blob)
    expect((await store.list())[0]?.blob).toBe(blob)
  })

  it('two stores do not share records', async () => {
    await memoryStore().put(record('ru1:a'))
    expect(await memoryStore().get('ru1:a')).toBeUndefined()
  })

  it("loaded on first use: 'memory' is one store per page, with its lock; a fallback store is a fresh one", async () => {
    const shared = lazyMemoryStore(true)
    expect(lazyMemoryStore(true)).toBe(shared)
    await shared.put(record('ru1:shared'))
    expect(await lazyMemoryStore(true).get('ru1:shared')).toEqual(record('ru1:shared'))
    expect(await lazyMemoryStore(false).get('ru1:shared')).toBeUndefined()
    const signal = new AbortController().signal
    const lock = await shared.lock?.('ru1:shared', 'fail', signal)
    expect((await shared.lock?.('ru1:shared', 'fail', signal).catch((error: unknown) => error)) as { code?: string }).toMatchObject({ code: 'locked' })
    await lock?.release()
  })
})

describe('fileStore', () => {
  it('creates the directory on the first put and names files by the SHA-256 of the key, never the key', async () => {
    const root = join(directory, 'nested', 'records')
    const store = fileStore(root)
    expect(await store.list()).toEqual([])
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' })
    await store.put(record('secret-key'))
    expect(await readdir(root)).toEqual([`${sha256('secret-key')}.json`])
    const file = join(root, `${sha256('secret-key')}.json`)
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(record('secret-key'))
    if (process.platform !== 'win32') {
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await stat(root)).mode & 0o777).toBe(0o700)
    }
  })

  it('a new store on the same directory (a restart) sees the records', async () => {
    await fileStore(directory).put(record('ru1:a'))
    await fileStore(directory).put(record('ru1:b'))
    const restarted = fileStore(directory)
    expect(await restarted.get('ru1:a')).toEqual(record('ru1:a'))
    expect((await restarted.list()).sort(byKey)).toEqual([record('ru1:a'), record('ru1:b')])
  })

  it('never stores the blob', async () => {
    const store = fileStore(directory)
    await store.put(record('ru1:a', { blob: new Blob(['bytes']) }))
    const read = await store.get('ru1:a')
    expect(read).toEqual(record('ru1:a'))
    expect(read).not.toHaveProperty('blob')
  })

  it('writes atomically: concurrent puts leave one whole record and no temp files', async () => {
    const store = fileStore(directory)
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(record('ru1:a', { offset: i, metadata: { filler: 'x'.repeat(i * 1000) } }))))
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put(record(`ru1:${i}`))))
    expect((await readdir(directory)).filter((name) => !/^[0-9a-f]{64}\.json$/.test(name))).toEqual([])
    const read = await store.get('ru1:a')
    expect(read?.metadata.filler).toBe('x'.repeat((read?.offset ?? -1) * 1000))
    expect(await store.list()).toHaveLength(11)
  })

  it('a failed write leaves the old state and no temp file behind', async () => {
    const store = fileStore(directory)
    // A directory where the record file goes: the final rename fails.
    await mkdir(join(directory, `${sha256('ru1:a')}.json`))
    const error = await storeError(store.put(record('ru1:a')))
    expect(error.code).toBe('failed')
    expect(await readdir(directory)).toEqual([`${sha256('ru1:a')}.json`])
  })

  it('get of a corrupt file rejects with a corrupt StoreError; list skips it and reports it', async () => {
    const onCorrupt = vi.fn()
    const store = fileStore(directory, { onCorrupt })
    await store.put(record('ru1:good'))
    const write = (key: string, text: string): Promise<void> => writeFile(join(directory, `${sha256(key)}.json`), text)
    await write('ru1:truncated', JSON.stringify(record('ru1:truncated')).slice(0, 40))
    await write('ru1:foreign', JSON.stringify({ hello: 'world' }))
    await write('ru1:bad-offset', JSON.stringify(record('ru1:bad-offset', { offset: -3 })))
    await write('ru1:empty', '')
    for (const key of ['ru1:truncated', 'ru1:foreign', 'ru1:bad-offset', 'ru1:empty']) {
      expect((await storeError(store.get(key))).code).toBe('corrupt')
    }
    expect(await store.list()).toEqual([record('ru1:good')])
    expect(onCorrupt).toHaveBeenCalledTimes(4)
    for (const [path, error] of onCorrupt.mock.calls) {
      expect(path).toMatch(/[0-9a-f]{64}\.json$/)
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe('corrupt')
    }
  })

  it('a record file renamed to another key is corrupt, not a record for that key', async () => {
    const onCorrupt = vi.fn()
    const store = fileStore(directory, { onCorrupt })
    await store.put(record('ru1:a'))
    await rename(join(directory, `${sha256('ru1:a')}.json`), join(directory, `${sha256('ru1:b')}.json`))
    expect((await storeError(store.get('ru1:b'))).code).toBe('corrupt')
    expect(await store.list()).toEqual([])
    expect(onCorrupt).toHaveBeenCalledOnce()
  })

  it('list ignores files that are not .json (temp files, notes) and reports other .json files', async () => {
    const onCorrupt = vi.fn()
    const store = fileStore(directory, { onCorrupt })
    await store.put(record('ru1:a'))
    await writeFile(join(directory, `.${sha256('ru1:x')}.json.123.tmp`), '{"half')
    await writeFile(join(directory, 'README.txt'), 'notes')
    await writeFile(join(directory, 'settings.json'), '{}')
    expect(await store.list()).toEqual([record('ru1:a')])
    expect(onCorrupt.mock.calls.map(([path]) => path)).toEqual([join(directory, 'settings.json')])
  })

  it('a directory path that names a file is unavailable', async () => {
    await writeFile(join(directory, 'plain-file'), 'x')
    const store = fileStore(join(directory, 'plain-file', 'records'))
    expect((await storeError(store.put(record('ru1:a')))).code).toBe('unavailable')
    expect((await storeError(store.list())).code).toBe('unavailable')
    expect((await storeError(store.get('ru1:a'))).code).toBe('unavailable')
  })
})

/** The raw database the IndexedDB store uses, for writing foreign entries into it. */
function openRaw(factory: IDBFactory, name: string, version: number, upgrade: (db: IDBDatabase) => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version)
    request.onupgradeneeded = () => upgrade(request.result)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
    request.onblocked = () => reject(new Error('blocked'))
  })
}

function rawPut(db: IDBDatabase, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const transaction = db.transaction('records', 'readwrite')
    transaction.objectStore('records').put(value)
    transaction.oncomplete = () => resolve()
    transaction.onabort = () => reject(transaction.error)
  })
}

/** A factory whose open request fires `event` (after a tick) or whose open throws. */
function brokenFactory(behaviour: 'throws' | 'error' | 'blocked'): IDBFactory & { opens: number } {
  const factory = {
    opens: 0,
    open(): IDBOpenDBRequest {
      factory.opens++
      if (behaviour === 'throws') throw new DOMException('The operation is insecure.', 'SecurityError')
      const request = { error: null as DOMException | null } as { error: DOMException | null; onerror?: () => void; onblocked?: () => void }
      setTimeout(() => {
        request.error = new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError')
        if (behaviour === 'error') request.onerror?.()
        else request.onblocked?.()
      })
      return request as unknown as IDBOpenDBRequest
    },
  }
  return factory as unknown as IDBFactory & { opens: number }
}

/**
 * A factory over a fake database whose readwrite transactions abort with QuotaExceededError when
 * the value holds a blob, as a full disk does in browsers (the abort comes at commit).
 */
function quotaFactory(): IDBFactory {
  const transaction = (): unknown => {
    const tx: { error: DOMException | null; onabort?: () => void; oncomplete?: () => void; objectStore: () => unknown } = {
      error: null,
      objectStore: () => ({
        put(value: { blob?: Blob }) {
          setTimeout(() => {
            if (value.blob === undefined) return tx.oncomplete?.()
            tx.error = new DOMException('The quota has been exceeded.', 'QuotaExceededError')
            tx.onabort?.()
          })
          return {}
        },
      }),
    }
    return tx
  }
  const database = { objectStoreNames: { contains: () => true }, transaction, close: () => undefined }
  return {
    open() {
      const request: { result: unknown; onsuccess?: () => void } = { result: database }
      setTimeout(() => request.onsuccess?.())
      return request
    },
  } as unknown as IDBFactory
}

describe('indexedDbStore', () => {
  it('a put that exceeds the quota rejects with code quota; the same record without the blob goes in', async () => {
    const store = indexedDbStore({ indexedDB: quotaFactory() })
    const error = await storeError(store.put(record('ru1:a', { blob: new Blob(['big']) })))
    expect(error.code).toBe('quota')
    expect(error.cause).toBeInstanceOf(DOMException)
    await expect(store.put(record('ru1:a'))).resolves.toBeUndefined()
  })

  it('keeps the blob, bytes and type intact', async () => {
    const store = indexedDbStore({ indexedDB: new IDBFactory() })
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 251)
    await store.put(record('ru1:a', { blob: new Blob([bytes], { type: 'video/mp4' }) }))
    const read = await store.get('ru1:a')
    expect(read?.blob).toBeInstanceOf(Blob)
    expect(read?.blob?.type).toBe('video/mp4')
    expect(new Uint8Array(await read!.blob!.arrayBuffer())).toEqual(bytes)
  })

  it('is lazy: nothing touches indexedDB until the first operation', async () => {
    const factory = brokenFactory('throws')
    const store = indexedDbStore({ indexedDB: factory })
    expect(factory.opens).toBe(0)
    await storeError(store.list())
    expect(factory.opens).toBe(1)
  })

  it('no indexedDB at all (Node, some sandboxes) -> unavailable, for every operation', async () => {
    expect(globalThis.indexedDB).toBeUndefined()
    const store = indexedDbStore()
    for (const operation of [store.get('k'), store.put(record('k')), store.delete('k'), store.list()]) {
      expect((await storeError(operation)).code).toBe('unavailable')
    }
  })

  it.each(['throws', 'error', 'blocked'] as const)('an open that %s -> unavailable, and the next operation tries again', async (behaviour) => {
    const factory = brokenFactory(behaviour)
    const store = indexedDbStore({ indexedDB: factory })
    const error = await storeError(store.get('ru1:a'))
    expect(error.code).toBe('unavailable')
    expect((await storeError(store.put(record('ru1:a')))).code).toBe('unavailable')
    expect(factory.opens).toBe(2)
  })

  it('a foreign entry: get rejects corrupt, list skips it and reports its key', async () => {
    const factory = new IDBFactory()
    const onCorrupt = vi.fn()
    const store = indexedDbStore({ indexedDB: factory, databaseName: 'shared', onCorrupt })
    await store.put(record('ru1:good'))
    const raw = await openRaw(factory, 'shared', 1, () => undefined)
    await rawPut(raw, { key: 'ru1:foreign', url: 42 })
    await rawPut(raw, { ...record('ru1:bad'), metadata: { n: 1 } })
    raw.close()
    expect((await storeError(store.get('ru1:foreign'))).code).toBe('corrupt')
    expect(await store.list()).toEqual([record('ru1:good')])
    expect(onCorrupt.mock.calls.map(([key, error]) => [key, (error as StoreError).code])).toEqual([
      ['ru1:bad', 'corrupt'],
      ['ru1:foreign', 'corrupt'],
    ])
  })

  it('a database of the same name without our object store -> unavailable', async () => {
    const factory = new IDBFactory()
    ;(await openRaw(factory, 'resumable-upload', 1, (db) => db.createObjectStore('other'))).close()
    expect((await storeError(indexedDbStore({ indexedDB: factory }).get('k'))).code).toBe('unavailable')
  })

  it('closes on versionchange so another tab is not blocked; reopens after a deletion', async () => {
    const factory = new IDBFactory()
    const store = indexedDbStore({ indexedDB: factory })
    await store.put(record('ru1:a'))
    const deletion = factory.deleteDatabase('resumable-upload')
    const outcome = await new Promise((resolve) => {
      deletion.onsuccess = () => resolve('deleted')
      deletion.onerror = () => resolve('error')
      deletion.onblocked = () => resolve('blocked')
    })
    expect(outcome).toBe('deleted')
    expect(await store.get('ru1:a')).toBeUndefined()
    await store.put(record('ru1:b'))
    expect((await store.list()).map((r) => r.key)).toEqual(['ru1:b'])
  })

  it('an upgrade by newer code elsewhere is not blocked; this store then reports unavailable', async () => {
    const factory = new IDBFactory()
    const store = indexedDbStore({ indexedDB: factory })
    await store.put(record('ru1:a'))
    const newer = await openRaw(factory, 'resumable-upload', 2, () => undefined)
    newer.close()
    expect((await storeError(store.get('ru1:a'))).code).toBe('unavailable')
  })

  it('reopens after the browser closes the connection', async () => {
    const factory = new IDBFactory()
    let connection: IDBDatabase | undefined
    const open = factory.open.bind(factory)
    factory.open = (name: string, version?: number) => {
      const request = open(name, version)
      request.addEventListener('success', () => (connection = request.result))
      return request
    }
    const store = indexedDbStore({ indexedDB: factory })
    await store.put(record('ru1:a'))
    forceCloseDatabase(connection as unknown as typeof IDBDatabase)
    expect(await store.get('ru1:a')).toEqual(record('ru1:a'))
  })
})

const posix = process.platform !== 'win32'

describe.runIf(posix)('fileStore: only a directory of the current user alone', () => {
  async function expectRefused(store: Store): Promise<void> {
    const operations = [() => store.get('ru1:a'), () => store.put(record('ru1:a')), () => store.list(), () => store.delete('ru1:a')]
    for (const operation of operations) expect((await storeError(operation())).code).toBe('unavailable')
    const signal = new AbortController().signal
    expect((await storeError(store.lock?.('ru1:a', 'fail', signal) ?? Promise.resolve())).code).toBe('unavailable')
  }

  it.each([
    ['777', 0o777],
    ['770', 0o770],
    ['702', 0o702],
    ['720', 0o720],
  ])('refuses a directory of mode %s (writable by group or others), writing nothing into it', async (_octal, mode) => {
    const root = join(directory, 'shared')
    await mkdir(root)
    await chmod(root, mode)
    await expectRefused(fileStore(root))
    expect(await readdir(root)).toEqual([])
  })

  it('refuses a directory owned by another user, even with mode 0700', async () => {
    const root = join(directory, 'foreign')
    await mkdir(root, { mode: 0o700 })
    await chown(root, 65534, 65534)
    await expectRefused(fileStore(root))
  })

  it('uses a directory of its own with mode 0700 or 0755, and creates a missing one with 0700', async () => {
    for (const mode of [0o700, 0o755]) {
      const root = join(directory, `own-${mode.toString(8)}`)
      await mkdir(root)
      await chmod(root, mode)
      await fileStore(root).put(record('ru1:a'))
      expect(await fileStore(root).get('ru1:a')).toEqual(record('ru1:a'))
    }
    const created = join(directory, 'a', 'b')
    await fileStore(created).put(record('ru1:a'))
    expect((await stat(created)).mode & 0o777).toBe(0o700)
  })
})

const lockingStores: Array<[string, () => Store]> = [
  ['memory', () => memoryStore()],
  ['memory, loaded on first use (lazyMemoryStore)', () => lazyMemoryStore(false)],
  ['file', () => fileStore(join(directory, 'records'), { lockTiming: { maxPoll: 20 } })],
]

describe.each(lockingStores)('the %s store lock', (_name, makeStore) => {
  const never = new AbortController().signal

  it('fail: a held key rejects with locked; another key is free; after release the key is free again', async () => {
    const store = makeStore()
    const lock = await store.lock?.('ru1:a', 'fail', never)
    expect(lock).toBeDefined()
    await expect(store.lock?.('ru1:a', 'fail', never)).rejects.toMatchObject({ name: 'UploadError', code: 'locked', retryable: false })
    const other = await store.lock?.('ru1:b', 'fail', never)
    await lock?.release()
    await lock?.release()
    const again = await store.lock?.('ru1:a', 'fail', never)
    await Promise.all([again?.release(), other?.release()])
  })

  it('wait: the second gets the lock once the first releases, and the first sees it wanted meanwhile', async () => {
    const store = makeStore()
    const first = await store.lock?.('ru1:a', 'wait', never)
    expect(await first?.wanted()).toBe(false)
    let granted = false
    const second = store.lock?.('ru1:a', 'wait', never).then((lock) => ((granted = true), lock))
    await vi.waitFor(async () => expect(await first?.wanted()).toBe(true))
    expect(granted).toBe(false)
    await first?.release()
    const lock = await second
    expect(granted).toBe(true)
    expect(await lock?.wanted()).toBe(false)
    await lock?.release()
  })

  it('wait: aborting the wait rejects with aborted and leaves the lock to its holder', async () => {
    const store = makeStore()
    const first = await store.lock?.('ru1:a', 'wait', never)
    const controller = new AbortController()
    const waiting = store.lock?.('ru1:a', 'wait', controller.signal)
    await vi.waitFor(async () => expect(await first?.wanted()).toBe(true))
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'aborted' })
    expect(await first?.wanted()).toBe(false)
    await expect(store.lock?.('ru1:a', 'fail', never)).rejects.toMatchObject({ code: 'locked' })
    await first?.release()
  })
})

describe.runIf(posix)('fileStore lock files', () => {
  const never = new AbortController().signal
  const lockPath = (root: string, key: string): string => join(root, `${sha256(key)}.lock`)

  async function deadPid(): Promise<number> {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    await new Promise((resolve) => child.once('exit', resolve))
    return child.pid as number
  }

  it('is a wx file next to the record holding pid, host and a nonce; release removes it', async () => {
    const root = join(directory, 'records')
    const lock = await fileStore(root).lock?.('ru1:a', 'fail', never)
    const owner = JSON.parse(await readFile(lockPath(root, 'ru1:a'), 'utf8')) as Record<string, unknown>
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() })
    expect(typeof owner.nonce).toBe('string')
    expect((await stat(lockPath(root, 'ru1:a'))).mode & 0o777).toBe(0o600)
    // A second store object on the same directory (another process, as far as the files go).
    await expect(fileStore(root).lock?.('ru1:a', 'fail', never)).rejects.toMatchObject({ code: 'locked' })
    await lock?.release()
    expect(await readdir(root)).toEqual([])
  })

  it('takes over a lock left by a dead process on this host', async () => {
    const root = join(directory, 'records')
    await mkdir(root, { mode: 0o700 })
    await writeFile(lockPath(root, 'ru1:a'), JSON.stringify({ pid: await deadPid(), host: hostname(), nonce: 'old' }))
    const lock = await fileStore(root).lock?.('ru1:a', 'fail', never)
    expect(JSON.parse(await readFile(lockPath(root, 'ru1:a'), 'utf8'))).toMatchObject({ pid: process.pid })
    await lock?.release()
  })

  it('takes over a lock whose heartbeat stopped (another host), but not a fresh one', async () => {
    const root = join(directory, 'records')
    await mkdir(root, { mode: 0o700 })
    const path = lockPath(root, 'ru1:a')
    await writeFile(path, JSON.stringify({ pid: 1, host: 'elsewhere.example', nonce: 'other' }))
    await expect(fileStore(root).lock?.('ru1:a', 'fail', never)).rejects.toMatchObject({ code: 'locked' })
    const old = new Date(Date.now() - 120_000)
    await utimes(path, old, old)
    const lock = await fileStore(root).lock?.('ru1:a', 'fail', never)
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid })
    await lock?.release()
  })

  it('the holder refreshes the mtime of its lock file (heartbeat)', async () => {
    const root = join(directory, 'records')
    const lock = await fileStore(root, { lockTiming: { heartbeat: 20 } }).lock?.('ru1:a', 'fail', never)
    const path = lockPath(root, 'ru1:a')
    const old = new Date(Date.now() - 120_000)
    await utimes(path, old, old)
    await vi.waitFor(async () => expect((await stat(path)).mtimeMs).toBeGreaterThan(Date.now() - 60_000))
    await lock?.release()
  })

  it('release never removes a lock that is no longer its own', async () => {
    const root = join(directory, 'records')
    const lock = await fileStore(root).lock?.('ru1:a', 'fail', never)
    const path = lockPath(root, 'ru1:a')
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce: 'someone-else' }))
    await lock?.release()
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ nonce: 'someone-else' })
  })
})
