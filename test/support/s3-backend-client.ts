/**
 * The client side of s3-backend-http.ts: the five callbacks, each a `fetch` to the backend's JSON
 * endpoint. No Node imports, so a browser test page can bundle it as is; it is also what an app's
 * own callbacks look like.
 */
import type { S3Callbacks, S3File } from '../../src/protocols/s3-types'

/** The route of each callback. */
export const S3_ROUTES = {
  createMultipartUpload: '/s3/multipart',
  signPart: '/s3/multipart/sign-part',
  listParts: '/s3/multipart/list-parts',
  completeMultipartUpload: '/s3/multipart/complete',
  abortMultipartUpload: '/s3/multipart/abort',
} as const

/** A callback's name. */
export type S3Route = keyof typeof S3_ROUTES

/** An error answer of the endpoint: S3's code and the HTTP status. */
export class RemoteBackendError extends Error {
  override readonly name = 'RemoteBackendError'
  /**
   * @param code S3's error code (or the endpoint's own)
   * @param status the endpoint's status
   * @param message its message
   */
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The five callbacks, calling the endpoint at `baseUrl`. */
export function remoteS3Backend(baseUrl: string): S3Callbacks {
  const post = async (route: S3Route, file: S3File, options: Record<string, unknown>, signal: AbortSignal): Promise<unknown> => {
    const { signal: _signal, body: _body, ...json } = options
    const response = await fetch(new URL(S3_ROUTES[route], baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file, ...json }),
      signal,
    })
    const answer = (await response.json()) as { error?: { code: string; message: string } } | null
    if (!response.ok) throw new RemoteBackendError(answer?.error?.code ?? 'Unknown', response.status, answer?.error?.message ?? `${response.status}`)
    return answer ?? undefined
  }
  return {
    createMultipartUpload: (file, signal) => post('createMultipartUpload', file, {}, signal) as ReturnType<S3Callbacks['createMultipartUpload']>,
    signPart: (file, options) => post('signPart', file, { ...options }, options.signal) as ReturnType<S3Callbacks['signPart']>,
    listParts: (file, options) => post('listParts', file, { ...options }, options.signal) as ReturnType<S3Callbacks['listParts']>,
    completeMultipartUpload: (file, options) =>
      post('completeMultipartUpload', file, { ...options }, options.signal) as ReturnType<S3Callbacks['completeMultipartUpload']>,
    abortMultipartUpload: async (file, options) => {
      await post('abortMultipartUpload', file, { ...options }, options.signal)
    },
  }
}
