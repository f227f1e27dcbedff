/**
 * React bindings: `useUpload(file, options)` for one file and `useUploads(files, options)` for a
 * list. Safe under StrictMode's double effects (one Upload per file, never two) and on the server
 * (nothing touches `window`, `indexedDB` or the network until an effect or `start()` runs).
 * @module
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { UploadError } from '../errors'
import { Upload } from '../index'
import type { UploadOptions, UploadProgress, UploadResult, UploadState } from '../options'
import type { SourceInput } from '../sources'

/** Options of {@link useUpload} and {@link useUploads}: the Upload's options plus the hooks' own. */
export interface UseUploadOptions extends UploadOptions {
  /**
   * Start each file as soon as it is given (checked when the file or list changes, and when this
   * option turns on). Default: false.
   */
  autoStart?: boolean
  /**
   * Keep uploading after the component unmounts or the file leaves the list. Default: false (the
   * upload is aborted; bytes the server stored stay there).
   */
  keepAlive?: boolean
}

/** What the hooks mirror from one Upload. */
export interface UploadSnapshot {
  /** The upload's state; `'idle'` before `start()` and when there is no file. */
  state: UploadState
  /** Byte counts, updated as the upload moves. */
  progress: UploadProgress
  /** The upload URL once known. */
  url: string | undefined
  /** The error that failed the upload, if it failed (an abort is not an error: see `state`). */
  error: UploadError | undefined
  /** What `start()` resolved with, once complete. */
  result: UploadResult | undefined
}

/** Controls of one upload. */
export interface UploadControls {
  /**
   * Starts the upload, or joins it when it runs. After `failed` or `aborted` it starts a new
   * Upload of the same file, which continues a failed upload at its URL. Resolves with the result,
   * or with undefined when the upload failed or was aborted (see `state` and `error`); rejects
   * only when the options are invalid (no `endpoint`, a bad `chunkSize`).
   */
  start: () => Promise<UploadResult | undefined>
  /** Pauses it (the request in flight is aborted; stored bytes stay). */
  pause: () => void
  /** Resumes it from the server's offset. */
  resume: () => void
  /** Aborts it; `terminate: true` also deletes it on the server. */
  abort: (options?: { terminate?: boolean }) => Promise<void>
}

/** What {@link useUpload} returns. */
export interface UseUploadResult extends UploadSnapshot, UploadControls {}

/** One file of {@link useUploads}. */
export interface UploadItem extends UploadSnapshot, UploadControls {
  /** The file, as given. */
  file: SourceInput
}

/** What {@link useUploads} returns. */
export interface UseUploadsResult {
  /** One item per distinct file, in the order given. */
  items: UploadItem[]
  /** Sums over the items; `bytesTotal` is undefined while any size is unknown. */
  progress: UploadProgress
  /** Starts (or joins) every upload. */
  startAll: () => Promise<Array<UploadResult | undefined>>
  /** Pauses every upload. */
  pauseAll: () => void
  /** Resumes every paused upload. */
  resumeAll: () => void
  /** Aborts every upload. */
  abortAll: (options?: { terminate?: boolean }) => Promise<void>
}

const NO_PROGRESS: UploadProgress = { bytesSent: 0, bytesAcked: 0, bytesTotal: undefined }
const IDLE: UploadSnapshot = { state: 'idle', progress: NO_PROGRESS, url: undefined, error: undefined, result: undefined }
const NO_FILES: readonly SourceInput[] = []

/** A snapshot and the Upload it belongs to: events of a replaced Upload must not land. */
interface Tracked extends UploadSnapshot {
  upload: Upload
}

type Snapshots = ReadonlyMap<SourceInput, Tracked>

/**
 * The Uploads of one component, by file. Lives in a ref, so StrictMode's extra effect run finds
 * the Upload the first run made instead of making another one.
 */
class UploadSet {
  private readonly uploads = new Map<SourceInput, Upload>()
  /** The files of the mounted component; undefined between an effect's cleanup and its next run. */
  live: readonly SourceInput[] | undefined

