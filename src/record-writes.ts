/**
 * Writing upload records, loaded by persistence.ts at the first write: none happens before the
 * first byte is sent (the URL is known only from the server's answer).
 * @module
 */
import type { PersistenceState } from './persistence-types'
import { storeFailed } from './store-fallback'
import { StoreError } from './stores/errors'
import type { Protocol, UploadLimits, UploadRecord } from './types'

const OFFSET_WRITE_INTERVAL = 1000

/** Records the upload URL (see `UploadPersistence.saveUrl`). */
export function saveUrl(state: PersistenceState, url: string, protocol: Protocol, size: number | undefined, limits: UploadLimits): void {
  const now = Date.now()
  state.record = {
    key: state.key as string,
    url,
    protocol: protocol.name,
    protocolVersion: protocol.version,
    endpoint: state.settings.endpoint ?? url,
    size,
    offset: 0,
    createdAt: state.record?.url === url ? state.record.createdAt : now,
    updatedAt: now,
    metadata: state.settings.metadata,
    ...expiry(limits),
  }
  write(state)
}

/** Records progress, writing at most once per second (see `UploadPersistence.saveOffset`). */
export function saveOffset(state: PersistenceState, offset: number, size: number | undefined, limits: UploadLimits): void {
  if (!state.record) return
  const now = Date.now()
  state.record = { ...state.record, offset, size, updatedAt: now, ...expiry(limits) }
  if (now - state.lastWrite >= OFFSET_WRITE_INTERVAL) write(state)
}

/** Deletes the record from the store, after every earlier write. */
export function remove(state: PersistenceState): Promise<void> {
  const key = state.key
  const store = state.store
  state.record = undefined
  if (key === undefined || !store) return state.writes
  return (state.writes = state.writes.then(() => store.delete(key).catch((cause: unknown) => storeFailed(state, cause))))
}

/** The upload finished: marks the record complete when another Upload waits for it, else removes it. */
export async function complete(state: PersistenceState, size: number | undefined): Promise<void> {
  if (state.record && (await state.lock?.wanted().catch(() => false))) {
    state.record = { ...state.record, complete: true, offset: size ?? state.record.offset, size, updatedAt: Date.now() }
    write(state)
    return state.writes
  }
  return remove(state)
}

function expiry(limits: UploadLimits): { expiresAt?: number } {
  return limits.expiresAt === undefined ? {} : { expiresAt: limits.expiresAt }
}

function write(state: PersistenceState): void {
  const record = state.record
  if (!record) return
  state.lastWrite = Date.now()
  const withBlob = state.blob ? { ...record, blob: state.blob } : record
  state.writes = state.writes.then(() => put(state, withBlob))
}

async function put(state: PersistenceState, record: UploadRecord): Promise<void> {
  const store = state.store
  if (!store) return
  try {
    await store.put(record)
  } catch (cause) {
    if (record.blob && cause instanceof StoreError && cause.code === 'quota') {
      state.blob = undefined
      state.warn({ code: 'blob-not-stored', message: 'the file could not be stored for resuming without re-selecting it (quota)', cause })
      const { blob: _blob, ...withoutBlob } = record
      return put(state, withoutBlob)
    }
    storeFailed(state, cause)
    if (state.store) return put(state, record)
  }
}
