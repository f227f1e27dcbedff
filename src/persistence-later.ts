/**
 * What persistence does after the first byte, loaded by persistence.ts when first needed: writing
 * records (the URL is known only from the server's answer), and every warning — a store that
 * fails, a corrupt, foreign or expired record, a source without a fingerprint, no lock. A default
 * upload meets none of those before its first byte.
 * @module
 */
import type { MismatchReason, PersistenceState } from './persistence-types'
import { lazyMemoryStore } from './stores/lazy-memory'
import { StoreError } from './stores/errors'
import type { Protocol, UploadLimits, UploadRecord } from './types'

const OFFSET_WRITE_INTERVAL = 1000

/**
 * Records the upload URL (see `UploadPersistence.saveUrl`); with `parts`, also a parts protocol's
 * state and the bytes its completed parts hold, written at once the first time and then at most
 * once per second, as offsets are.
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
  const again = state.record?.url === url
  state.record = {
    key: state.key as string,
    url,
    protocol: protocol.name,
    protocolVersion: protocol.version,
    endpoint: state.settings.endpoint ?? url,
    size,
    offset: parts?.offset ?? 0,
    createdAt: again ? (state.record as UploadRecord).createdAt : now,
    updatedAt: now,
    metadata: state.settings.metadata,
    ...expiry(limits),
    ...(parts && { state: parts.state }),
  }
  if (!parts || !again || now - state.lastWrite >= OFFSET_WRITE_INTERVAL) write(state)
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

const MISMATCHES: Record<MismatchReason, string> = {
  expired: 'expired',
  origin: 'its URL is on an origin that is not allowed',
  userinfo: 'its URL carries a user name or password',
  endpoint: 'other endpoint',
  protocol: 'other protocol',
  size: 'other size',
}

/** A stored record this upload may not resume: warned about and removed. */
export async function ignore(state: PersistenceState, reason: MismatchReason): Promise<void> {
  state.warn({ code: reason === 'expired' ? 'record-expired' : 'record-ignored', message: `a stored upload was not resumed: ${MISMATCHES[reason]}` })
  await remove(state)
}

/** The fingerprint function failed: this upload is not persisted. */
export function unfingerprinted(state: PersistenceState, cause: unknown): void {
  state.warn({ code: 'record-ignored', message: 'the file could not be fingerprinted; it will not be resumable after a reload', cause })
}

/** Neither the store nor `navigator.locks` can lock. */
export function noLock(state: PersistenceState): void {
  state.warn({ code: 'lock-unavailable', message: 'no lock is available here: another upload of the same file could run at the same time' })
}
