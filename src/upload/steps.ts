/**
 * One attempt of the Upload's loop: ask the session for a step, perform it (slice the source,
 * build the protocol's request, send it), and hand the answer back, until the session says the
 * upload is done or an error ends the attempt. What reads answers (./later, the protocol's
 * `interpret`) starts loading once a request is on its way and is awaited before its answer is read.
 * Only the creation is performed here: discovery, the offset and appends, which never come first
 * in a default browser upload, are in ./later-steps.
 * @module
 */
import type { UploadResult } from '../options'
import type { RequestSender } from '../request-sender'
import { aborted, loadOnce } from '../utils'
import type { HeaderMap, Protocol, RequestDescription, Source, SourceChunk } from '../types'
import type * as LaterModule from './later'
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

/** The module ./later: the session's response side and p-retry. */
export type Later = typeof LaterModule

let loaded: Later | undefined

/** ./later when it has loaded (it does once a request is on its way), else undefined. */
export const laterLoaded = (): Later | undefined => loaded

/** Loads ./later (once; see {@link loadOnce}). */
export const loadLater = loadOnce(() => import('./later').then((module) => (loaded = module)))

/** Steps until the upload is complete (resolves) or a step fails (rejects; p-retry decides what next). */
export async function performStep(ctx: LoopContext): Promise<UploadResult> {
  // A request with a body is sized by ./later's plan: an append comes after an answer (./later is
  // there then); a creation carries bytes only where interim responses can be seen, and their
  // reader is read the moment one arrives: there ./later loads first.
  if (ctx.sender.transport.seesInterimResponses) await loadLater()
  for (;;) {
    const next = ctx.session.next(loaded?.plan)
    ctx.apply(next)
    const done = await perform(ctx, next.step)
    if (done) return done
  }
}

export { aborted }

async function perform(ctx: LoopContext, step: Step): Promise<UploadResult | undefined> {
  const { protocol, source } = ctx
  // Discovery and creation come only while the upload has no URL, and then there is an endpoint:
  // the Upload requires an endpoint or a URL, and a gone upload restarts only with an endpoint
  // (./answers). The session discovers only when the Upload found a discovery request (Upload#run).
  const endpoint = ctx.endpoint as string
  switch (step.kind) {
    case 'stopped':
      throw aborted(step.state)
    case 'create': {
      const chunk = step.end === undefined ? undefined : await source.slice(0, step.end)
      const complete = chunk ? chunk.last : source.size === 0
      const { size, name, type } = source
      const request = protocol.createRequest({
        // A protocol may name where each creation goes (GCS: a session URI per file).
        endpoint: (await protocol.endpointFor?.(source, ctx.metadata)) ?? endpoint,
        size,
        body: chunk ? { start: 0, end: chunk.length } : null,
        complete,
        metadata: ctx.metadata,
        name,
        type,
      })
      // A protocol may leave the body out (tus without creation-with-upload): then none is sent.
      const sent = request.body === null ? undefined : chunk
      return exchange(ctx, request, sent, { kind: 'create', length: sent?.length, complete })
    }
    default:
      // Discovery, the offset and appends (./later-steps) never come first in a default browser upload.
      return (await loadLater()).laterStep(ctx, step, endpoint)
  }
}

/** Sends one request and hands its answer (and any interim responses) to the session. */
export async function exchange(ctx: LoopContext, request: RequestDescription, chunk: SourceChunk | undefined, sent: Sent): Promise<UploadResult | undefined> {
  const { session, protocol } = ctx
  const stopped = (): boolean => session.state === 'paused' || session.state === 'aborted'
  if (stopped()) throw aborted(session.state)
  let headers: HeaderMap = {}
  // A digest (tus `Upload-Checksum`) is computed here, so that protocols never read source bytes.
  if (chunk && protocol.bodyDigest?.(request)) ({ headers, chunk } = await (await import('./digest')).digestHeaders(protocol, request, chunk))
  // Loads what reads the answer, once per request.
  let warm: (() => void) | undefined = () => {
    warm = undefined
    protocol.warm?.()
    loadLater().catch(() => undefined)
  }
  session.begin(sent)
  const started = Date.now()
  try {
    const sending = ctx.sender.send(request, chunk, headers, {
      signals: ctx.signals,
      // The body is on its way: load what reads the answer meanwhile.
      onProgress: (bytes) => {
        warm?.()
        ctx.apply(session.progress(bytes))
      },
      onInterim: (interim) => ctx.apply((loaded as Later).interim(session, protocol.interpretInterim(request, interim))),
      stopped,
    })
    if (!chunk) warm?.()
    const response = await sending
    const ms = Date.now() - started
    const { receive } = await loadLater()
    const outcome = receive(session, await protocol.interpret(sent.kind, request, response), response, ms)
    ctx.apply(outcome)
    return outcome.done
  } catch (error) {
    // The request failed, or its answer could not be read: the offset is in doubt.
    if (session.inFlight) session.failed()
    throw error
  }
}
