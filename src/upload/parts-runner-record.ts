/**
 * The record writes of a parts upload: the first state at once (the upload exists, nothing sent
 * yet), then at most once a second while parts complete, then one final write when the run stops.
 * A failed write is a warning; the upload goes on.
 * @module
 */
import type { S3RecordState } from '../protocols/s3-types'
import type { UploadWarning } from '../persistence-types'
import type { PartsRecordHooks, PartsRecordProgress } from './parts-runner-types'

/** One write: the protocol state and the progress it stands for. */
type Entry = [state: S3RecordState, progress: PartsRecordProgress]

/** The progress of a state when the caller gives none: its parts, none of them counted, no URL. */
const NO_PROGRESS: PartsRecordProgress = { offset: 0, url: undefined }

/** Shortest time between two record writes while parts complete, ms. */
export const RECORD_INTERVAL = 1000

/** Writes an upload's record, throttled. */
export class RecordWriter {
  private pending: Entry | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private last = -Infinity
  private writes: Promise<void> = Promise.resolve()
  /** States written, in order (for tests and diagnostics). */
  written = 0

  /**
   * @param hooks where the record goes; undefined: nothing is written
   * @param warn called when a write fails
   * @param now the clock, ms
   */
  constructor(
    private readonly hooks: PartsRecordHooks | undefined,
    private readonly warn: (warning: UploadWarning) => void,
    private readonly now: () => number,
  ) {}

  /** Writes `state` at once (a new upload: a crash from here on must find it). */
  async writeNow(state: S3RecordState, progress: PartsRecordProgress = NO_PROGRESS): Promise<void> {
    this.cancel()
    this.pending = [state, progress]
    this.write()
    await this.writes
  }

  /** Writes `state` now when the last write is a second old, else once it is (the latest state wins). */
  update(state: S3RecordState, progress: PartsRecordProgress = NO_PROGRESS): void {
    this.pending = [state, progress]
    if (this.timer !== undefined) return
    const wait = this.last + RECORD_INTERVAL - this.now()
    if (wait <= 0) this.write()
    else this.timer = setTimeout(() => this.write(), wait)
  }

  /** The final write of a run that stops: the pending state, if any; resolves once every write is done. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending !== undefined) this.write()
    await this.writes
  }

  /** Drops the pending state (the upload completed: the Upload removes the record). */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.pending = undefined
  }

  private write(): void {
    this.timer = undefined
    const entry = this.pending
    const hooks = this.hooks
    this.pending = undefined
    if (entry === undefined || hooks === undefined) return
    this.last = this.now()
    this.written++
    this.writes = this.writes
      .then(() => hooks.save(...entry))
      .catch((cause: unknown) => this.warn({ code: 'store-unavailable', message: 'the upload record could not be written', cause }))
  }
}
