/**
 * Writing, deleting and listing records of the IndexedDB store, and checking a value `get`
 * found, loaded at the first of those calls (indexeddb.ts): a default upload (a new file) only
 * reads, and finds nothing, before its first byte.
 * @module
 */
import type { UploadRecord } from '../types'
import { StoreError } from './errors'
import type { LaterMethods, Run } from './indexeddb'
import { parseRecord } from './record'

/**
 * The store's `put`, `delete`, `list` over its connection, and `read`.
 * @param run runs an operation in a transaction (see indexeddb.ts)
 * @param onCorrupt told about each entry `list` skips
 */
export function writeMethods(run: Run, onCorrupt: ((key: string, error: StoreError) => void) | undefined): LaterMethods {
  return {
    /** The record in the value stored under `key`; throws a `corrupt` StoreError when it is not one (or is another key's). */
    read(value: unknown, key: string): UploadRecord {
      const record = parseRecord(value)
      if (record?.key !== key) throw corrupt()
      return record
    },
    async put(record: UploadRecord): Promise<void> {
      const value = parseRecord(record)
      if (value === undefined) throw new StoreError('corrupt', 'Not a valid upload record.')
      await run('readwrite', (store) => result(store.put(value)))
    },
    async delete(key: string): Promise<void> {
      await run('readwrite', (store) => result(store.delete(key)))
    },
    async list(): Promise<UploadRecord[]> {
      const [keys, values] = await run('readonly', (store) => {
        const keysRequest = store.getAllKeys()
        const valuesRequest = store.getAll()
        return () => [keysRequest.result, valuesRequest.result] as const
      })
      return values.flatMap((value: unknown, index) => {
        const record = parseRecord(value)
        if (record !== undefined) return [record]
        onCorrupt?.(String(keys[index]), corrupt())
        return []
      })
    },
  }
}

function corrupt(): StoreError {
  return new StoreError('corrupt', 'An IndexedDB entry is not a valid upload record.')
}

/** The request's result, read once the transaction completes. */
function result<T>(issued: IDBRequest<T>): () => T {
  return () => issued.result
}
