import { describe, expect, it, vi, afterEach } from 'vitest'
import { UploadError } from '../../src/errors'
import { fingerprint, SAMPLE_BYTES } from '../../src/fingerprint'
import { blobSource } from '../../src/sources/blob'
import { bytesSource } from '../../src/sources/bytes'
import { readChunk } from '../../src/sources/read'
import { streamSource } from '../../src/sources/stream'
import type { Source, SourceChunk } from '../../src/types'

const endpoint = 'https://uploads.example/files'
const KiB = 1024

function file(
  bytes: Uint8Array<ArrayBuffer> | string,
  name = 'video.mp4',
  options: FilePropertyBag = { type: 'video/mp4', lastModified: 1_700_000_000_000 },
): File {
  return new File([bytes], name, options)
}

function pattern(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(size).map((_, i) => (i * 7 + (i >> 8)) % 256)
}

function flipped(bytes: Uint8Array<ArrayBuffer>, at: number): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice()
  copy[at] = (copy[at] ?? 0) ^ 0xff
  return copy
}

/** A source whose slices are AsyncIterables of small pieces, as a custom source may hand out. */
function iterableSource(bytes: Uint8Array, metadata: Pick<Source, 'name' | 'type' | 'lastModified'>): Source {
  return {
    size: bytes.length,
    ...metadata,
    async slice(start, end) {
      const body = bytes.subarray(start, Math.min(end, bytes.length))
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < body.length; at += 1000) yield body.slice(at, at + 1000)
      }
      return { body: pieces(), length: body.length, last: end >= bytes.length }
    },
    async close() {},
  }
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('fingerprint', () => {
  it('is stable: the same file and endpoint give the same key, in a fixed format', async () => {
    const a = await fingerprint(blobSource(file('hello')), { endpoint })
    const b = await fingerprint(blobSource(file('hello')), { endpoint })
    expect(a).toMatch(/^ru1:[0-9a-f]{64}$/)
    expect(b).toBe(a)
    // SHA-256 of {"name":"video.mp4","size":5,"type":"video/mp4","lastModified":1700000000000,
    // "endpoint":…,"sample":null}. Changing it orphans every stored record: only with a new prefix.
    expect(a).toBe('ru1:36642f49d0aeb71ea15b257e28deb3368620f959a109c41dd5eb4a1c3610cca4')
  })

  it('with sampleContent, is stable too: a fixed key for fixed bytes (changing it orphans stored records)', async () => {
    const bytes = new Uint8Array(300 * KiB).map((_, i) => (i * 7 + 3) % 256)
    const source = blobSource(new File([bytes], 'video.mp4', { type: 'video/mp4', lastModified: 1_700_000_000_000 }))
    expect(await fingerprint(source, { endpoint, sampleContent: true })).toBe('ru1:5372706a3853ef0740323eee1f0bbe2ad6f26dfbc8afc62fb2f822822ab9caf2')
  })

  it('differs when name, size, type, lastModified or endpoint differ', async () => {
    const base = await fingerprint(blobSource(file('hello')), { endpoint })
    const others = await Promise.all([
      fingerprint(blobSource(file('hello', 'other.mp4')), { endpoint }),
      fingerprint(blobSource(file('hello!')), { endpoint }),
      fingerprint(blobSource(file('hello', 'video.mp4', { type: 'video/webm', lastModified: 1_700_000_000_000 })), { endpoint }),
      fingerprint(blobSource(file('hello', 'video.mp4', { type: 'video/mp4', lastModified: 1_700_000_000_001 })), { endpoint }),
      fingerprint(blobSource(file('hello')), { endpoint: 'https://other.example/files' }),
      fingerprint(bytesSource(new TextEncoder().encode('hello')), { endpoint }),
    ])
    expect(new Set([base, ...others]).size).toBe(others.length + 1)
  })

  it('without sampleContent, a different file with the same metadata gets the same key (the known limit)', async () => {
    const bytes = pattern(300 * KiB)
    const a = await fingerprint(blobSource(file(bytes)), { endpoint })
    expect(await fingerprint(blobSource(file(flipped(bytes, 0))), { endpoint })).toBe(a)
  })

  it('with sampleContent: other first or last 64 KiB -> other key; other middle bytes -> same key (documented limit)', async () => {
    const bytes = pattern(300 * KiB)
    const key = (data: Uint8Array<ArrayBuffer>): Promise<string | undefined> => fingerprint(blobSource(file(data)), { endpoint, sampleContent: true })
    const base = await key(bytes)
    expect(base).toMatch(/^ru1:[0-9a-f]{64}$/)
    expect(base).not.toBe(await fingerprint(blobSource(file(bytes)), { endpoint }))
    expect(await key(bytes)).toBe(base)
    for (const at of [0, SAMPLE_BYTES - 1, bytes.length - SAMPLE_BYTES, bytes.length - 1]) expect(await key(flipped(bytes, at))).not.toBe(base)
    for (const at of [SAMPLE_BYTES, 150 * KiB, bytes.length - SAMPLE_BYTES - 1]) expect(await key(flipped(bytes, at))).toBe(base)
  })

  it.each([0, 1, 1000, SAMPLE_BYTES, SAMPLE_BYTES + 1, 2 * SAMPLE_BYTES])('with sampleContent, a %i-byte file: every byte counts', async (size) => {
    const bytes = pattern(size)
    const base = await fingerprint(bytesSource(bytes, { name: 'small' }), { endpoint, sampleContent: true })
    expect(base).toMatch(/^ru1:[0-9a-f]{64}$/)
    for (const at of size === 0 ? [] : [0, Math.floor(size / 2), size - 1]) {
      expect(await fingerprint(bytesSource(flipped(bytes, at), { name: 'small' }), { endpoint, sampleContent: true })).not.toBe(base)
    }
  })

  it('samples read only the first and last 64 KiB, through source.slice', async () => {
    const source = blobSource(file(pattern(1024 * KiB)))
    const slice = vi.spyOn(source, 'slice')
    await fingerprint(source, { endpoint, sampleContent: true })
    expect(slice.mock.calls).toEqual([
      [0, SAMPLE_BYTES],
      [1024 * KiB - SAMPLE_BYTES, 1024 * KiB],
    ])
  })

  it('Blob, Uint8Array and AsyncIterable bodies with the same bytes give the same key', async () => {
    const bytes = pattern(200 * KiB)
    const metadata = { name: 'same.bin', type: 'application/octet-stream', lastModified: 42 }
    const keys = await Promise.all(
      [blobSource(new Blob([bytes]), metadata), bytesSource(bytes, metadata), iterableSource(bytes, metadata)].map((source) =>
        fingerprint(source, { endpoint, sampleContent: true }),
      ),
    )
    expect(new Set(keys).size).toBe(1)
  })

  it('a source of unknown size (a stream) has no fingerprint, and is not read', async () => {
    let pulls = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++
        controller.enqueue(new Uint8Array(10))
      },
    })
    expect(await fingerprint(streamSource(stream, { name: 'live' }), { endpoint, sampleContent: true })).toBeUndefined()
    expect(pulls).toBeLessThanOrEqual(1) // a ReadableStream may pull once on its own
  })

  it('without Web Crypto (insecure origins) there is no fingerprint', async () => {
    vi.stubGlobal('crypto', {})
    expect(await fingerprint(blobSource(file('hello')), { endpoint })).toBeUndefined()
  })

  it('a source that cannot be read rejects with a source-error UploadError', async () => {
    const source = blobSource(file(pattern(1000)))
    await source.close()
    await expect(fingerprint(source, { endpoint, sampleContent: true })).rejects.toMatchObject({ code: 'source-error' })
  })
})

