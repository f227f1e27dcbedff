/**
 * One part of a parts upload, sent until S3 stores it: signed afresh on every attempt, re-signed
 * at once after an expired signature (at most `maxReSigns` times), retried on its own with
 * p-retry's backoff after a retryable failure (after the answer's `Retry-After` first, capped by
 * `maxRetryAfter`). Its progress and retries go to the runner.
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

/** Signs `part` and sends it once. */
async function attemptPart(ctx: PartContext, part: S3PlannedPart): Promise<S3PartResult> {
  const { protocol, signal } = ctx
  const chunk = await ctx.chunk(part)
  // As @uppy/aws-s3 does, a Blob part goes to signPart too (a slice: nothing is read).
  const body = typeof Blob !== 'undefined' && chunk.body instanceof Blob ? { body: chunk.body } : {}
  const options = { ...ctx.upload, partNumber: part.number, signal, ...body }
  const signed = await callback(protocol, 'signPart', signal, () => protocol.callbacks.signPart(ctx.file, options))
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
