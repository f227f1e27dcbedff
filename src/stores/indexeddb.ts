/**
 * A store in IndexedDB (the browser default), on the raw IndexedDB API: one database, one object
 * store keyed by `key`. Records survive reloads and crashes, and can keep the File itself.
 * @module
 */
import type { Store, UploadRecord } from '../types'
import { StoreError, type StoreErrorCode } from './errors'
import { parseRecord } from './record'

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
  const connection = new Connection(options.databaseName ?? 'resumable-upload', options.indexedDB)
  return {
    async get(key: string): Promise<UploadRecord | undefined> {
      const value = await connection.run('readonly', (store) => request(store.get(key)))
      if (value === undefined) return undefined
      const record = parseRecord(value)
      if (record === undefined || record.key !== key) throw corrupt()
      return record
    },
    async put(record: UploadRecord): Promise<void> {
      const value = parseRecord(record)
      if (value === undefined) throw new StoreError('corrupt', 'Not a valid upload record.')
      await connection.run('readwrite', (store) => request(store.put(value)))
    },
    async delete(key: string): Promise<void> {
      await connection.run('readwrite', (store) => request(store.delete(key)))
    },
    async list(): Promise<UploadRecord[]> {
      const [keys, values] = await connection.run('readonly', (store) => {
        const keysRequest = store.getAllKeys()
        const valuesRequest = store.getAll()
        return () => [keysRequest.result, valuesRequest.result] as const
      })
      return values.flatMap((value: unknown, index) => {
        const record = parseRecord(value)
        if (record !== undefined) return [record]
        options.onCorrupt?.(String(keys[index]), corrupt())
        return []
      })
    },
  }
}

/** Issues the request; its result is read once the transaction completes. */
function request<T>(issued: IDBRequest<T>): () => T {
  return () => issued.result
}

function corrupt(): StoreError {
  return new StoreError('corrupt', 'An IndexedDB entry is not a valid upload record.')
}

/** One lazily opened connection, reopened after it closes. */
class Connection {
  private database: Promise<IDBDatabase> | undefined
  private opened: IDBDatabase | undefined

  constructor(
    private readonly name: string,
    private readonly factory: IDBFactory | undefined,
  ) {}

  /**
   * Runs `operation` in a transaction on the object store; resolves with the value its returned
   * getter reads when the transaction has committed, rejects with a StoreError when it aborts.
   */
  async run<T>(mode: IDBTransactionMode, operation: (store: IDBObjectStore) => () => T): Promise<T> {
    const database = await this.open()
    return new Promise<T>((resolve, reject) => {
      let transaction: IDBTransaction
      let result: () => T
      try {
        transaction = database.transaction(OBJECT_STORE, mode)
        result = operation(transaction.objectStore(OBJECT_STORE))
      } catch (error) {
        // A connection closed under us (InvalidStateError) is reopened by the next operation.
        if (errorName(error) === 'InvalidStateError') this.forget(database)
        reject(toStoreError(error, 'failed'))
        return
      }
      transaction.oncomplete = () => resolve(result())
      transaction.onabort = () => reject(toStoreError(transaction.error, 'failed'))
    })
  }

  private open(): Promise<IDBDatabase> {
    if (this.database === undefined) {
      const opening = openDatabase(this.name, this.factory).then((database) => this.watch(database))
      opening.catch(() => {
        if (this.database === opening) this.database = undefined
      })
      this.database = opening
    }
    return this.database
  }

  private watch(database: IDBDatabase): IDBDatabase {
    this.opened = database
    // Another tab wants to upgrade: step aside so it is not blocked; the next operation reopens.
    database.onversionchange = () => {
      database.close()
      this.forget(database)
    }
    // The browser closed the connection (storage cleared, disk error).
    database.onclose = () => this.forget(database)
    return database
  }

  private forget(database: IDBDatabase): void {
    if (this.opened !== database) return
    this.opened = undefined
    this.database = undefined
  }
}

/** Opens (and on first use creates) the database; every failure is an `unavailable` StoreError. */
function openDatabase(name: string, given: IDBFactory | undefined): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    let opening: IDBOpenDBRequest
    let settled = false
    const fail = (message: string, cause?: unknown): void => {
      settled = true
      reject(new StoreError('unavailable', message, cause))
    }
    try {
      const factory = given ?? globalThis.indexedDB
      if (factory == null) return fail('IndexedDB is not available here.')
      opening = factory.open(name, VERSION)
    } catch (error) {
      // Some contexts (sandboxed frames, storage disabled) throw on access or open.
      return fail(`IndexedDB cannot be opened (${errorName(error) || 'error'}).`, error)
    }
    opening.onupgradeneeded = () => {
      const database = opening.result
      if (!database.objectStoreNames.contains(OBJECT_STORE)) database.createObjectStore(OBJECT_STORE, { keyPath: 'key' })
    }
    opening.onsuccess = () => {
      // Blocked earlier and given up on: do not keep a connection nobody uses.
      if (settled) opening.result.close()
      else resolve(opening.result)
      settled = true
    }
    opening.onerror = () => fail(`IndexedDB cannot be opened (${errorName(opening.error) || 'error'}).`, opening.error)
    // An old connection elsewhere does not close for our upgrade: fall back rather than wait forever.
    opening.onblocked = () => fail('Opening IndexedDB is blocked by another connection.')
  })
}

function toStoreError(error: unknown, fallback: StoreErrorCode): StoreError {
  if (error instanceof StoreError) return error
  const name = errorName(error)
  if (name === 'QuotaExceededError') return new StoreError('quota', 'The storage quota is exceeded.', error)
  // The object store is missing: the database of this name belongs to something else.
  if (name === 'NotFoundError') return new StoreError('unavailable', 'The IndexedDB database has no record store.', error)
  return new StoreError(fallback, `An IndexedDB operation failed (${name || 'aborted'}).`, error)
}

function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('name' in error)) return ''
  return typeof error.name === 'string' ? error.name : ''
}
