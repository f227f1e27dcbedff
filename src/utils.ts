/** Small helpers shared by the Upload and the entries. @module */
import { UploadError } from './errors'

/** The origin of an absolute URL (`https://host:port`), or '' when it is not a URL. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return ''
  }
}

/** The error of a run or a request stopped by pause() (`state` paused) or abort(). */
export function aborted(state: string, cause?: unknown): UploadError {
  return new UploadError('aborted', `the upload was ${state}`, { retryable: false, cause })
}

/** Any thrown value as an UploadError: AbortError becomes `aborted`, the rest keeps its cause. */
export function toUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error
  if (error instanceof Error && error.name === 'AbortError') return aborted('aborted', error)
  const message = error instanceof Error ? error.message : String(error)
  return new UploadError('network', `unexpected failure: ${message}`, { retryable: false, cause: error })
}

/**
 * `load`, called once and remembered: for code loaded with `import()` on first use. A failed load
 * (a chunk that did not arrive) is a retryable `network` UploadError naming `what`, and the next
 * call loads again.
 */
export function loadOnce<T>(load: () => Promise<T>, what = 'a part of resumable-upload'): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () =>
    (loading ??= load().catch((cause: unknown) => {
      loading = undefined
      throw new UploadError('network', `${what} could not be loaded`, { cause })
    }))
}
