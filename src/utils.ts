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

/** Any thrown value as an UploadError: AbortError becomes `aborted`, the rest keeps its cause. */
export function toUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error
  if (error instanceof Error && error.name === 'AbortError') {
    return new UploadError('aborted', 'the upload was aborted', { retryable: false, cause: error })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new UploadError('network', `unexpected failure: ${message}`, { retryable: false, cause: error })
}
