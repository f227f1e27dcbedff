/**
 * Streams a request body onto the end of an upload's data file as it arrives, with backpressure,
 * never holding more than the write stream's buffer in memory. Whatever arrived before the
 * connection broke is written before the promise settles.
 * @module
 */
import type { Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import type { Exchange } from './exchange'

/** Where the body goes and when to stop. */
export interface BodyTarget {
  /** The data file (appended to). */
  path: string
  /** Accept at most this many bytes; more makes the outcome `overflow`. */
  maxBytes: number
  /** Destroy-fault threshold: after exactly this many bytes the outcome is `destroy`. */
  destroyAfter: number | undefined
  /** Running digest, updated with every accepted byte. */
  hash: Hash | undefined
  /** Called with the number of bytes of this body written so far. */
  onPersisted?: (persisted: number) => void
}

/**
 * How receiving ended:
 * - `ended`: the whole body was written;
 * - `aborted`: the connection broke first;
 * - `overflow`: more than `maxBytes` came; the rest is being discarded;
 * - `destroy`: the destroy fault's byte count was reached; reading has stopped;
 * - `failed`: writing the file failed.
 */
export type BodyOutcome = 'ended' | 'aborted' | 'overflow' | 'destroy' | 'failed'

/** The outcome and how many bytes of this body were written. */
export interface BodyResult {
  outcome: BodyOutcome
  bytes: number
  error?: unknown
}

const WRITE_BUFFER_BYTES = 1 << 20

/** Receives the body of `exchange` into `target`; settles once the file is closed. */
export function receiveBody(exchange: Exchange, target: BodyTarget): Promise<BodyResult> {
  const { req } = exchange
  if (target.destroyAfter === 0) return Promise.resolve({ outcome: 'destroy', bytes: 0 })
  const cap = Math.min(target.maxBytes, target.destroyAfter ?? Infinity)
  return new Promise((resolve) => {
    const file = createWriteStream(target.path, { flags: 'a', highWaterMark: WRITE_BUFFER_BYTES })
    let accepted = 0
    let persisted = 0
    let outcome: BodyOutcome | undefined
    let error: unknown

    const stop = (result: BodyOutcome): void => {
      if (outcome) return
      outcome = result
      req.off('end', onEnd)
      req.off('close', onClose)
      if (result === 'overflow') exchange.tap(undefined)
      else {
        exchange.tap(undefined)
        req.pause()
      }
      file.end()
    }
    const onEnd = (): void => stop('ended')
    const onClose = (): void => stop(req.readableEnded ? 'ended' : 'aborted')
    const write = (chunk: Buffer): void => {
      const room = cap - accepted
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk
      if (piece.length > 0) {
        accepted += piece.length
        target.hash?.update(piece)
        const more = file.write(piece, (failure) => {
          if (failure) return
          persisted += piece.length
          target.onPersisted?.(persisted)
        })
        if (!more) {
          req.pause()
          file.once('drain', () => outcome === undefined && req.resume())
        }
      }
      if (accepted === target.destroyAfter) stop('destroy')
      else if (chunk.length > room) stop('overflow')
    }

    file.on('error', (failure) => {
      error = failure
      stop('failed')
    })
    file.on('close', () => resolve({ outcome: outcome ?? 'failed', bytes: persisted, error }))
    if (req.readableEnded) {
      stop('ended')
      return
    }
    if (req.destroyed) {
      stop('aborted')
      return
    }
    req.on('end', onEnd)
    req.on('close', onClose)
    exchange.tap(write)
  })
}