describe('readChunk', () => {
  const bytes = pattern(5000)

  it('reads a Uint8Array as it is, a Blob whole, an AsyncIterable joined', async () => {
    expect(await readChunk({ body: bytes, length: 5000, last: true })).toBe(bytes)
    expect(await readChunk({ body: new Blob([bytes]), length: 5000, last: true })).toEqual(bytes)
    const chunk = await iterableSource(bytes, {}).slice(0, 5000)
    expect(await readChunk(chunk)).toEqual(bytes)
    async function* one(): AsyncGenerator<Uint8Array> {
      yield bytes
    }
    expect(await readChunk({ body: one(), length: 5000, last: true })).toBe(bytes)
    async function* none(): AsyncGenerator<Uint8Array> {}
    expect(await readChunk({ body: none(), length: 0, last: true })).toEqual(new Uint8Array(0))
  })

  it('a body shorter or longer than its length is a source-error', async () => {
    for (const chunk of [
      { body: bytes, length: 4999, last: true },
      { body: new Blob([bytes]), length: 6000, last: true },
    ] satisfies SourceChunk[]) {
      const error = await readChunk(chunk).catch((reason: unknown) => reason)
      expect(error).toBeInstanceOf(UploadError)
      expect(error).toMatchObject({ code: 'source-error', retryable: false })
    }
  })

  it('a body that fails while read is a source-error with the cause', async () => {
    const cause = new Error('disk gone')
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes
      throw cause
    }
    await expect(readChunk({ body: failing(), length: 10_000, last: true })).rejects.toMatchObject({ code: 'source-error', cause })
  })
})
