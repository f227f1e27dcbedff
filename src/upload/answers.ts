/**
 * How the session reads the final answer to each kind of request (discovery, offset (HEAD),
 * creation, append), and the rules that change its state on an answer: a URL learned, an offset
 * accepted, limits merged, a 413, a gone upload. Pure; part of the session (./session), loaded
 * with ./responses once the first request is on its way.
 * @module
 */
import { UploadError } from '../errors'
import { checkLimits } from '../protocols/limits'
import type { HttpResponse, ProtocolResult, UploadLimits, UrlSource } from '../types'
import { MAX_MISMATCHES_IN_A_ROW, checkAppendProgress, checkCompletion, checkOffset, sizeAfter413, unexpected } from './rules'
import type { Outcome, Sent } from './session-types'
import type { UploadSession } from './session'

/** The session's reading of the final answer to `sent`. */
export function answer(s: UploadSession, sent: Sent, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  switch (sent.kind) {
    case 'discover':
      if (result.kind !== 'discovered') throw unexpected(result)
      s.discovered = true
      return mergeLimits(s, result.limits)
    case 'offset':
      return answerOffset(s, sent.url, result, response)
    case 'create':
      return answerCreate(s, sent, result, response)
    case 'append':
      return answerAppend(s, sent, result, response)
  }
}

function answerOffset(s: UploadSession, url: string, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  if (result.kind === 'gone') return restartAfterGone(s)
  if (result.kind !== 'offset') throw unexpected(result)
  const size = s.config.size
  if (result.length !== undefined && size !== undefined && result.length !== size) {
    throw new UploadError('length-mismatch', `the server expects ${result.length} bytes, the source has ${size}`, { retryable: false })
  }
  if (result.complete) checkCompletion(result.offset, size)
  acceptOffset(s, result.offset)
  s.needsOffset = false
  mergeLimits(s, result.limits)
  return result.complete ? { url, response } : undefined
}

function answerCreate(s: UploadSession, sent: Extract<Sent, { kind: 'create' }>, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  const length = sent.length
  s.offset = 0
  if (result.kind === 'complete') {
    checkCompletion(result.offset, s.config.size ?? length ?? 0)
    return { url: finalUrl(s, result.url), response }
  }
  if (result.kind === 'too-large') return shrink(s, result.limits, length ?? 0)
  if (result.kind !== 'created') throw unexpected(result)
  learnUrl(s, result.url, 'created')
  mergeLimits(s, result.limits)
  if (length !== undefined) {
    acceptOffset(s, result.offset ?? length)
    s.out.push({ kind: 'chunk', start: 0, end: s.offset, save: true })
    // Only a server that stored every byte of a completing request and did not complete is wrong.
    if (sent.complete && s.offset === length)
      throw new UploadError('malformed-response', 'the server did not complete an upload whose last byte it received', { retryable: false })
  } else if (result.offset) acceptOffset(s, result.offset) // no body, bytes held already (GCS: a session handed out again)
  return undefined
}

function answerAppend(s: UploadSession, sent: Extract<Sent, { kind: 'append' }>, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  const { offset: start, length, complete } = sent
  switch (result.kind) {
    case 'appended':
      if (complete) throw new UploadError('malformed-response', 'the server did not report the upload complete after its last byte', { retryable: false })
      acceptOffset(s, result.offset ?? start + length)
      s.mismatches = 0
      checkAppendProgress(s.offset - start, length, response.status)
      s.out.push({ kind: 'chunk', start, end: s.offset, save: true })
      return undefined
    case 'complete':
      if (!complete) throw new UploadError('malformed-response', 'the server reported the upload complete before its last byte', { retryable: false })
      checkCompletion(result.offset, start + length)
      s.out.push({ kind: 'chunk', start, end: start + length, save: false })
      return { url: finalUrl(s, result.url), response }
    case 'mismatch':
      if (++s.mismatches > MAX_MISMATCHES_IN_A_ROW) throw new UploadError('offset-invalid', 'the server keeps rejecting the offset', { status: 409 })
      if (result.offset === undefined) s.needsOffset = true
      else acceptOffset(s, result.offset)
      return undefined
    case 'gone':
      return restartAfterGone(s)
    case 'too-large':
      return shrink(s, result.limits, length)
    default:
      throw unexpected(result)
  }
}

/** Accepts an upload URL from a 104 or a creation response, after the origin and consistency checks. */
export function learnUrl(s: UploadSession, url: string, via: UrlSource): void {
  if (!s.config.trusted(url)) {
    throw new UploadError('location-refused', 'the server sent an upload URL on an origin that is not allowed (see `allowedOrigins`)', { retryable: false })
  }
  // One creation request makes one upload: a later 104 or its final response must name the same URL.
  if (s.url !== undefined && s.urlVia === '104') {
    if (url === s.url) return
    s.out.push({ kind: 'cancel', url: s.url })
    throw new UploadError('location-changed', 'the server named two upload URLs for one creation', { retryable: false })
  }
  if (s.url === url) return
  s.url = url
  s.urlVia = via
  s.round.learnedUrl = true
  s.out.push({ kind: 'url', url, via })
}

function acceptOffset(s: UploadSession, offset: number): void {
  checkOffset(offset, s.config.size, s.acked)
  s.offset = s.acked = offset
  s.sent = Math.max(s.sent, offset)
  s.out.push({ kind: 'progress' })
}

/** Merges limits the server announced; limits the source cannot meet fail, cancelling a known upload. */
export function mergeLimits(s: UploadSession, limits: UploadLimits): undefined {
  s.limits = { ...s.limits, ...limits }
  const error = checkLimits(s.config.size, s.limits)
  if (!error) return
  if (s.url !== undefined) s.out.push({ kind: 'cancel', url: s.url })
  throw error
}

function shrink(s: UploadSession, limits: UploadLimits, sent: number): undefined {
  mergeLimits(s, limits)
  s.cap = Math.min(s.cap, sizeAfter413(sent, s.limits))
  s.needsOffset = s.url !== undefined
  return undefined
}

function restartAfterGone(s: UploadSession): undefined {
  const { restartOnGone, endpoint, maxRestarts } = s.config
  if (!restartOnGone || endpoint === undefined) throw new UploadError('upload-gone', 'the upload no longer exists on the server', { retryable: false })
  if (s.restarts >= maxRestarts) throw new UploadError('upload-gone', 'the upload was gone again (see `maxRestarts`)', { retryable: false })
  s.restarts++
  s.out.push({ kind: 'forget' })
  s.url = s.urlVia = undefined
  s.offset = s.acked = s.sent = s.round.ackedAtStart = 0
  s.needsOffset = false
  return undefined
}

function finalUrl(s: UploadSession, url: string | undefined): string {
  const final = url ?? s.url ?? s.config.endpoint
  if (final === undefined) throw new UploadError('location-missing', 'the upload completed without any URL', { retryable: false })
  return final
}
