/**
 * A round over a source of unknown size (a stream): parts are read front to back into memory,
 * at most `concurrency` held at once (read, not yet stored), each sent as soon as it is read.
 * The bytes of a part go once S3 stores it, so a stream cannot start over: S3 forgetting the
 * upload fails it with `upload-gone`.
 * @module
 */
import type { S3Protocol } from '../protocols/s3'
import type { S3HeldPart } from '../protocols/s3-types'
import { readChunk } from '../sources/read'
import type { Source, SourceChunk } from '../types'
import { openBytesDone, openPartDone, openPartRead, openParts, openPartsDone, partToRead, type OpenPartsState } from './parts-open'
import { asUploadError } from './parts-runner-calls'
import { Flights, type RoundIO } from './parts-runner-round'

/** What {@link streamRound} resolves with: every part, and the size the stream turned out to have. */
export interface StreamRoundResult {
  parts: S3HeldPart[]
  size: number
}

/** Sends a stream's parts, `concurrency` held at once, until its end is read and every part is stored. */
export function streamRound(source: Source, protocol: S3Protocol, partSize: number, concurrency: number, io: RoundIO): Promise<StreamRoundResult> {
  let state: OpenPartsState = openParts(partSize, concurrency)
  const bodies = new Map<number, Uint8Array>()
  const chunkOf = (number: number): Promise<SourceChunk> => {
    const body = bodies.get(number) ?? new Uint8Array(0)
    return Promise.resolve({ body, length: body.length, last: number === state.next - 1 && state.size !== undefined })
  }
  return new Promise((resolve, reject) => {
    const flights = new Flights(
      { ...io, context: (stop, sent) => ({ ...io.context(stop, sent), chunk: (part) => chunkOf(part.number) }) },
      () => openBytesDone(state),
      (error, parts) => (parts === undefined ? reject(error) : resolve({ parts, size: state.size ?? 0 })),
    )
    let reading = false
    const stored = (number: number, etag: string): void => {
      bodies.delete(number)
      state = openPartDone(state, number, etag)
      const part = { start: (number - 1) * partSize, end: Math.min((number - 1) * partSize + partSize, state.size ?? Infinity) }
      io.apply([{ kind: 'chunk', start: part.start, end: part.end, save: false }], () => [])
      flights.progress()
      const done = openPartsDone(state)
      if (done === undefined) read()
      else flights.end(undefined, done)
    }
    const read = (): void => {
      const part = partToRead(state)
      if (reading || part === undefined || flights.ended) return
      const tooMany = protocol.partNumberError(part.number)
      if (tooMany !== undefined) return flights.end(tooMany)
      reading = true
      void readPart(source, part.start, part.end).then(
        ({ bytes, last }) => {
          reading = false
          if (flights.ended) return
          state = openPartRead(state, part.number, bytes.length, last)
          bodies.set(part.number, bytes)
          flights.launch({ number: part.number, start: part.start, end: part.start + bytes.length }, (etag) => stored(part.number, etag), fail)
          read()
        },
        (error: unknown) => flights.end(asUploadError(error, flights.stop.signal)),
      )
    }
    const fail = (error: unknown): void => {
      io.apply([{ kind: 'state', state: 'failed', previous: 'uploading' }], () => [])
      flights.end(error)
    }
    if (flights.ended) return
    io.apply([{ kind: 'state', state: 'uploading', previous: 'creating' }], () => [])
    read()
  })
}

/** The bytes `[start, end)` of the source, in memory, and whether the source ends with them. */
async function readPart(source: Source, start: number, end: number): Promise<{ bytes: Uint8Array; last: boolean }> {
  const chunk = await source.slice(start, end)
  const bytes = await readChunk(chunk)
  return { bytes, last: chunk.last || bytes.length < end - start }
}
