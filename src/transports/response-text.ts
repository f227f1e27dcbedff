/**
 * Response bodies as text, kept up to a cap ({@link DEFAULT_RESPONSE_BODY_LIMIT} by default) so
 * a server cannot make the client hold an unbounded answer.
 * @module
 */
import { iterateStream } from './streams'

export { DEFAULT_RESPONSE_BODY_LIMIT } from './body-limit'

/**
 * Collects response bytes up to a cap, counts and drops the rest, then decodes them as UTF-8.
 * A multi-byte character cut by the cap decodes as U+FFFD.
 */
export class CappedText {
  private readonly parts: Uint8Array[] = []
  private kept = 0

  /** @param limit most bytes to keep */
  constructor(private readonly limit: number) {}

  /** Keeps what fits under the cap from `chunk`. */
  push(chunk: Uint8Array): void {
    const room = this.limit - this.kept
    if (room <= 0) return
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
    this.parts.push(part)
    this.kept += part.length
  }

  /** The kept bytes as text. */
  text(): string {
    const decoder = new TextDecoder()
    let text = ''
    for (const part of this.parts) text += decoder.decode(part, { stream: true })
    return text + decoder.decode()
  }
}

/**
 * Reads a web ReadableStream of bytes to its end, keeping text up to `limit` bytes.
 * @param stream the response body, or null for none
 * @param limit most bytes to keep
 */
export async function readCappedText(stream: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (stream === null) return ''
  const capped = new CappedText(limit)
  for await (const chunk of iterateStream(stream)) capped.push(chunk)
  return capped.text()
}
