/**
 * What persistence does after the first byte, loaded by persistence.ts when first needed: writing
 * records (the URL is known only from the server's answer), checking a stored record before it
 * is resumed, and every warning — a store that fails, a corrupt, foreign or expired record, a
 * source without a fingerprint, no lock. A default upload (a new file) meets none of those
 * before its first byte.
 * @module
 */
import { lockWanted } from './lock-wanted'
import { LOCK_PREFIX } from './locks'
import type { PersistenceState } from './persistence-types'
import { lazyMemoryStore } from './stores/lazy-memory'
import { StoreError } from './stores/errors'
import { parseRecord } from './stores/record'
import type { Protocol, UploadLimits, UploadRecord } from './types'

const OFFSET_WRITE_INTERVAL = 1000

/**
 * Records the upload URL (see `UploadPersistence.saveUrl`); with `parts`, also a parts protocol's
 * state and the bytes its completed parts hold. Every call writes: the parts runner
 * (parts-runner-record.ts) already writes at most once a second, and its last write, when it
 * stops or pauses, must not be dropped.
 */
export function saveUrl(
  state: PersistenceState,
  url: string,
  protocol: Pick<Protocol, 'name' | 'version'>,
  size: number | undefined,
  limits: UploadLimits,
  parts?: { state: string; offset: number },
): void {
  const now = Date.now()
  state.record = {
    key: state.key as string,
    url,
    protocol: protocol.name,
    protocolVersion: protocol.version,
    endpoint: state.settings.endpoint ?? url,
    size,
    offset: parts?.offset ?? 0,
    createdAt: state.record?.url === url ? state.record.createdAt : now,
    updatedAt: now,
    metadata: state.settings.metadata,
    ...expiry(limits),
    ...(parts && { state: parts.state }),
  }
  // A parts upload's runner writes at most once a second itself, with a last write when it stops: all are kept.
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
  const lock = state.lock
  if (state.record && lock && (await (lock.wanted ? lock.wanted().catch(() => false) : lockWanted(LOCK_PREFIX + (state.key as string))))) {
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

/**
 * The store broke: go on with a memory store, once, and say so; when that breaks too, with none.
 * @param state the persistence whose store failed
 * @param cause the store's error
 */
export function storeFailed(state: PersistenceState, cause: unknown): void {
  if (state.store && !state.fellBack) {
    state.fellBack = true
    state.store = lazyMemoryStore(false)
    state.warn({ code: 'store-unavailable', message: 'the upload store failed; the upload goes on with a memory store (not resumable after a reload)', cause })
  } else {
    state.store = undefined
  }
}

/** Reading the stored record failed: a corrupt entry is warned about and removed; any other failure is a store failure. */
export async function readFailed(state: PersistenceState, cause: unknown): Promise<void> {
  if (cause instanceof StoreError && cause.code === 'corrupt') return corrupt(state, cause)
  storeFailed(state, cause)
}

/** The stored value is not a valid record: warned about and removed. */
export async function corrupt(state: PersistenceState, cause?: unknown): Promise<void> {
  state.warn({ code: 'record-ignored', message: 'a stored upload record was corrupt and is ignored', ...(cause === undefined ? {} : { cause }) })
  await remove(state)
}

/** What a stored record must match to be resumed here. */
export interface Expected {
  /** The Upload's endpoint. */
  endpoint: string
  /** The Upload's protocol. */
  protocol: Pick<Protocol, 'name' | 'version'>
  /** The source's size, when known. */
  size: number | undefined
  /** Whether the Upload may send to a URL. */
  trusted: (url: string) => boolean
}

/**
 * The value the store holds for this source: the record to resume, or undefined when it is not
 * a record (warned about as corrupt and removed) or one this upload may not resume (expired,
 * untrusted, foreign: warned about and removed).
 */
export async function adopt(state: PersistenceState, value: unknown, expected: Expected): Promise<UploadRecord | undefined> {
  const record = parseRecord(value)
  const reason = record && mismatch(record, expected)
  if (!record) await corrupt(state)
  else if (reason) {
    state.warn({ code: reason === 'expired' ? 'record-expired' : 'record-ignored', message: `a stored upload was not resumed: ${reason}` })
    await remove(state)
  } else return (state.record = record)
  return undefined
}

/** Why a stored record cannot be resumed here, in words, or undefined when it can. */
function mismatch(record: UploadRecord, expected: Expected): string | undefined {
  if (record.expiresAt !== undefined && record.expiresAt <= Date.now()) return 'expired'
  if (!expected.trusted(record.url)) return 'its URL is on an origin that is not allowed'
  if (hasUserinfo(record.url)) return 'its URL carries a user name or password'
  if (record.endpoint !== expected.endpoint) return 'other endpoint'
  if (record.protocol !== expected.protocol.name || record.protocolVersion !== expected.protocol.version) return 'other protocol'
  if (record.size !== expected.size) return 'other size'
  return undefined
}

/** Whether a URL names a user or password (`https://user:pass@host/`). */
function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.username !== '' || parsed.password !== ''
  } catch {
    return true
  }
}

/** The fingerprint function failed: this upload is not persisted. */
export function unfingerprinted(state: PersistenceState, cause: unknown): void {
  state.warn({ code: 'record-ignored', message: 'the file could not be fingerprinted; it will not be resumable after a reload', cause })
}

/** Neither the store nor `navigator.locks` can lock. */
export function noLock(state: PersistenceState): void {
  state.warn({ code: 'lock-unavailable', message: 'no lock is available here: another upload of the same file could run at the same time' })
}
