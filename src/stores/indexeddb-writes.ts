/**
 * Writing, deleting and listing records of the IndexedDB store, loaded at the first of those
 * calls (indexeddb.ts): a default upload only reads before its first byte.
 * @module
 */
import type { Store, UploadRecord } from '../types'
import { StoreError } from './errors'
import type { Run } from './indexeddb'
import { parseRecord } from './record'

/**
 * The store's `put`, `delete` and `list` over its connection.
 * @param run runs an operation in a transaction (see indexeddb.ts)
 * @param onCorrupt told about each entry `list` skips
 * @param corrupt the error such an entry is reported with
 */
export function writeMethods(
  run: Run,
  onCorrupt: ((key: string, error: StoreError) => void) | undefined,
  corrupt: () => StoreError,
): Pick<Store, 'put' | 'delete' | 'list'> {
  return {
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

/** The request's result, read once the transaction completes. */
function result<T>(issued: IDBRequest<T>): () => T {
  return () => issued.result
}
