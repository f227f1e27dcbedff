/**
 * What the Upload remembers between page loads and processes: finding a stored record for a
 * source, writing it as soon as the URL is known and after each chunk, removing it when done,
 * and the cross-tab lock. Store failures never fail an upload: they become warnings.
 * @module
 */
import { fingerprint as defaultFingerprint, type FingerprintFunction } from './fingerprint'
import { UploadError } from './errors'
import { acquireUploadLock } from './locks'
import { lazyMemoryStore } from './stores/lazy-memory'
import { parseRecord } from './stores/record'
import { StoreError } from './stores/errors'
import type { Protocol, RecordLock, Source, Store, UploadLimits, UploadRecord } from './types'

const OFFSET_WRITE_INTERVAL = 1000

/** Why the Upload warns; the upload goes on in every case. */
export type UploadWarningCode =
  /** The configured store failed to open or write; the memory store is used instead. */
  | 'store-unavailable'
  /** A stored record was corrupt, foreign (other protocol, endpoint or size) or unreadable; ignored and removed. */
  | 'record-ignored'
  /** A stored record was past its server expiry; removed, and a new upload starts. */
  | 'record-expired'
  /** `persistBlob` could not keep the file (quota); the record was kept without it. */
  | 'blob-not-stored'
  /** The store has no lock and `navigator.locks` is missing: no protection against a second Upload of the same file. */
  | 'lock-unavailable'

/** A warning event. */
export interface UploadWarning {
  /** What happened. */
  code: UploadWarningCode
  /** A sentence for people; never contains the upload URL. */
  message: string
  /** The underlying error, when there is one. */
  cause?: unknown
}

/** What persistence needs from the Upload's options. */
export interface PersistenceSettings {
  store: Store | undefined
  endpoint: string | undefined
  fingerprint: FingerprintFunction | undefined
  sampleContent: boolean
  removeOnSuccess: boolean
  persistBlob: boolean
  lock: 'wait' | 'fail'
  metadata: Record<string, string>
}

/** The remembered state of one Upload. */
export class UploadPersistence {
  private key: string | undefined
  private record: UploadRecord | undefined
  private lock: RecordLock | undefined
  private store: Store | undefined
  private blob: Blob | undefined
  private writes: Promise<void> = Promise.resolve()
  private lastWrite = 0
  private usingFallback = false

  constructor(
    private readonly settings: PersistenceSettings,
    private readonly warn: (warning: UploadWarning) => void,
  ) {
    this.store = settings.store
  }

  /**
   * Fingerprints the source, takes the cross-tab lock and returns a usable stored record for it,
   * if any. Unusable records are removed with a warning.
   */
  async open(source: Source, input: unknown, protocol: Protocol, trusted: (url: string) => boolean, signal: AbortSignal): Promise<UploadRecord | undefined> {
    const { endpoint } = this.settings
    if (!this.store || endpoint === undefined) return undefined
    this.key = await this.fingerprintOf(source, endpoint)
    if (this.key === undefined) return undefined
    if (this.settings.persistBlob && typeof Blob !== 'undefined' && input instanceof Blob) this.blob = input
    this.lock = await this.takeLock(this.key, signal)
    const stored = await this.read(this.key)
    if (!stored) return undefined
    const reason = mismatch(stored, { endpoint, protocol, size: source.size, trusted })
    if (reason) {
      this.warn({ code: reason === 'expired' ? 'record-expired' : 'record-ignored', message: `a stored upload was not resumed: ${reason}` })
      await this.remove()
      return undefined
    }
    this.record = stored
    return stored
  }

  /** Records the upload URL as soon as it is known. */
  saveUrl(url: string, protocol: Protocol, size: number | undefined, limits: UploadLimits): void {
    if (this.key === undefined || !this.store) return
    const now = Date.now()
    this.record = {
      key: this.key,
      url,
      protocol: protocol.name,
      protocolVersion: protocol.version,
      endpoint: this.settings.endpoint ?? url,
      size,
      offset: 0,
      createdAt: this.record?.url === url ? this.record.createdAt : now,
      updatedAt: now,
      metadata: this.settings.metadata,
      ...(limits.expiresAt === undefined ? {} : { expiresAt: limits.expiresAt }),
    }
    this.write()
  }

