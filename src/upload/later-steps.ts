/**
 * The steps that never come first in a default browser upload (a new file: its first request is
 * a creation without a body): discovery (tus OPTIONS), the offset (HEAD) and appends. They come
 * after an answer, or first on a resume (a stored record, the `url` option) or for tus, so they
 * load with ./later; steps.ts awaits it before them.
 * @module
 */
import type { UploadResult } from '../options'
import type { RequestDescription } from '../types'
import type { Step } from './session'
import { exchange, type LoopContext } from './steps'

/**
 * Performs a discovery, offset or append step: builds the protocol's request (slicing the
 * append's bytes) and exchanges it (see steps.ts).
 * @param ctx the loop's context
 * @param step the session's step
 * @param endpoint where uploads are created (discovery only)
 */
export async function laterStep(ctx: LoopContext, step: Exclude<Step, { kind: 'create' | 'stopped' }>, endpoint: string): Promise<UploadResult | undefined> {
  const { protocol, source } = ctx
  if (step.kind === 'discover') return exchange(ctx, protocol.discoverRequest?.(endpoint) as RequestDescription, undefined, step)
  if (step.kind === 'offset') return exchange(ctx, protocol.offsetRequest(step.url, source.size), undefined, step)
  const { url, offset } = step
  const chunk = await source.slice(offset, protocol.alignChunkEnd?.(offset, step.end, source.size) ?? step.end)
  const { length, last: complete } = chunk
  const request = protocol.appendRequest({ url, offset, end: offset + length, size: source.size, complete })
  return exchange(ctx, request, chunk, { kind: 'append', url, offset, length, complete })
}