  constructor(
    private readonly options: () => UseUploadOptions,
    private readonly update: (change: (previous: Snapshots) => Snapshots) => void,
  ) {}

  has(file: SourceInput): boolean {
    return this.uploads.has(file)
  }

  async start(file: SourceInput): Promise<UploadResult | undefined> {
    let upload = this.uploads.get(file)
    if (upload === undefined || upload.state === 'failed' || upload.state === 'aborted') upload = this.create(file, upload)
    try {
      const result = await upload.start()
      this.publish(file, upload, { result })
      return result
    } catch {
      // The 'error' and 'state' events already told the snapshot.
      return undefined
    }
  }

  pause(file: SourceInput): void {
    this.uploads.get(file)?.pause()
  }

  resume(file: SourceInput): void {
    this.uploads.get(file)?.resume()
  }

  async abort(file: SourceInput, options?: { terminate?: boolean }): Promise<void> {
    await this.uploads.get(file)?.abort(options)
  }

  /** Lets go of the Uploads of files no longer live: aborted unless `keepAlive`. */
  reconcile(): void {
    const live = new Set(this.live ?? NO_FILES)
    const gone: SourceInput[] = []
    for (const [file, upload] of this.uploads) {
      if (live.has(file)) continue
      this.uploads.delete(file)
      gone.push(file)
      if (!this.options().keepAlive) void upload.abort()
    }
    if (gone.length === 0) return
    this.update((previous) => {
      const next = new Map(previous)
      for (const file of gone) next.delete(file)
      return next
    })
  }

  private create(file: SourceInput, previous: Upload | undefined): Upload {
    const { autoStart: _autoStart, keepAlive: _keepAlive, ...options } = this.options()
    const url = previous?.state === 'failed' ? previous.url : undefined
    const upload = new Upload(file, url === undefined ? options : { ...options, url })
    upload.on('state', ({ state }) => this.publish(file, upload, { state }))
    upload.on('progress', (progress) => this.publish(file, upload, { progress }))
    upload.on('url', ({ url: next }) => this.publish(file, upload, { url: next }))
    upload.on('error', (error) => this.publish(file, upload, { error }))
    this.uploads.set(file, upload)
    this.update((snapshots) => new Map(snapshots).set(file, { ...IDLE, url: upload.url, upload }))
    return upload
  }

  private publish(file: SourceInput, upload: Upload, change: Partial<UploadSnapshot>): void {
    this.update((snapshots) => {
      const current = snapshots.get(file)
      if (current?.upload !== upload) return snapshots
      return new Map(snapshots).set(file, { ...current, ...change })
    })
  }
}

/** The same array as last time while the files are the same, so effects do not re-run. */
function useStableFiles(files: readonly SourceInput[]): readonly SourceInput[] {
  const ref = useRef(files)
  const previous = ref.current
  if (previous !== files && (previous.length !== files.length || previous.some((file, index) => file !== files[index]))) {
    ref.current = files
  }
  return ref.current
}

/** The shared core of both hooks. */
function useUploadSet(files: readonly SourceInput[], options: UseUploadOptions): { set: UploadSet; snapshots: Snapshots; files: readonly SourceInput[] } {
  const [snapshots, setSnapshots] = useState<Snapshots>(() => new Map())
  const optionsRef = useRef(options)
  optionsRef.current = options
  const [set] = useState(() => new UploadSet(() => optionsRef.current, setSnapshots))
  const stable = useStableFiles(files)
  const autoStart = options.autoStart === true

  useEffect(() => {
    set.live = stable
    if (autoStart) {
      for (const file of stable) if (!set.has(file)) void set.start(file)
    }
    return () => {
      set.live = undefined
      // Deferred: StrictMode runs this cleanup and the effect again at once, and that second run
      // claims the same Uploads. Only files still not live afterwards are let go.
      setTimeout(() => set.reconcile(), 0)
    }
  }, [set, stable, autoStart])

  return { set, snapshots, files: stable }
}

