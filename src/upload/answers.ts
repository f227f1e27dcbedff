/**
 * How the session reads the final answer to each kind of request: discovery, offset (HEAD),
 * creation and append. Pure; part of the session (./session), split out by size.
 * @module
 */
import { UploadError } from '../errors'
import type { HttpResponse, ProtocolResult } from '../types'
import { MAX_MISMATCHES_IN_A_ROW, checkAppendProgress, checkCompletion, unexpected } from './rules'
import type { Outcome, Sent } from './session-types'
import type { UploadSession } from './session'

/** The session's reading of the final answer to `sent`. */
export function answer(s: UploadSession, sent: Sent, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  switch (sent.kind) {
    case 'discover':
      if (result.kind !== 'discovered') throw unexpected(result)
      s.discovered = true
      s.mergeLimits(result.limits)
      return undefined
    case 'offset':
      return answerOffset(s, sent.url, result, response)
    case 'create':
      return answerCreate(s, sent, result, response)
    case 'append':
      return answerAppend(s, sent, result, response)
  }
}

function answerOffset(s: UploadSession, url: string, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  if (result.kind === 'gone') return s.restartAfterGone()
  if (result.kind !== 'offset') throw unexpected(result)
  const size = s.config.size
  if (result.length !== undefined && size !== undefined && result.length !== size) {
    throw new UploadError('length-mismatch', `the server expects ${result.length} bytes, the source has ${size}`, { retryable: false })
  }
  if (result.complete) checkCompletion(result.offset, size)
  s.acceptOffset(result.offset)
  s.needsOffset = false
  s.mergeLimits(result.limits)
  return result.complete ? { url, response } : undefined
}

function answerCreate(s: UploadSession, sent: Extract<Sent, { kind: 'create' }>, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  s.offset = 0
  if (result.kind === 'complete') {
    checkCompletion(result.offset, s.config.size ?? sent.length ?? 0)
    return { url: s.finalUrl(result.url), response }
  }
  if (result.kind === 'too-large') return s.shrink(result.limits, sent.length ?? 0)
  if (result.kind !== 'created') throw unexpected(result)
  s.learnUrl(result.url, 'created')
  s.mergeLimits(result.limits)
  if (sent.length !== undefined) {
    s.acceptOffset(result.offset ?? sent.length)
    s.acknowledged(0)
  }
  // Only a server that stored every byte of a completing request and did not complete is wrong.
  if (sent.complete && sent.length !== undefined && s.offset === sent.length) {
    throw new UploadError('malformed-response', 'the server did not complete an upload whose last byte it received', { retryable: false })
  }
  return undefined
}

function answerAppend(s: UploadSession, sent: Extract<Sent, { kind: 'append' }>, result: ProtocolResult, response: HttpResponse): Outcome['done'] {
  const { offset: start, length, complete } = sent
  switch (result.kind) {
    case 'appended':
      if (complete) throw new UploadError('malformed-response', 'the server did not report the upload complete after its last byte', { retryable: false })
      s.acceptOffset(result.offset ?? start + length)
      s.mismatches = 0
      checkAppendProgress(s.offset - start, length, response.status)
      s.acknowledged(start)
      return undefined
    case 'complete':
      if (!complete) throw new UploadError('malformed-response', 'the server reported the upload complete before its last byte', { retryable: false })
      checkCompletion(result.offset, start + length)
      s.out.push({ kind: 'chunk', start, end: start + length, save: false })
      return { url: s.finalUrl(result.url), response }
    case 'mismatch':
      if (++s.mismatches > MAX_MISMATCHES_IN_A_ROW) throw new UploadError('offset-invalid', 'the server keeps rejecting the offset', { status: 409 })
      if (result.offset === undefined) s.needsOffset = true
      else s.acceptOffset(result.offset)
      return undefined
    case 'gone':
      return s.restartAfterGone()
    case 'too-large':
      return s.shrink(result.limits, length)
    default:
      throw unexpected(result)
  }
}
