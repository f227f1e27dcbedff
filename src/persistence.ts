/**
 * What the Upload remembers between page loads and processes: finding a stored record for a
 * source, writing it as soon as the URL is known and after each chunk, removing it when done,
 * and the cross-tab lock. Store failures never fail an upload: they become warnings.
 *
 * Only what runs before the first byte is sent is here: the fingerprint, the lock and the read of
 * a stored record. Writing records loads with its first call (record-writes.ts); calls made
 * meanwhile wait, and run in their order.
 * @module
 */
import { fingerprint as defaultFingerprint } from './fingerprint'
import { UploadError } from './errors'
import { acquireUploadLock } from './locks'
import { parseRecord } from './stores/record'
import { StoreError } from './stores/errors'
import type { PersistenceSettings, PersistenceState, UploadWarning } from './persistence-types'
import type * as RecordWritesModule from './record-writes'
import { storeFailed } from './store-fallback'
import type { Protocol, RecordLock, Source, UploadLimits, UploadRecord } from './types'

export type { PersistenceSettings, UploadWarning, UploadWarningCode } from './persistence-types'

type RecordWrites = typeof RecordWritesModule

/** The remembered state of one Upload. */
export class UploadPersistence {
  readonly #state: PersistenceState
  #writes: RecordWrites | undefined
  #loading: Promise<RecordWrites | undefined> | undefined

  /**
   * @param settings the Upload's persistence options
   * @param warn receives every warning
   */
  constructor(settings: PersistenceSettings, warn: (warning: UploadWarning) => void) {
    this.#state = { settings, warn, store: settings.store, writes: Promise.resolve(), lastWrite: 0 }
  }

  /**
   * Fingerprints the source, takes the cross-tab lock and returns a usable stored record for it,
   * if any. Unusable records are removed with a warning.
   */
  async open(source: Source, input: unknown, protocol: Protocol, trusted: (url: string) => boolean, signal: AbortSignal): Promise<UploadRecord | undefined> {
    const state = this.#state
    const { endpoint, persistBlob } = state.settings
    if (!state.store || endpoint === undefined) return undefined
    const key = (state.key = await fingerprintOf(state, source, endpoint))
    if (key === undefined) return undefined
    if (persistBlob && typeof Blob !== 'undefined' && input instanceof Blob) state.blob = input
    state.lock = await takeLock(state, key, signal)
    const stored = await this.#read(key)
    const reason = stored && mismatch(stored, { endpoint, protocol, size: source.size, trusted })
    if (reason) {
      state.warn({ code: reason === 'expired' ? 'record-expired' : 'record-ignored', message: `a stored upload was not resumed: ${reason}` })
      await this.remove()
    } else if (stored) return (state.record = stored)
    return undefined
  }

  /** Records the upload URL as soon as it is known. */
  saveUrl(url: string, protocol: Protocol, size: number | undefined, limits: UploadLimits): void {
    void this.#later((writes) => writes.saveUrl(this.#state, url, protocol, size, limits))
  }

  /**
   * Records progress; the Upload calls it once per acknowledged chunk, and it writes at most once
   * per second: a resume asks the server for the offset anyway, so the stored one is only a hint.
   */
  saveOffset(offset: number, size: number | undefined, limits: UploadLimits): void {
    void this.#later((writes) => writes.saveOffset(this.#state, offset, size, limits))
  }

  /** Forgets the record (gone, invalid, terminated, or complete with removeOnSuccess). */
  remove(): Promise<void> {
    return this.#later((writes) => writes.remove(this.#state))
  }

  /**
   * The upload finished. With removeOnSuccess the record goes, unless another tab waits for this
   * file: it is then marked complete, so that tab finds the finished upload instead of sending
   * the file again (and removes the record itself).
   */
  complete(size: number | undefined): Promise<void> {
    if (!this.#state.settings.removeOnSuccess) return this.#state.writes
    return this.#later((writes) => writes.complete(this.#state, size))
  }

  /** Waits for pending writes and lets another tab take the upload. */
  async close(): Promise<void> {
    const state = this.#state
    await this.#loading
    await state.writes
    const lock = state.lock
    state.lock = undefined
    await lock?.release()
  }

  /**
   * Runs `task` with the record writes module: at once when it is loaded, else once it is. Tasks
   * that wait all wait on one promise, so they run in the order of the calls, before any later
   * call. Without a key or a store there is nothing to write. A module that cannot load (a chunk
   * that did not arrive) is a store failure: warned once, and nothing is written.
   */
  #later(task: (writes: RecordWrites) => void | Promise<void>): Promise<void> {
    const state = this.#state
    if (state.key === undefined || !state.store) return state.writes
    if (this.#writes) return Promise.resolve(task(this.#writes))
    this.#loading ??= import('./record-writes').then(
      (writes) => (this.#writes = writes),
      (cause: unknown) => {
        state.store = undefined
        state.warn({ code: 'store-unavailable', message: 'the upload store could not be loaded; this upload is not resumable after a reload', cause })
        return undefined
      },
    )
    return this.#loading.then((writes) => writes && task(writes))
  }

  async #read(key: string): Promise<UploadRecord | undefined> {
    const state = this.#state
    try {
      const value = await state.store?.get(key)
      if (value === undefined) return undefined
      const record = parseRecord(value)
      if (record) return record
      state.warn({ code: 'record-ignored', message: CORRUPT })
    } catch (cause) {
      if (!(cause instanceof StoreError && cause.code === 'corrupt')) return void storeFailed(state, cause)
      state.warn({ code: 'record-ignored', message: CORRUPT, cause })
    }
    await this.remove()
    return undefined
  }
}

const CORRUPT = 'a stored upload record was corrupt and is ignored'

/**
 * The store's own lock (file store: across processes; memory store: within this one), else a
 * Web Lock, else none, with a warning. A store that cannot lock is a broken store.
 */
async function takeLock(state: PersistenceState, key: string, signal: AbortSignal): Promise<RecordLock | undefined> {
  const store = state.store
  if (store?.lock) {
    try {
      return await store.lock(key, state.settings.lock, signal)
    } catch (cause) {
      if (cause instanceof UploadError) throw cause
      storeFailed(state, cause)
      return takeLock(state, key, signal)
    }
  }
  const lock = await acquireUploadLock(key, state.settings.lock, signal)
  if (!lock) state.warn({ code: 'lock-unavailable', message: 'no lock is available here: another upload of the same file could run at the same time' })
  return lock
}

async function fingerprintOf(state: PersistenceState, source: Source, endpoint: string): Promise<string | undefined> {
  try {
    return await recordKey(source, endpoint, state.settings)
  } catch (cause) {
    state.warn({ code: 'record-ignored', message: 'the file could not be fingerprinted; it will not be resumable after a reload', cause })
    return undefined
  }
}

/**
 * The store key of a source: the user's fingerprint function, else the default one. Bytes,
 * streams and plain Blobs have no name or date, so they get no default key: it would fit any
 * data of the same size.
 */
export async function recordKey(
  source: Source,
  endpoint: string,
  settings: Pick<PersistenceSettings, 'fingerprint' | 'sampleContent'>,
): Promise<string | undefined> {
  if (settings.fingerprint) return settings.fingerprint(source, { endpoint })
  if (source.name === undefined || source.lastModified === undefined) return undefined
  return defaultFingerprint(source, { endpoint, sampleContent: settings.sampleContent })
}

/** Why a stored record cannot be resumed here, or undefined when it can. */
function mismatch(
  record: UploadRecord,
  expected: { endpoint: string; protocol: Protocol; size: number | undefined; trusted: (url: string) => boolean },
): string | undefined {
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
