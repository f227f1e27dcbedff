/**
 * A store that keeps records in memory: for Node without a directory, for tests, and as the
 * fallback when IndexedDB is unavailable. Records last as long as the store object.
 * @module
 */
import type { Store, UploadRecord } from '../types'
import { StoreError } from './errors'
import { processLocks } from './process-lock'
import { parseRecord } from './record'

/**
 * A {@link Store} over a Map. Records (and their optional `blob`) are validated on `put` and
 * copied both ways, so callers can never change stored state through an object they hold.
 * `put` of an invalid record rejects with a `corrupt` {@link StoreError}. Its `lock` is held
 * within the page or process, where its records live.
 */
export function memoryStore(): Required<Store> {
  const records = new Map<string, UploadRecord>()
  return {
    lock: processLocks(),
    async get(key: string): Promise<UploadRecord | undefined> {
      const record = records.get(key)
      return record === undefined ? undefined : copy(record)
    },
    async put(record: UploadRecord): Promise<void> {
      records.set(record.key, validated(record))
    },
    async delete(key: string): Promise<void> {
      records.delete(key)
    },
    async list(): Promise<UploadRecord[]> {
      return [...records.values()].map(copy)
    },
  }
}

/** The record as a fresh copy (parseRecord builds one), or a `corrupt` StoreError. */
function validated(record: UploadRecord): UploadRecord {
  const parsed = parseRecord(record)
  if (parsed === undefined) throw new StoreError('corrupt', 'Not a valid upload record.')
  return parsed
}

function copy(record: UploadRecord): UploadRecord {
  return { ...record, metadata: { ...record.metadata } }
}

let shared: Required<Store> | undefined

/** The memory store that `store: 'memory'` names: one per page or process, so later Uploads find earlier records. */
export function sharedMemoryStore(): Required<Store> {
  shared ??= memoryStore()
  return shared
}
