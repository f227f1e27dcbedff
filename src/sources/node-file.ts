/**
 * A source over a file on disk (Node only): each slice streams its range from the file.
 * @module
 */
import { createReadStream, type ReadStream, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { UploadError } from '../errors'
import type { Source, SourceChunk } from '../types'
import { clipRange, closedError, type SourceMetadata } from './bytes'

/** Options of {@link nodeFileSource}. */
export interface NodeFileSourceOptions extends SourceMetadata {
  /** Bytes read from the file at a time. Default 64 KiB. */
  highWaterMark?: number
}

/**
 * Opens a file as a source. The file is stat'ed once here (size, mtime as `lastModified`, base
 * name as `name`). Each `slice` checks the file again and rejects with a `source-changed`
 * UploadError when its size or mtime differ; its body is an AsyncIterable that opens a read
 * stream over just that range when iterated (and again on each iteration), so the whole file is
 * never read at once. A file that shrinks while a range is read also fails with `source-changed`.
 * @param path the file's path
 * @param options name, type, lastModified overrides (default: from the file; type unknown),
 *   highWaterMark (default 1 MiB: fewer, larger reads cost less CPU per GiB)
 * @throws UploadError `source-error` when the file cannot be stat'ed or is not a regular file
 */
export async function nodeFileSource(path: string, options: NodeFileSourceOptions = {}): Promise<Source> {
  const opened = await statFile(path)
  if (!opened.isFile()) throw new UploadError('source-error', 'The path is not a regular file.', { retryable: false })
  const size = opened.size
  const mtimeMs = opened.mtimeMs
  const streams = new Set<ReadStream>()
  let closed = false
  const read = (start: number, end: number): AsyncIterable<Uint8Array> => ({
    [Symbol.asyncIterator]: () => readRange(path, start, end, options.highWaterMark, streams),
  })
  return {
    size,
    name: options.name ?? basename(path),
    type: options.type,
    lastModified: options.lastModified ?? Math.floor(mtimeMs),
    async slice(start: number, end: number): Promise<SourceChunk> {
      if (closed) throw closedError()
      const range = clipRange(start, end, size)
      const now = await statFile(path)
      if (now.size !== size || now.mtimeMs !== mtimeMs) {
        throw new UploadError('source-changed', 'The file changed since it was opened.', { retryable: false })
      }
      const length = range.end - range.start
      const body = length === 0 ? new Uint8Array(0) : read(range.start, range.end)
      return { body, length, last: range.end === size }
    },
    async close(): Promise<void> {
      closed = true
      for (const stream of streams) stream.destroy()
      streams.clear()
    },
  }
}

async function statFile(path: string): Promise<Stats> {
  try {
    return await stat(path)
  } catch (cause) {
    throw new UploadError('source-error', 'The file could not be read.', { cause, retryable: false })
  }
}

/** Streams `[start, end)` of the file, failing with `source-changed` if it yields fewer bytes. */
async function* readRange(
  path: string,
  start: number,
  end: number,
  highWaterMark: number | undefined,
  streams: Set<ReadStream>,
): AsyncGenerator<Uint8Array, void, undefined> {
  const stream = createReadStream(path, { start, end: end - 1, highWaterMark: highWaterMark ?? 1024 * 1024 })
  streams.add(stream)
  let read = 0
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length
      yield chunk
    }
  } catch (cause) {
    throw new UploadError('source-error', 'The file could not be read.', { cause, retryable: false })
  } finally {
    streams.delete(stream)
    stream.destroy()
  }
  if (read !== end - start) {
    throw new UploadError('source-changed', 'The file became shorter while it was read.', { retryable: false })
  }
}
