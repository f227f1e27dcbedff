/**
 * What the Upload remembers between page loads and processes: finding a stored record for a
 * source, writing it as soon as the URL is known and after each chunk, removing it when done,
 * and the cross-tab lock. Store failures never fail an upload: they become warnings.
 *
 * Only what a default upload runs before its first byte is here: the fingerprint, the lock and
 * the read of the store (a new file finds nothing there). Writing records, checking a stored one
 * before resuming it, and what goes wrong before that (a store that fails, a corrupt, foreign or
 * expired record, no fingerprint, no lock), load from persistence-later.ts when first needed;
 * calls made meanwhile wait, and run in their order.
 * @module
 */
import { fingerprint as defaultFingerprint } from './fingerprint'
import { UploadError } from './errors'
import { takeUploadLock } from './locks'
import type { HeldLock, PersistenceSettings, PersistenceState, UploadWarning } from './persistence-types'
import type * as Later from './persistence-later'
import type { Protocol, Source, UploadLimits, UploadRecord } from './types'

export type { PersistenceSettings, UploadWarning, UploadWarningCode } from './persistence-types'

type PersistenceLater = typeof Later

/** The remembered state of one Upload. */
export class UploadPersistence {
  readonly #state: PersistenceState
  #later: PersistenceLater | undefined
  #loading: Promise<PersistenceLater | undefined> | undefined

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
  async open(
    source: Source,
    input: unknown,
    protocol: Pick<Protocol, 'name' | 'version'>,
    trusted: (url: string) => boolean,
    signal: AbortSignal,
  ): Promise<UploadRecord | undefined> {
    const state = this.#state
    const { endpoint, persistBlob } = state.settings
    if (!state.store || endpoint === undefined) return undefined
    let key: string | undefined
    try {
      key = await recordKey(source, endpoint, state.settings)
    } catch (cause) {
      await this.#run((later) => later.unfingerprinted(state, cause))
    }
    state.key = key
    if (key === undefined) return undefined
    if (persistBlob && typeof Blob !== 'undefined' && input instanceof Blob) state.blob = input
    state.lock = await this.#lock(key, signal)
    let value: unknown
    try {
      value = await state.store?.get(key)
    } catch (cause) {
      await this.#run((later) => later.readFailed(state, cause))
    }
    // A value found: persistence-later.ts checks it (a corrupt or foreign one is warned about and removed).
    return value === undefined ? undefined : this.#run((later) => later.adopt(state, value, { endpoint, protocol, size: source.size, trusted }))
  }

  /**
   * Takes the lock again for a run that goes on at a URL this Upload already holds: the end of
   * its last run let the lock go, and another Upload of the file may have taken it since.
   */
  async relock(signal: AbortSignal): Promise<undefined> {
    const state = this.#state
    if (state.key !== undefined) state.lock ??= await this.#lock(state.key, signal)
    return undefined
  }

  /**
   * Records the upload URL as soon as it is known. A parts protocol (S3, Azure) passes `parts`:
   * its state (JSON text, kept in the record's `state`) and the bytes its completed parts hold
   * (the record's `offset`), all in one record write. It calls this again as parts complete:
   * the first call writes at once, later ones for the same URL at most once per second.
   */
  saveUrl(
    url: string,
    protocol: Pick<Protocol, 'name' | 'version'>,
    size: number | undefined,
    limits: UploadLimits,
    parts?: { state: string; offset: number },
  ): void {
    void this.#write((later) => later.saveUrl(this.#state, url, protocol, size, limits, parts))
  }

  /**
   * Records progress; the Upload calls it once per acknowledged chunk, and it writes at most once
   * per second: a resume asks the server for the offset anyway, so the stored one is only a hint.
   */
  saveOffset(offset: number, size: number | undefined, limits: UploadLimits): void {
    void this.#write((later) => later.saveOffset(this.#state, offset, size, limits))
  }

  /** Forgets the record (gone, invalid, terminated, or complete with removeOnSuccess). */
  remove(): Promise<void> {
    return this.#write((later) => later.remove(this.#state))
  }

  /**
   * The upload finished. With removeOnSuccess the record goes, unless another tab waits for this
   * file: it is then marked complete, so that tab finds the finished upload instead of sending
   * the file again (and removes the record itself).
   */
  complete(size: number | undefined): Promise<void> {
    if (!this.#state.settings.removeOnSuccess) return this.#state.writes
    return this.#write((later) => later.complete(this.#state, size))
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

  /** Runs a write: none without a key or a store. */
  #write(task: (later: PersistenceLater) => void | Promise<void>): Promise<void> {
    const state = this.#state
    return state.key === undefined || !state.store ? state.writes : this.#run(task)
  }

  /**
   * Runs `task` with persistence-later.ts: at once when it is loaded, else once it is. Tasks that
   * wait all wait on one promise, so they run in the order of the calls, before any later call.
   * A module that cannot load (a chunk that did not arrive) is a store failure: warned once, and
   * nothing is written.
   */
  #run<T>(task: (later: PersistenceLater) => T | Promise<T>): Promise<T | undefined> {
    const state = this.#state
    if (this.#later) return Promise.resolve(task(this.#later))
    this.#loading ??= import('./persistence-later').then(
      (later) => (this.#later = later),
      (cause: unknown) => {
        state.store = undefined
        state.warn({ code: 'store-unavailable', message: 'the upload store could not be loaded; this upload is not resumable after a reload', cause })
        return undefined
      },
    )
    return this.#loading.then((later) => later && task(later))
  }

  /**
   * The store's own lock (file store: across processes; memory store: within this one), else a
   * Web Lock, else none (warned). A store that cannot lock is a broken store.
   */
  async #lock(key: string, signal: AbortSignal): Promise<HeldLock | undefined> {
    const state = this.#state
    const store = state.store
    if (store?.lock) {
      try {
        return await store.lock(key, state.settings.lock, signal)
      } catch (cause) {
        if (cause instanceof UploadError) throw cause
        await this.#run((later) => later.storeFailed(state, cause))
        return this.#lock(key, signal)
      }
    }
    const lock = await takeUploadLock(key, state.settings.lock, signal)
    if (!lock) await this.#run((later) => later.noLock(state))
    return lock
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