function snapshotOf(snapshots: Snapshots, file: SourceInput | null | undefined): UploadSnapshot {
  const tracked = file == null ? undefined : snapshots.get(file)
  if (tracked === undefined) return IDLE
  const { state, progress, url, error, result } = tracked
  return { state, progress, url, error, result }
}

/**
 * Uploads `file` with a resumable Upload and mirrors its state into React state. A new file
 * starts from a clean slate (`idle`); the previous file's upload is aborted unless `keepAlive`.
 * @param file what to upload; null or undefined for nothing yet
 * @param options the Upload's options (read when an Upload is made) plus `autoStart` and `keepAlive`
 * @example
 * ```tsx
 * const { start, progress, state } = useUpload(file, { endpoint: '/uploads' })
 * return <button onClick={() => void start()}>{state} {progress.bytesAcked}</button>
 * ```
 */
export function useUpload(file: SourceInput | null | undefined, options: UseUploadOptions): UseUploadResult {
  const files = useMemo(() => (file == null ? NO_FILES : [file]), [file])
  const { set, snapshots } = useUploadSet(files, options)
  const start = useCallback(async () => (file == null ? undefined : set.start(file)), [set, file])
  const pause = useCallback(() => {
    if (file != null) set.pause(file)
  }, [set, file])
  const resume = useCallback(() => {
    if (file != null) set.resume(file)
  }, [set, file])
  const abort = useCallback(
    async (abortOptions?: { terminate?: boolean }) => {
      if (file != null) await set.abort(file, abortOptions)
    },
    [set, file],
  )
  return { ...snapshotOf(snapshots, file), start, pause, resume, abort }
}

/**
 * Uploads a list of files, each with its own Upload, with the guarantees of {@link useUpload}:
 * one Upload per file under StrictMode, and a file that leaves the list (or the component that
 * unmounts) has its upload aborted unless `keepAlive`. A file given twice is one item.
 * @param files what to upload (a new array each render is fine; files are compared one by one)
 * @param options as for {@link useUpload}, shared by every file
 * @example
 * ```tsx
 * const { items, startAll } = useUploads(files, { endpoint: '/uploads' })
 * ```
 */
export function useUploads(files: readonly SourceInput[], options: UseUploadOptions): UseUploadsResult {
  const distinct = useMemo(() => [...new Set(files)], [files])
  const { set, snapshots, files: stable } = useUploadSet(distinct, options)
  const items = useMemo(
    () =>
      stable.map((file): UploadItem => ({
        file,
        ...snapshotOf(snapshots, file),
        start: () => set.start(file),
        pause: () => set.pause(file),
        resume: () => set.resume(file),
        abort: (abortOptions) => set.abort(file, abortOptions),
      })),
    [set, snapshots, stable],
  )
  const startAll = useCallback(() => Promise.all(stable.map((file) => set.start(file))), [set, stable])
  const pauseAll = useCallback(() => stable.forEach((file) => set.pause(file)), [set, stable])
  const resumeAll = useCallback(() => stable.forEach((file) => set.resume(file)), [set, stable])
  const abortAll = useCallback(
    async (abortOptions?: { terminate?: boolean }) => {
      await Promise.all(stable.map((file) => set.abort(file, abortOptions)))
    },
    [set, stable],
  )
  return { items, progress: sumProgress(items), startAll, pauseAll, resumeAll, abortAll }
}

function sumProgress(items: readonly UploadItem[]): UploadProgress {
  let bytesSent = 0
  let bytesAcked = 0
  let bytesTotal: number | undefined = 0
  for (const { progress } of items) {
    bytesSent += progress.bytesSent
    bytesAcked += progress.bytesAcked
    bytesTotal = bytesTotal === undefined || progress.bytesTotal === undefined ? undefined : bytesTotal + progress.bytesTotal
  }
  return { bytesSent, bytesAcked, bytesTotal }
}
