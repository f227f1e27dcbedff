/**
 * Reading what an XMLHttpRequest answered, loaded by the XHR transport while its first request
 * is sent: nothing here is needed before a response arrives.
 * @module
 */
import type { HttpResponse } from '../types'
import { headersFromText } from './header-text'
import { redirectRefused, wasRedirected } from './redirects'

/** What the transport copies out of a finished XMLHttpRequest (an abort would clear it). */
export interface XhrAnswer {
  /** `xhr.status`. */
  status: number
  /** `xhr.getAllResponseHeaders()`. */
  headers: string
  /** `xhr.responseText`, cut to the transport's limit. */
  body: string
  /** `xhr.responseURL` ('' when unknown). */
  url: string
}

/**
 * The response, unless the browser followed a redirect to get it: an answer from another URL
 * than the request's is never trusted (`redirect-refused`).
 * @param requestUrl the URL the request went to
 * @param answer what the XMLHttpRequest held
 * @throws UploadError `redirect-refused`
 */
export function readXhrAnswer(requestUrl: string, answer: XhrAnswer): HttpResponse {
  if (wasRedirected(requestUrl, answer.url)) throw redirectRefused(requestUrl, answer.url)
  return { status: answer.status, headers: headersFromText(answer.headers), body: answer.body }
}
