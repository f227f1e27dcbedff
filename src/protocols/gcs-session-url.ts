/**
 * Where a GCS upload goes: the session URI the app's backend opened, given as a string or
 * obtained per file from a function, and checked before any request is sent to it. Part of the
 * GCS protocol (./gcs). No I/O of its own: it only awaits the app's function.
 * @module
 */
import { UploadError } from '../errors'

/** What a `sessionUrl` function is told about the file, to open a session for it. */
export interface GcsFile {
  /** The file's name, when known. */
  name?: string
  /** Its media type, when known. */
  type?: string
  /** Its size in bytes; undefined for a stream of unknown length. */
  size: number | undefined
  /** The Upload's `metadata` option. */
  metadata: Record<string, string>
}

/**
 * A resumable upload session URI (from `POST …/o?uploadType=resumable`, or a signed URL sent
 * `x-goog-resumable: start`, made by the app's backend), or a function that opens one per file.
 */
export type GcsSessionUrl = string | ((file: GcsFile) => Promise<string>)

/** Where GCS session URIs live, unless `allowedOrigins` says otherwise. */
export const GCS_ORIGIN = 'https://storage.googleapis.com'

/**
 * The origin of an absolute http(s) URL without credentials, or undefined.
 * @param value a URL
 */
export function httpOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value)
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') return undefined
    return url.origin
  } catch {
    return undefined
  }
}

/**
 * The session URI for `file`: the string option as it is, or what the function answers, checked.
 * @param option the `sessionUrl` option
 * @param file what the function is told
 * @param origins the origins a session URI may be on
 * @throws UploadError `network` (retryable, cause kept) when the function throws or rejects with
 *   anything but an UploadError (which is thrown as it is); `malformed-response` when it answers
 *   anything but an absolute http(s) URL; `location-refused` when that URL's origin is not in `origins`
 */
export async function resolveSessionUrl(option: GcsSessionUrl, file: GcsFile, origins: ReadonlySet<string>): Promise<string> {
  let url: unknown = option
  if (typeof option === 'function') {
    try {
      url = await option(file)
    } catch (cause) {
      if (cause instanceof UploadError) throw cause
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new UploadError('network', `sessionUrl failed: ${reason}`, { cause, retryable: true })
    }
  }
  const origin = httpOrigin(url)
  if (origin === undefined) throw new UploadError('malformed-response', 'sessionUrl must give an absolute http(s) URL', { retryable: false })
  if (!origins.has(origin)) {
    throw new UploadError('location-refused', `sessionUrl gave a URL on ${origin}, which is not allowed (see gcs({ allowedOrigins }))`, { retryable: false })
  }
  return url as string
}
