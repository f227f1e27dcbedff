/**
 * The uploads in memory: their records, offsets, running digests, and the per-upload lock that
 * implements draft §4.6 (a newer request aborts the older one, then waits for its bytes to land).
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { newUploadId, type StoredUpload, type UploadRecord, type UploadState, type UploadStorage } from './storage'
import type { UploadInfo } from './types'

/** Something holding or awaiting an upload's lock that can be told to stop. */
export interface Transfer {
  abort(): void
}

/** Releases a lock; calling it twice is harmless. */
export type Release = () => void

/** One upload in memory. */
export class UploadEntry {
  /** Bytes stored (the data file's size as of the last transfer). */
  offset: number
  /** SHA-256 over bytes [0, hashedBytes), kept while every byte went through this process. */
  hash: Hash | undefined
  hashedBytes = 0
  /** Set by `forget`: nothing may write this upload's files any more. */
  forgotten = false
  /** Requests holding or waiting for the lock. */
  readonly transfers = new Set<Transfer>()
  /** Settles when the last lock holder releases. */
  tail: Promise<void> = Promise.resolve()

  constructor(
    public record: UploadRecord,
    offset: number,
  ) {
    this.offset = offset
  }

  get id(): string {
    return this.record.id
  }
}

/** Fields of a new upload. */
export type NewUpload = Omit<UploadRecord, 'id' | 'state' | 'complete' | 'createdAt' | 'expiresAt'>

/** All uploads of a server. */
export class UploadRegistry {
  private entries = new Map<string, UploadEntry>()

  constructor(
    readonly storage: UploadStorage,
    private readonly now: () => number,
    private readonly maxAgeSeconds: number | undefined,
  ) {}

  /** Replaces the in-memory state with what is on disk. */
  async load(): Promise<void> {
    const stored: StoredUpload[] = await this.storage.loadAll()
    this.entries = new Map(stored.map(({ record, size }) => [record.id, new UploadEntry(record, size)]))
  }

  /** Creates and persists an upload (empty data file + metadata); it counts as open at once. */
  async create(fields: NewUpload): Promise<UploadEntry> {
    const createdAt = this.now()
    const record: UploadRecord = { ...fields, id: newUploadId(), state: 'active', complete: false, createdAt }
    if (this.maxAgeSeconds !== undefined) record.expiresAt = createdAt + this.maxAgeSeconds * 1000
    const entry = new UploadEntry(record, 0)
    entry.hash = createHash('sha256')
    // Registered before the first await, so a cap on open uploads checked just before counts it.
    this.entries.set(record.id, entry)
    try {
      await this.storage.create(record)
    } catch (error) {
      this.entries.delete(record.id)
      throw error
    }
    return entry
  }

  /** The upload with this id, unless unknown or forgotten. */
  get(id: string | undefined): UploadEntry | undefined {
    return id === undefined ? undefined : this.entries.get(id)
  }

  /** Every upload. */
  all(): UploadEntry[] {
    return [...this.entries.values()]
  }

  /** How many uploads are open: created, not complete, and not gone (expired, cancelled, invalidated). */
  openCount(): number {
    let open = 0
    for (const entry of this.entries.values()) if (!entry.record.complete && this.goneReason(entry) === undefined) open++
    return open
  }

  /** Aborts everyone using the upload, then waits for the lock. */
  async acquire(entry: UploadEntry, transfer: Transfer): Promise<Release> {
    for (const other of entry.transfers) other.abort()
    entry.transfers.add(transfer)
    const previous = entry.tail
    let release: () => void = () => undefined
    entry.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    let released = false
    return () => {
      if (released) return
      released = true
      entry.transfers.delete(transfer)
      release()
    }
  }

  /** Why the upload answers 410, or `undefined` while it is usable (`max-age` counts for incomplete ones). */
  goneReason(entry: UploadEntry): Exclude<UploadState, 'active'> | undefined {
    const { state, expiresAt, complete } = entry.record
    if (state !== 'active') return state
    if (!complete && expiresAt !== undefined && this.now() >= expiresAt) return 'expired'
    return undefined
  }

  /** Whole seconds left before `max-age` runs out, when it applies. */
  remainingAge(entry: UploadEntry): number | undefined {
    const { expiresAt } = entry.record
    return expiresAt === undefined ? undefined : Math.max(0, Math.floor((expiresAt - this.now()) / 1000))
  }

  /** Persists the record (a no-op once the upload is forgotten). */
  async save(entry: UploadEntry): Promise<void> {
    if (!entry.forgotten) await this.storage.save(entry.record)
  }

  /** Re-reads the offset from the data file. */
  async refreshOffset(entry: UploadEntry): Promise<number> {
    entry.offset = await this.storage.size(entry.id)
    return entry.offset
  }

  /** SHA-256 of the stored bytes, from the running digest when it covers them all. */
  async digest(entry: UploadEntry): Promise<string> {
    if (entry.hash && entry.hashedBytes === entry.offset) return entry.hash.copy().digest('hex')
    return this.storage.sha256(entry.id)
  }

  /** Marks the upload gone for `state` and persists that. */
  async deactivate(entry: UploadEntry, state: Exclude<UploadState, 'active'>): Promise<void> {
    entry.record = { ...entry.record, state }
    entry.hash = undefined
    await this.save(entry)
  }

  /** Cancels (DELETE): in-flight requests are killed, bytes removed, the upload answers 410. */
  async cancel(entry: UploadEntry): Promise<void> {
    await this.deactivate(entry, 'cancelled')
    await this.storage.removeData(entry.id)
    entry.offset = 0
  }

  /** Expires an upload now; false when unknown. In-flight requests are killed. */
  async expire(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry) return false
    entry.record = { ...entry.record, state: 'expired' }
    const release = await this.acquire(entry, { abort: () => undefined })
    try {
      await this.deactivate(entry, 'expired')
    } finally {
      release()
    }
    return true
  }

  /** Removes every trace of an upload (it answers 404); false when unknown. */
  async forget(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (!entry) return false
    this.entries.delete(id)
    entry.forgotten = true
    const release = await this.acquire(entry, { abort: () => undefined })
    try {
      await this.storage.removeAll(id)
    } finally {
      release()
    }
    return true
  }

  /** A snapshot read from disk. */
  async info(entry: UploadEntry): Promise<UploadInfo> {
    const { record } = entry
    const reason = this.goneReason(entry)
    return {
      id: record.id,
      kind: record.kind,
      offset: await this.storage.size(record.id),
      length: record.length,
      complete: record.complete,
      sha256: await this.storage.sha256(record.id),
      expired: reason === 'expired',
      deleted: reason === 'cancelled',
      invalidated: reason === 'invalidated',
      contentType: record.contentType,
      contentDisposition: record.contentDisposition,
      filename: record.filename,
      interopVersion: record.interopVersion,
      createdAt: new Date(record.createdAt).toISOString(),
    }
  }
}
