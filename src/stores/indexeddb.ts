/**
 * A store in IndexedDB (the browser default), on the raw IndexedDB API: one database, one object
 * store keyed by `key`. Records survive reloads and crashes, and can keep the File itself.
 * @module
 */
import type { Store, UploadRecord } from '../types'
import { StoreError } from './errors'

/** Options of {@link indexedDbStore}. */
export interface IndexedDbStoreOptions {
  /** Name of the IndexedDB database. Default `'resumable-upload'`. */
  databaseName?: string
  /**
   * The IndexedDB factory to use. Default: `globalThis.indexedDB`, read at the first operation
   * (never at import time, so importing is safe during server rendering).
   */
  indexedDB?: IDBFactory
  /** Called by `list()` for each entry it skips because it is not a valid record. Default none. */
  onCorrupt?: (key: string, error: StoreError) => void
}

const OBJECT_STORE = 'records'
const VERSION = 1

/**
 * A {@link Store} in IndexedDB. The database opens lazily, on the first operation; a connection
 * closes itself when another tab upgrades the database (`versionchange`) and the next operation
 * reopens it. A record's `blob` (a File or Blob) is stored with it; browsers keep Blobs by
 * reference where they can.
 *
 * Every failure is a rejected promise with a {@link StoreError}: `unavailable` when IndexedDB is
 * missing, cannot be opened (private mode, a foreign database of the same name) or the open is
 * blocked by an old connection elsewhere; `quota` when the storage is full (for a record with a
 * blob, retry without it); `corrupt` for an invalid record (`put`) or an entry that is not one
 * (`get`; `list` skips those and reports them to `onCorrupt`); `failed` for anything else.
 * @param options database name, factory and corrupt-entry callback (see {@link IndexedDbStoreOptions})
 */
export function indexedDbStore(options: IndexedDbStoreOptions = {}): Store {
  const run = connect(options.databaseName ?? 'resumable-upload', options.indexedDB)
  // Writing, listing and checking a stored value load at their first call: a default upload (a
  // new file: nothing stored) writes only after its first byte.
  let loading: Promise<LaterMethods> | undefined
  const later = (): Promise<LaterMethods> =>
    (loading ??= import('./indexeddb-writes').then(
      (module) => module.writeMethods(run, options.onCorrupt),
      (cause: unknown) => {
        loading = undefined
        throw new StoreError('failed', 'The IndexedDB store could not be loaded.', cause)
      },
    ))
  return {
    async get(key: string): Promise<UploadRecord | undefined> {
      const value = await run('readonly', (store) => request(store.get(key)))
      return value === undefined ? undefined : (await later()).read(value, key)
    },
    put: async (record) => (await later()).put(record),
    delete: async (key) => (await later()).delete(key),
    list: async () => (await later()).list(),
  }
}

/** Issues the request; its result is read once the transaction completes. */
function request<T>(issued: IDBRequest<T>): () => T {
  return () => issued.result
}

/** What indexeddb-writes.ts adds to the store: `put`, `delete`, `list`, and `read`, the record in a stored value (see there). */
export type LaterMethods = Pick<Store, 'put' | 'delete' | 'list'> & { read(value: unknown, key: string): UploadRecord }

/**
 * Runs an operation in a transaction on the object store: resolves with the value its returned
 * getter reads when the transaction has committed, rejects with a StoreError when it aborts.
 */
export type Run = <T>(mode: IDBTransactionMode, operation: (store: IDBObjectStore) => () => T) => Promise<T>

/** One lazily opened connection, reopened after it closes. (Closures, not a class: they minify to less.) */
function connect(name: string, factory: IDBFactory | undefined): Run {
  let database: Promise<IDBDatabase> | undefined
  return async (mode, operation) => {
    const opening = (database ??= openDatabase(name, factory))
    const forget = (): void => {
      if (database === opening) database = undefined
    }
    const connection = await opening.catch((error: unknown) => {
      forget()
      throw error
    })
    // Another tab wants to upgrade: step aside so it is not blocked; the next operation reopens.
    connection.onversionchange = () => {
      connection.close()
      forget()
    }
    // The browser closed the connection (storage cleared, disk error).
    connection.onclose = forget
    return new Promise((resolve, reject) => {
      try {
        const transaction = connection.transaction(OBJECT_STORE, mode)
        const result = operation(transaction.objectStore(OBJECT_STORE))
        transaction.oncomplete = () => resolve(result())
        transaction.onabort = () => reject(toStoreError(transaction.error))
      } catch (error) {
        // A connection closed under us (InvalidStateError) is reopened by the next operation.
        if (errorName(error) === 'InvalidStateError') forget()
        reject(toStoreError(error))
      }
    })
  }
}

/** Opens (and on first use creates) the database; every failure is an `unavailable` StoreError. */
function openDatabase(name: string, given: IDBFactory | undefined): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const fail = (message: string, cause?: unknown): void => reject(new StoreError('unavailable', message, cause))
    const failedOpen = (error: unknown): void => fail(`IndexedDB cannot be opened (${errorName(error) || 'error'}).`, error)
    let opening: IDBOpenDBRequest
    try {
      const factory = given ?? globalThis.indexedDB
      if (factory == null) return fail('IndexedDB is not available here.')
      opening = factory.open(name, VERSION)
    } catch (error) {
      // Some contexts (sandboxed frames, storage disabled) throw on access or open.
      return failedOpen(error)
    }
    let blocked = false
    // Only a database that did not exist is upgraded to version 1: it has no object store yet.
    opening.onupgradeneeded = () => opening.result.createObjectStore(OBJECT_STORE, { keyPath: 'key' })
    // Blocked earlier and given up on: do not keep a connection nobody uses.
    opening.onsuccess = () => (blocked ? opening.result.close() : resolve(opening.result))
    opening.onerror = () => failedOpen(opening.error)
    // An old connection elsewhere does not close for our upgrade: fall back rather than wait forever.
    opening.onblocked = () => {
      blocked = true
      fail('Opening IndexedDB is blocked by another connection.')
    }
  })
}

function toStoreError(error: unknown): StoreError {
  const name = errorName(error)
  if (name === 'QuotaExceededError') return new StoreError('quota', 'The storage quota is exceeded.', error)
  // The object store is missing: the database of this name belongs to something else.
  if (name === 'NotFoundError') return new StoreError('unavailable', 'The IndexedDB database has no record store.', error)
  return new StoreError('failed', `An IndexedDB operation failed (${name || 'aborted'}).`, error)
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null | undefined)?.name
  return typeof name === 'string' ? name : ''
}
