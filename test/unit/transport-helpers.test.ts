/**
 * The small modules the transports share, each named for what it holds: header maps, redirects,
 * response text under a cap, request bodies, streams, and the transport errors. No network.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { addHeader, headersFromFetch, headersFromRaw, headersFromText, withoutHeaders } from '../../src/transports/header-map'
import { isRedirect, redirectRefused, wasRedirected } from '../../src/transports/redirects'
import { collectToBlob, isAsyncIterable, ownedBytes } from '../../src/transports/request-body'
import { CappedText, readCappedText } from '../../src/transports/response-text'
import { iterateBody, iterateStream, toReadableStream, WRITE_CHUNK_SIZE } from '../../src/transports/streams'
import { abortedError, networkError, onAbort } from '../../src/transports/transport-errors'

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

async function* chunks(...parts: number[][]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new Uint8Array(part)
}

describe('header-map', () => {
  it('lower-cases names and joins repeated fields with ", " from every runtime shape', () => {
    const map = {}
    addHeader(map, 'X-A', '1')
    addHeader(map, 'x-a', '2')
    expect(map).toEqual({ 'x-a': '1, 2' })
    expect(headersFromRaw(['Set-Thing', 'a', 'set-thing', 'b', 'Upload-Offset', '5'])).toEqual({ 'set-thing': 'a, b', 'upload-offset': '5' })
    expect(headersFromText('Upload-Offset: 10\r\nX-Y:  z \r\n: nameless\r\nbroken line\r\nx-y: w\r\n')).toEqual({ 'upload-offset': '10', 'x-y': 'z, w' })
    expect(
      headersFromFetch(
        new Headers([
          ['Location', '/u/1'],
          ['X-Z', 'q'],
        ]),
      ),
    ).toEqual({ location: '/u/1', 'x-z': 'q' })
  })

  it('withoutHeaders drops the named fields in any case and keeps the others', () => {
    expect(withoutHeaders({ 'Content-Length': '3', 'upload-offset': '0', host: 'h' }, 'content-length', 'host')).toEqual({ 'upload-offset': '0' })
  })
})

describe('redirects', () => {
  it.each([
    [301, '/x', true],
    [308, 'https://elsewhere.example/', true],
    [307, '', false],
    [302, null, false],
    [304, '/x', false],
    [200, '/x', false],
  ] as const)('isRedirect(%i, %j) is %s', (status, location, expected) => {
    expect(isRedirect(status, location)).toBe(expected)
  })

  it('redirect-refused names only the target origin, is not retryable, and keeps the status', () => {
    const error = redirectRefused('https://up.example/files/secret-id', '/elsewhere/secret-id', 307)
    expect(error).toBeInstanceOf(UploadError)
    expect({ code: error.code, retryable: error.retryable, status: error.status }).toEqual({ code: 'redirect-refused', retryable: false, status: 307 })
    expect(error.message).toContain('a 307 redirect to https://up.example')
    expect(error.message).not.toContain('secret-id')
    expect(redirectRefused('https://up.example/', 'http://[bad').message).toContain('an invalid URL')
    expect(redirectRefused('https://up.example/').message).toContain('a redirect to another URL')
  })

  it('wasRedirected compares the URLs without their fragment; unknown is not a redirect', () => {
    expect(wasRedirected('https://a.example/u#x', 'https://a.example/u')).toBe(false)
    expect(wasRedirected('https://a.example/u', '')).toBe(false)
    expect(wasRedirected('https://a.example/u', 'https://b.example/u')).toBe(true)
    expect(wasRedirected('not a url', 'https://a.example/u')).toBe(true)
  })
})

describe('response-text', () => {
  it('keeps at most the cap and decodes a cut multi-byte character as U+FFFD', () => {
    const capped = new CappedText(4)
    capped.push(new TextEncoder().encode('abc'))
    capped.push(new TextEncoder().encode('€uro'))
    expect(capped.text()).toBe('abc\uFFFD')
  })

  it('reads a whole stream while keeping only the cap, and an absent body as ""', async () => {
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ === 3) return controller.close()
        controller.enqueue(new TextEncoder().encode('0123456789'))
      },
    })
    expect(await readCappedText(stream, 15)).toBe('012345678901234')
    expect(pulled).toBe(4)
    expect(await readCappedText(null, 15)).toBe('')
  })
})

describe('request-body', () => {
  it('iterateBody cuts every body shape into pieces of at most the piece size, without copies', async () => {
    const bytes = new Uint8Array(10).map((_, i) => i)
    const pieces = await collect(iterateBody(bytes, 4))
    expect(pieces.map((piece) => [...piece])).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ])
    expect(pieces[0]?.buffer).toBe(bytes.buffer)
    expect((await collect(iterateBody(new Blob([bytes]), 6))).map((piece) => piece.length)).toEqual([6, 4])
    expect((await collect(iterateBody(chunks([1, 2, 3], [4]), 2))).map((piece) => [...piece])).toEqual([[1, 2], [3], [4]])
    expect(WRITE_CHUNK_SIZE).toBe(64 * 1024)
  })

  it('ownedBytes copies only bytes in a SharedArrayBuffer', () => {
    const plain = new Uint8Array(4)
    expect(ownedBytes(plain)).toBe(plain)
    const shared = new Uint8Array(new SharedArrayBuffer(4)).fill(7)
    const owned = ownedBytes(shared)
    expect(owned.buffer).toBeInstanceOf(ArrayBuffer)
    expect([...owned]).toEqual([7, 7, 7, 7])
  })

  it('collectToBlob joins the chunks with the type', async () => {
    const blob = await collectToBlob(chunks([1, 2], [3]), 'application/x-test')
    expect({ type: blob.type, bytes: [...new Uint8Array(await blob.arrayBuffer())] }).toEqual({ type: 'application/x-test', bytes: [1, 2, 3] })
  })

  it('toReadableStream pulls one chunk per read and ends the iterator when cancelled', async () => {
    let yielded = 0
    let finished = false
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          yielded++
          yield new Uint8Array([yielded])
        }
      } finally {
        finished = true
      }
    }
    const reader = toReadableStream(source()).getReader()
    expect((await reader.read()).value).toEqual(new Uint8Array([1]))
    expect(yielded).toBe(1)
    await reader.cancel()
    expect(finished).toBe(true)
  })
})

describe('streams', () => {
  it('isAsyncIterable tells async iterables from Blobs and bytes', () => {
    expect([chunks(), new Blob([]), new Uint8Array(1), null, 'x'].map(isAsyncIterable)).toEqual([true, false, false, false, false])
  })

  it('iterateStream reads to the end, and stopping early cancels the stream', async () => {
    let cancelled = false
    const stream = new ReadableStream<number>({
      start(controller) {
        for (const n of [1, 2, 3]) controller.enqueue(n)
      },
      cancel() {
        cancelled = true
      },
    })
    for await (const n of iterateStream(stream)) if (n === 2) break
    expect(cancelled).toBe(true)
    expect(await collect(iterateStream(new Blob([new Uint8Array([9, 8])]).stream()))).toEqual([new Uint8Array([9, 8])])
  })
})

describe('transport-errors', () => {
  it('aborted carries the signal reason; network carries the cause; onAbort removes its listener', () => {
    const controller = new AbortController()
    let calls = 0
    const remove = onAbort(controller.signal, () => calls++)
    remove()
    controller.abort(new Error('why'))
    expect(calls).toBe(0)
    const aborted = abortedError(controller.signal)
    expect({ code: aborted.code, cause: (aborted.cause as Error).message }).toEqual({ code: 'aborted', cause: 'why' })
    const cause = new Error('reset')
    expect(networkError(cause)).toMatchObject({ code: 'network', cause, message: 'No response from the server.' })
    const second = new AbortController()
    onAbort(second.signal, () => calls++)
    second.abort()
    second.abort()
    expect(calls).toBe(1)
  })
})
