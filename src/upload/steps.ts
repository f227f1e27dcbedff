/**
 * One attempt of the Upload's loop: ask the session for a step, perform it (slice the source,
 * build the protocol's request, send it), and hand the answer back, until the session says the
 * upload is done or an error ends the attempt.
 * @module
 */
import { UploadError } from '../errors'
import type { UploadResult } from '../options'
import type { RequestSender } from '../request-sender'
import type { HttpResponse, Protocol, RequestDescription, RequestKind, Source, SourceChunk } from '../types'
import { digestHeaders } from './digest'
import type { Outcome, Sent, Step, UploadSession } from './session'

/** What a step needs from the Upload. */
export interface LoopContext {
  source: Source
  protocol: Protocol
  session: UploadSession
  sender: RequestSender
  endpoint: string | undefined
  metadata: Record<string, string>
  /** Abort the request in flight (abort, pause). */
  signals: AbortSignal[]
  /** Performs the session's effects, then throws its error. */
  apply: (outcome: Outcome) => void
}

/** Steps until the upload is complete (resolves) or a step fails (rejects; p-retry decides what next). */
export async function performStep(ctx: LoopContext): Promise<UploadResult> {
  for (;;) {
    const { step, effects } = ctx.session.next()
    ctx.apply({ effects })
    const done = await perform(ctx, step)
    if (done) return done
  }
}

async function perform(ctx: LoopContext, step: Step): Promise<UploadResult | undefined> {
  const { protocol, source } = ctx
  switch (step.kind) {
    case 'stopped':
      throw new UploadError('aborted', `the upload was ${step.state}`, { retryable: false })
    case 'discover': {
      const request = ctx.endpoint === undefined ? undefined : protocol.discoverRequest?.(ctx.endpoint)
      if (!request) throw new UploadError('malformed-response', 'no discovery request', { retryable: false })
      return exchange(ctx, 'discover', request, undefined, { kind: 'discover' })
    }
    case 'offset':
      return exchange(ctx, 'offset', protocol.offsetRequest(step.url), undefined, { kind: 'offset', url: step.url })
    case 'create': {
      const endpoint = ctx.endpoint
      if (endpoint === undefined) throw new UploadError('upload-gone', 'the upload is gone and no endpoint is set to create a new one', { retryable: false })
      const chunk = step.end === undefined ? undefined : await source.slice(0, step.end)
      const complete = chunk ? chunk.last : source.size === 0
      const request = protocol.createRequest({
        ...{ endpoint, size: source.size, body: chunk ? { start: 0, end: chunk.length } : null, complete, metadata: ctx.metadata },
        ...(source.name === undefined ? {} : { name: source.name }),
        ...(source.type === undefined ? {} : { type: source.type }),
      })
      // A protocol may leave the body out (tus without creation-with-upload): then none is sent.
      const sent = request.body === null ? undefined : chunk
      return exchange(ctx, 'create', request, sent, { kind: 'create', length: sent?.length, complete })
    }
    case 'append': {
      const chunk = await source.slice(step.offset, step.end)
      const { url, offset } = step
      const request = protocol.appendRequest({ url, offset, end: offset + chunk.length, size: source.size, complete: chunk.last })
      return exchange(ctx, 'append', request, chunk, { kind: 'append', url, offset, length: chunk.length, complete: chunk.last })
    }
  }
}

/** Sends one request and hands its answer (and any interim responses) to the session. */
async function exchange(
  ctx: LoopContext,
  kind: RequestKind,
  request: RequestDescription,
  chunk: SourceChunk | undefined,
  sent: Sent,
): Promise<UploadResult | undefined> {
  const { session, protocol } = ctx
  if (session.state === 'paused' || session.state === 'aborted') throw new UploadError('aborted', `the upload was ${session.state}`, { retryable: false })
  const body = chunk ? await digestHeaders(protocol, request, chunk) : { headers: {}, chunk }
  session.begin(sent)
  const started = Date.now()
  let response: HttpResponse
  try {
    response = await ctx.sender.send(request, body.chunk, body.headers, {
      signals: ctx.signals,
      onProgress: (bytes) => ctx.apply(session.progress(bytes)),
      onInterim: (interim) => ctx.apply(session.interim(protocol.interpretInterim(request, interim))),
      stopped: () => session.state === 'paused' || session.state === 'aborted',
    })
  } catch (error) {
    session.failed()
    throw error
  }
  const ms = Date.now() - started
  const outcome = session.receive(await protocol.interpret(kind, request, response), response, ms)
  ctx.apply(outcome)
  return outcome.done
}
