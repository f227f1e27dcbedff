/**
 * A source over a ReadableStream of unknown length, read once, front to back.
 * @module
 */
import { UploadError } from '../errors'
import type { RequestBody, Source, SourceChunk } from '../types'
import { clipRange, closedError, type SourceMetadata } from './bytes'

/** A {@link Source} over a stream, which also tells how many bytes it holds. */
export interface StreamSource extends Source {
  /** Bytes read from the stream and still held (the retained window plus read-ahead). */
  readonly retainedBytes: number
}

/**
 * A source over a `ReadableStream<Uint8Array>` whose length is unknown until it ends.
 *
 * A stream can be read only once, so the source keeps a window of bytes: `slice(start, end)` drops
 * everything before `start`, reads until it holds `end` (or the stream ends), and keeps the bytes
 * from `start` on. A slice of the same range again (a retry after a network error) or of a later
 * range works; a slice starting before the window rejects with a `source-error` UploadError,
 * because those bytes are gone.
 *
 * Memory: at most the largest requested range is held, plus the read-ahead of one stream chunk
 * (the chunk that crosses `end`, or one chunk read past `end` to learn whether the stream ends
 * there, so that the chunk reaching the end has `last: true`). Never ask for an unbounded range
 * (`end = Infinity`) unless the whole stream may be held.
 *
 * `size` is undefined until the stream's end is read. Slices are served one at a time.
 * @param readable the stream; the source takes its reader
 * @param metadata name, type and lastModified to report (default none)
 */
export function streamSource(readable: ReadableStream<Uint8Array>, metadata: SourceMetadata = {}): StreamSource {
  const window = new StreamWindow(readable)
  let queue: Promise<unknown> = Promise.resolve()
  return {
    get size() {
      return window.size
    },
    get retainedBytes() {
      return window.retained
    },
    name: metadata.name,
    type: metadata.type,
    lastModified: metadata.lastModified,
    slice(start: number, end: number): Promise<SourceChunk> {
      const result = queue.then(() => window.slice(start, end))
      queue = result.catch(() => undefined)
      return result
    },
    close: () => window.close(),
  }
}

/** The bytes `[start, end)` of the stream that are still held, as views of the chunks read. */
class StreamWindow {
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  private pieces: Uint8Array[] = []
  /** Offset of the first held byte. */
  private start = 0
  /** Bytes read from the stream so far: the offset just after the last held byte. */
  private end = 0
  private done = false
  private closed = false

  constructor(private readonly readable: ReadableStream<Uint8Array>) {}

  get size(): number | undefined {
    return this.done ? this.end : undefined
  }

  get retained(): number {
    return this.end - this.start
  }

  async slice(start: number, end: number): Promise<SourceChunk> {
    if (this.closed) throw closedError()
    const range = clipRange(start, end, this.size)
    if (range.start < this.start) {
      throw new UploadError('source-error', `The stream is past byte ${range.start}: only bytes from ${this.start} on are still held.`, { retryable: false })
    }
    this.drop(range.start)
    while (!this.done && this.end < range.end) await this.read(range.start)
    // Read one chunk ahead, so a range ending exactly at the stream's end is marked last.
    if (!this.done && this.end === range.end) await this.read(range.start)
    const stop = Math.min(range.end, this.end)
    return { body: this.view(range.start, stop), length: stop - range.start, last: this.done && stop === this.end }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.pieces = []
    this.start = this.end
    if (this.reader === undefined) await this.readable.cancel().catch(() => undefined)
    else {
      await this.reader.cancel().catch(() => undefined)
      this.reader.releaseLock()
    }
  }

  /** Reads one chunk; bytes before `keepFrom` are dropped at once (a forward skip). */
  private async read(keepFrom: number): Promise<void> {
    this.reader ??= this.readable.getReader()
    let result: ReadableStreamReadResult<Uint8Array>
    try {
      result = await this.reader.read()
    } catch (cause) {
      throw new UploadError('source-error', 'The stream could not be read.', { cause, retryable: false })
    }
    if (this.closed) throw closedError()
    if (result.done) {
      this.done = true
      return
    }
    if (result.value.length === 0) return
    this.pieces.push(result.value)
    this.end += result.value.length
    this.drop(keepFrom)
  }

  /** Forgets the bytes before `offset`. */
  private drop(offset: number): void {
    while (this.pieces.length > 0 && this.start < offset) {
      const first = this.pieces[0] as Uint8Array
      const cut = offset - this.start
      if (cut >= first.length) this.pieces.shift()
      else this.pieces[0] = first.subarray(cut)
      this.start += Math.min(cut, first.length)
    }
    if (this.pieces.length === 0) this.start = this.end
  }

  /** The held bytes `[from, to)` as one view, or as an iterable of views when they span chunks. */
  private view(from: number, to: number): RequestBody {
    const views: Uint8Array[] = []
    let at = this.start
    for (const piece of this.pieces) {
      if (at >= to) break
      const lo = Math.max(from - at, 0)
      const hi = Math.min(to - at, piece.length)
      if (hi > lo) views.push(piece.subarray(lo, hi))
      at += piece.length
    }
    if (views.length <= 1) return views[0] ?? new Uint8Array(0)
    return {
      async *[Symbol.asyncIterator]() {
        yield* views
      },
    }
  }
}
