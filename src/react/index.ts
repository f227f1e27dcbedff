/**
 * React bindings: `useUpload(file, options)`. Safe under StrictMode's double effects (one Upload
 * per file, never two) and on the server (nothing touches `window` until `start()`).
 * @module
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { UploadError } from '../errors'
import { Upload } from '../index'
import type { UploadOptions, UploadProgress, UploadResult, UploadState } from '../options'
import type { SourceInput } from '../sources'
import { toUploadError } from '../utils'

/** Options of {@link useUpload}: the Upload's options plus two of the hook's own. */
export interface UseUploadOptions extends UploadOptions {
  /** Start as soon as a file is given. Default: false. */
  autoStart?: boolean
  /** Keep uploading after the component unmounts. Default: false (the upload is aborted). */
  keepAlive?: boolean
}

/** What {@link useUpload} returns. */
export interface UseUploadResult {
  /** The upload's state; `'idle'` before `start()` and when there is no file. */
  state: UploadState
  /** Byte counts, updated as the upload moves. */
  progress: UploadProgress
  /** The upload URL once known. */
  url: string | undefined
  /** The error that failed the upload, if it failed. */
  error: UploadError | undefined
  /** What `start()` resolved with, once complete. */
  result: UploadResult | undefined
  /** Starts (or joins) the upload of the current file; resolves like `Upload.start()`. */
  start: () => Promise<UploadResult | undefined>
  /** Pauses it. */
  pause: () => void
  /** Resumes it. */
  resume: () => void
  /** Aborts it (`terminate: true` also deletes it on the server). */
  abort: (options?: { terminate?: boolean }) => Promise<void>
}

const NO_PROGRESS: UploadProgress = { bytesSent: 0, bytesAcked: 0, bytesTotal: undefined }

/**
 * Uploads `file` with a resumable Upload and mirrors its state into React state.
 * @example
 * ```tsx
 * const { start, progress, state } = useUpload(file, { endpoint: '/uploads' })
 * return <button onClick={start}>{state} {progress.bytesAcked}</button>
 * ```
 */
export function useUpload(file: SourceInput | null | undefined, options: UseUploadOptions): UseUploadResult {
  const [state, setState] = useState<UploadState>('idle')
  const [progress, setProgress] = useState<UploadProgress>(NO_PROGRESS)
  const [url, setUrl] = useState<string | undefined>()
  const [error, setError] = useState<UploadError | undefined>()
  const [result, setResult] = useState<UploadResult | undefined>()
  const uploadRef = useRef<{ file: SourceInput; upload: Upload } | undefined>(undefined)
  const optionsRef = useRef(options)
  optionsRef.current = options

  const current = useCallback((): Upload | undefined => {
    if (file == null) return undefined
    const existing = uploadRef.current
    if (existing?.file === file) return existing.upload
    const upload = new Upload(file, optionsRef.current)
    upload.on('state', ({ state: next }) => setState(next))
    upload.on('progress', (next) => setProgress(next))
    upload.on('url', ({ url: next }) => setUrl(next))
    upload.on('error', (next) => setError(next))
    uploadRef.current = { file, upload }
    return upload
  }, [file])

  const start = useCallback(async (): Promise<UploadResult | undefined> => {
    const upload = current()
    if (!upload) return undefined
    try {
      const done = await upload.start()
      setResult(done)
      return done
    } catch (failure) {
      setError(toUploadError(failure))
      return undefined
    }
  }, [current])

  const fileRef = useRef(file)
  fileRef.current = file
  const mounted = useRef(false)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  useEffect(() => {
    if (uploadRef.current !== undefined && uploadRef.current.file !== file) {
      // A new file starts from a clean slate.
      setState('idle')
      setProgress(NO_PROGRESS)
      setUrl(undefined)
      setError(undefined)
      setResult(undefined)
    }
    if (optionsRef.current.autoStart && file != null) void start()
    return () => {
      const entry = uploadRef.current
      if (!entry || entry.file !== file || optionsRef.current.keepAlive) return
      // Deferred: StrictMode unmounts and remounts at once, and the remount keeps this upload.
      setTimeout(() => {
        if (!mounted.current || fileRef.current !== entry.file) void entry.upload.abort()
      }, 0)
    }
  }, [file, start])

  return {
    state,
    progress,
    url,
    error,
    result,
    start,
    pause: useCallback(() => uploadRef.current?.upload.pause(), []),
    resume: useCallback(() => uploadRef.current?.upload.resume(), []),
    abort: useCallback(async (abortOptions?: { terminate?: boolean }) => uploadRef.current?.upload.abort(abortOptions), []),
  }
}
