/**
 * One part of a parts upload, sent until S3 stores it: signed afresh on every attempt, re-signed
 * at once after an expired signature (at most `maxReSigns` times), retried on its own with
 * p-retry's backoff after a retryable failure (after the answer's `Retry-After` first, capped by
 * `maxRetryAfter`). Its progress and retries go to the runner.
 *
 * A part's first attempt may use a signature asked for ahead of its turn ({@link signAhead}),
 * while the parts before it were in flight, so that no slot waits a round trip to the signing
 * backend between two parts. Such a signature is used only while it is fresh
 * ({@link SIGNED_AHEAD_FRESH}); one that went stale turns signing ahead off for the round (parts
 * that slow gain nothing from it), and one whose signing failed is signed again in the attempt,
 * where its failure counts.
 * @module
 */
import type { RetryOptions, UploadEvents } from '../options'
import type { S3Protocol } from '../protocols/s3'
import type { S3File, S3PartResult, S3PlannedPart, S3UploadRef } from '../protocols/s3-types'
import type { SourceChunk } from '../types'
import { callback, withRetry } from './parts-runner-calls'
import type { PartSender } from './parts-runner-types'

/** What sending parts of one upload needs. */
export interface PartContext {
  /** Signs through its callbacks and reads the answers. */
  protocol: S3Protocol
  /** The file description the callbacks receive. */
  file: S3File
  /** The multipart upload the parts belong to. */
  upload: S3UploadRef
  /** Sends one part. */
  send: PartSender
  /** p-retry options for each part. */
  retry: RetryOptions
  /** The longest `Retry-After` honoured, seconds (the `maxRetryAfter` option). Default: 300. */
  maxRetryAfter?: number | undefined
  /** Re-signs of one part after expired signatures before it fails. */
  maxReSigns: number
  /** The round's signal: pause, abort, or the round ended. */
  signal: AbortSignal
  /** The clock, ms since the epoch. */
  now: () => number
  /** The body of `part`, afresh for each attempt. */
  chunk: (part: S3PlannedPart) => Promise<SourceChunk>
  /** Body bytes of part `number` sent so far in its current attempt. */
  onProgress: (number: number, sent: number) => void
  onRetry: (event: UploadEvents['retry']) => void
  /** Resolves once the network is back, or undefined when online. */
  offline?: (signal: AbortSignal) => Promise<void> | undefined
  /** A part URL was signed (the runner names the object after it when completion gives no location). */
  onSigned?: (url: string) => void
  /** Parts signed ahead of their turn; absent: each attempt signs its part. */
  ahead?: SignedAhead
}

/** A signature asked for ahead: when (ms since the epoch), and the answer (undefined when signing failed). */
interface EarlySignature {
  at: number
  answer: Promise<unknown>
}

/** The parts of one round signed ahead of their turn. */
export interface SignedAhead {
  /** By part number. */
  parts: Map<number, EarlySignature>
  /** Set once a signature went stale before its turn: the round signs no more ahead. */
  off: boolean
}

/**
 * How long a part signed ahead stays good to send with, ms. Presigned URLs last minutes (S3's
 * presigner 15 by default, Uppy's backend examples 15 as well); a part that waited longer is
 * signed again, so a URL never expires because it was signed early.
 */
export const SIGNED_AHEAD_FRESH = 60_000

/** Asks for `part`'s signature now, for its first attempt (see the module's note). */
export function signAhead(ctx: PartContext, part: S3PlannedPart): void {
  const ahead = ctx.ahead
  if (ahead === undefined) return
  // A signature still waiting after SIGNED_AHEAD_FRESH: parts this slow gain nothing from signing ahead.
  for (const early of ahead.parts.values()) if (stale(ctx, early)) ahead.off = true
  if (ahead.off || ahead.parts.has(part.number) || ctx.signal.aborted) return
  const answer = ctx
    .chunk(part)
    .then((chunk) => sign(ctx, part, chunk))
    .catch(() => undefined)
  ahead.parts.set(part.number, { at: ctx.now(), answer })
}

function stale(ctx: PartContext, early: EarlySignature): boolean {
  return ctx.now() - early.at >= SIGNED_AHEAD_FRESH
}

/**
 * Sends `part` until S3 stores it and resolves with its ETag.
 * @throws UploadError: `upload-gone` when S3 forgot the upload, `aborted` when the signal fired,
 *   else the last failure once it is not retryable or the retries ran out
 */
export async function sendPart(ctx: PartContext, part: S3PlannedPart): Promise<string> {
  const final = new WeakSet<object>()
  let reSigns = 0
  return withRetry(
    async () => {
      for (;;) {
        const result = await attemptPart(ctx, part)
        if (result.kind === 'stored') return result.etag
        if (result.kind === 're-sign' && reSigns++ < ctx.maxReSigns) continue
        if (result.kind === 're-sign') final.add(result.error)
        throw result.error
      }
    },
    { retry: ctx.retry, signal: ctx.signal, final, onRetry: ctx.onRetry, offline: ctx.offline, maxRetryAfter: ctx.maxRetryAfter },
  )
}

/** `signPart` for `part`, whose body is `chunk`. */
function sign(ctx: PartContext, part: S3PlannedPart, chunk: SourceChunk): Promise<unknown> {
  const { protocol, signal } = ctx
  // As @uppy/aws-s3 does, a Blob part goes to signPart too (a slice: nothing is read).
  const body = typeof Blob !== 'undefined' && chunk.body instanceof Blob ? { body: chunk.body } : {}
  const options = { ...ctx.upload, partNumber: part.number, signal, ...body }
  return callback(protocol, 'signPart', signal, () => protocol.callbacks.signPart(ctx.file, options))
}

/** The signature asked for ahead of `part`'s turn, when there is a fresh one (taken: later attempts sign afresh). */
async function signedAhead(ctx: PartContext, part: S3PlannedPart): Promise<unknown> {
  const ahead = ctx.ahead
  const early = ahead?.parts.get(part.number)
  if (ahead === undefined || early === undefined) return undefined
  ahead.parts.delete(part.number)
  if (!stale(ctx, early)) return early.answer
  ahead.off = true
  return undefined
}

/** Signs `part` (or takes its signature asked for ahead) and sends it once. */
async function attemptPart(ctx: PartContext, part: S3PlannedPart): Promise<S3PartResult> {
  const { protocol, signal } = ctx
  const chunk = await ctx.chunk(part)
  const signed = (await signedAhead(ctx, part)) ?? (await sign(ctx, part, chunk))
  const request = protocol.partRequest(signed, part)
  ctx.onSigned?.(request.url)
  ctx.onProgress(part.number, 0)
  try {
    const response = await ctx.send(request, chunk, { signal, onProgress: (sent) => ctx.onProgress(part.number, sent) })
    return protocol.readPartResponse(request, response, ctx.now())
  } finally {
    ctx.onProgress(part.number, 0)
  }
}