  /**
   * Records progress; the Upload calls it once per acknowledged chunk, and it writes at most once
   * per second: a resume asks the server for the offset anyway, so the stored one is only a hint.
   */
  saveOffset(offset: number, size: number | undefined, limits: UploadLimits): void {
    if (!this.record) return
    const now = Date.now()
    this.record = { ...this.record, offset, size, updatedAt: now, ...(limits.expiresAt === undefined ? {} : { expiresAt: limits.expiresAt }) }
    if (now - this.lastWrite >= OFFSET_WRITE_INTERVAL) this.write()
  }

  /** Forgets the record (gone, invalid, terminated, or complete with removeOnSuccess). */
  async remove(): Promise<void> {
    const key = this.key
    this.record = undefined
    if (key === undefined || !this.store) return
    const store = this.store
    this.writes = this.writes.then(() => store.delete(key).catch((cause: unknown) => this.storeFailed(cause)))
    await this.writes
  }

  /**
   * The upload finished. With removeOnSuccess the record goes, unless another tab waits for this
   * file: it is then marked complete, so that tab finds the finished upload instead of sending
   * the file again (and removes the record itself).
   */
  async complete(size: number | undefined): Promise<void> {
    if (!this.settings.removeOnSuccess || this.key === undefined) return this.writes
    if (this.record && (await this.lock?.wanted().catch(() => false))) {
      this.record = { ...this.record, complete: true, offset: size ?? this.record.offset, size, updatedAt: Date.now() }
      this.write()
      return this.writes
    }
    return this.remove()
  }

  /** Waits for pending writes and lets another tab take the upload. */
  async close(): Promise<void> {
    await this.writes
    const lock = this.lock
    this.lock = undefined
    await lock?.release()
  }

  /**
   * The store's own lock (file store: across processes; memory store: within this one), else a
   * Web Lock, else none, with a warning. A store that cannot lock is a broken store.
   */
  private async takeLock(key: string, signal: AbortSignal): Promise<RecordLock | undefined> {
    const store = this.store
    if (store?.lock) {
      try {
        return await store.lock(key, this.settings.lock, signal)
      } catch (cause) {
        if (cause instanceof UploadError) throw cause
        this.storeFailed(cause)
        return this.takeLock(key, signal)
      }
    }
    const lock = await acquireUploadLock(key, this.settings.lock, signal)
    if (!lock) this.warn({ code: 'lock-unavailable', message: 'no lock is available here: another upload of the same file could run at the same time' })
    return lock
  }

  private async fingerprintOf(source: Source, endpoint: string): Promise<string | undefined> {
    try {
      return await recordKey(source, endpoint, this.settings)
    } catch (cause) {
      this.warn({ code: 'record-ignored', message: 'the file could not be fingerprinted; it will not be resumable after a reload', cause })
      return undefined
    }
  }

  private async read(key: string): Promise<UploadRecord | undefined> {
    try {
      const value = await this.store?.get(key)
      if (value === undefined) return undefined
      const record = parseRecord(value)
      if (record) return record
      this.warn({ code: 'record-ignored', message: 'a stored upload record was corrupt and is ignored' })
    } catch (cause) {
      if (cause instanceof StoreError && cause.code === 'corrupt') {
        this.warn({ code: 'record-ignored', message: 'a stored upload record was corrupt and is ignored', cause })
      } else {
        this.storeFailed(cause)
        return undefined
      }
    }
    await this.remove()
    return undefined
  }

  private write(): void {
    const record = this.record
    if (!record) return
    this.lastWrite = Date.now()
    const withBlob = this.blob ? { ...record, blob: this.blob } : record
    this.writes = this.writes.then(() => this.put(withBlob))
  }

  private async put(record: UploadRecord): Promise<void> {
    const store = this.store
    if (!store) return
    try {
      await store.put(record)
    } catch (cause) {
      if (record.blob && cause instanceof StoreError && cause.code === 'quota') {
        this.blob = undefined
        this.warn({ code: 'blob-not-stored', message: 'the file could not be stored for resuming without re-selecting it (quota)', cause })
        const { blob: _blob, ...withoutBlob } = record
        return this.put(withoutBlob)
      }
      this.storeFailed(cause)
      if (this.store) return this.put(record)
    }
  }

  /** The store broke: go on with a memory store, once, and say so. */
  private storeFailed(cause: unknown): void {
    if (this.store && !this.usingFallback) {
      this.usingFallback = true
      this.store = lazyMemoryStore(false)
      this.warn({ code: 'store-unavailable', message: 'the upload store failed; the upload goes on with a memory store (not resumable after a reload)', cause })
    } else {
      this.store = undefined
    }
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
