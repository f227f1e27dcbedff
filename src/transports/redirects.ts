/**
 * Redirects, which no transport follows: telling one apart, the `redirect-refused` error, and
 * noticing that a browser (XHR) followed one anyway.
 * @module
 */
import { UploadError } from '../errors'

/** Statuses that send the request elsewhere (with a `Location`). */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

/**
 * Whether a response is a redirect: a 301, 302, 303, 307 or 308 that names a `Location`.
 * @param status the response status
 * @param location its `Location` field, if any
 */
export function isRedirect(status: number, location: string | null | undefined): boolean {
  return REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== ''
}

/**
 * The `redirect-refused` error (not retryable): the transports never follow a redirect, so the
 * user's headers and bytes never reach an origin the Upload did not allow, and no answer from
 * there is trusted. The message names the target's origin only (an upload URL is a capability).
 * @param requestUrl the URL the request went to
 * @param target where the redirect points (absolute or relative), when the transport can see it
 * @param status the redirect's status, when the transport can see it
 */
export function redirectRefused(requestUrl: string, target?: string, status?: number): UploadError {
  let where = 'another URL'
  try {
    if (target !== undefined) where = new URL(target, requestUrl).origin
  } catch {
    where = 'an invalid URL'
  }
  const what = status === undefined ? 'a redirect' : `a ${status} redirect`
  return new UploadError('redirect-refused', `the server answered with ${what} to ${where}; redirects are never followed (use the final URL as the endpoint)`, {
    retryable: false,
    ...(status === undefined ? {} : { status }),
  })
}

/**
 * Whether a browser followed a redirect: the response's URL (`responseURL`, without fragment) is
 * not the request's.
 * @param requestUrl the URL the request went to
 * @param responseUrl the URL the answer came from ('' when unknown)
 */
export function wasRedirected(requestUrl: string, responseUrl: string): boolean {
  if (responseUrl === '') return false
  try {
    const asked = new URL(requestUrl)
    asked.hash = ''
    return asked.href !== new URL(responseUrl).href
  } catch {
    return true
  }
}
