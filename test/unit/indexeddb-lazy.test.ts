/**
 * The IndexedDB store reads before a default upload's first byte, and finds nothing for a new
 * file: checking a value found (parseRecord), like writing, loads with indexeddb-writes.ts.
 */
import { IDBFactory } from 'fake-indexeddb'
import { afterEach, expect, it, vi } from 'vitest'
import type { UploadRecord } from '../../src/types'

const record: UploadRecord = {
  ...{ key: 'ru1:a', url: 'https://uploads.example/files/1', protocol: 'ietf', protocolVersion: '8', endpoint: 'https://uploads.example/files' },
  ...{ size: 1000, offset: 100, createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_500, metadata: {} },
}

afterEach(() => {
  vi.doUnmock('../../src/stores/indexeddb-writes')
  vi.resetModules()
})

/** Writes `value` as another tab (or older code) would have. */
function rawPut(factory: IDBFactory, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const opening = factory.open('resumable-upload', 1)
    opening.onerror = () => reject(opening.error)
    opening.onsuccess = () => {
      const transaction = opening.result.transaction('records', 'readwrite')
      transaction.objectStore('records').put(value)
      transaction.oncomplete = () => {
        opening.result.close()
        resolve()
      }
      transaction.onerror = () => reject(transaction.error)
    }
  })
}

it('get of an absent key loads nothing more; a value found loads the checks and is a record', async () => {
  const loaded: string[] = []
  vi.doMock('../../src/stores/indexeddb-writes', async (importOriginal) => {
    loaded.push('indexeddb-writes')
    return importOriginal()
  })
  const { indexedDbStore } = await import('../../src/stores/indexeddb')
  const factory = new IDBFactory()
  const store = indexedDbStore({ indexedDB: factory })
  expect(await store.get('ru1:a')).toBeUndefined()
  expect(loaded).toEqual([])
  await rawPut(factory, record)
  expect(await store.get('ru1:a')).toEqual(record)
  expect(loaded).toEqual(['indexeddb-writes'])
  // Under another key, or not a record: corrupt.
  await rawPut(factory, { ...record, key: 'ru1:b', url: 'not a url' })
  await expect(store.get('ru1:b')).rejects.toMatchObject({ code: 'corrupt', message: 'An IndexedDB entry is not a valid upload record.' })
})

it('a value found while the checks cannot load: a failed store (persistence then goes on without it), and the next call loads again', async () => {
  let attempts = 0
  vi.doMock('../../src/stores/indexeddb-writes', async (importOriginal) => {
    if (++attempts === 1) throw new Error('the chunk did not arrive')
    return importOriginal()
  })
  const { indexedDbStore } = await import('../../src/stores/indexeddb')
  const factory = new IDBFactory()
  const store = indexedDbStore({ indexedDB: factory })
  expect(await store.get('ru1:a')).toBeUndefined()
  await rawPut(factory, record)
  await expect(store.get('ru1:a')).rejects.toMatchObject({ code: 'failed', message: 'The IndexedDB store could not be loaded.' })
  expect(await store.get('ru1:a')).toEqual(record)
})
