import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, utimes, writeFile, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { blobSource, bytesSource, isSource, streamSource, toSource } from '../../src/sources/index'
import { nodeFileSource, toNodeSource } from '../../src/sources/node'
import type { RequestBody, Source } from '../../src/types'

async function bytesOf(body: RequestBody): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer())
  const parts: Uint8Array[] = []
  for await (const part of body) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

/** Reads a whole source in `chunk`-byte slices and checks lengths and the last flag on the way. */
async function readAll(source: Source, chunk: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for (let offset = 0; ; offset += chunk) {
    const slice = await source.slice(offset, offset + chunk)
    const bytes = await bytesOf(slice.body)
    expect(bytes.length).toBe(slice.length)
    parts.push(bytes)
    if (slice.last) {
      expect(source.size).toBe(offset + slice.length)
      break
    }
    expect(slice.length).toBe(chunk)
  }
  return new Uint8Array(Buffer.concat(parts))
}

/** A ReadableStream that yields `data` in pieces of `piece` bytes. */
function streamOf(data: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) return controller.close()
      controller.enqueue(data.slice(at, at + piece))
      at += piece
    },
  })
}

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UploadError)
  return error as UploadError
}

const data = new Uint8Array(randomBytes(3 * 1024 * 1024 + 123))

describe('bytesSource', () => {
  it('slices views at the boundaries without copying', async () => {
    const source = bytesSource(data, { name: 'a.bin' })
    expect(source.size).toBe(data.length)
    expect(source.name).toBe('a.bin')
    const first = await source.slice(0, 1024)
    expect(first).toMatchObject({ length: 1024, last: false })
    expect((first.body as Uint8Array).buffer).toBe(data.buffer)
    const end = await source.slice(data.length - 10, data.length + 1000)
    expect(end).toMatchObject({ length: 10, last: true })
    expect(await source.slice(data.length, data.length + 5)).toMatchObject({ length: 0, last: true })
    expect(sha256(await readAll(source, 1024 * 1024))).toBe(sha256(data))
  })

  it('refuses invalid ranges and use after close', async () => {
    const source = bytesSource(new ArrayBuffer(8))
    expect((await rejection(source.slice(-1, 4))).code).toBe('source-error')
    expect((await rejection(source.slice(5, 4))).code).toBe('source-error')
    expect(await source.slice(2, Infinity)).toMatchObject({ length: 6, last: true })
    await source.close()
    expect((await rejection(source.slice(0, 4))).code).toBe('source-error')
  })
})

describe('blobSource', () => {
  it('returns Blob slices and reads metadata from a File', async () => {
    const file = new File([data], 'photo.jpg', { type: 'image/jpeg', lastModified: 1234 })
    const source = blobSource(file)
    expect(source).toMatchObject({ size: data.length, name: 'photo.jpg', type: 'image/jpeg', lastModified: 1234 })
    const slice = await source.slice(100, 200)
    expect(slice.body).toBeInstanceOf(Blob)
    expect(slice).toMatchObject({ length: 100, last: false })
    expect(await bytesOf(slice.body)).toEqual(data.subarray(100, 200))
    expect(sha256(await readAll(source, 1024 * 1024 + 1))).toBe(sha256(data))
  })

  it('has no name for a plain Blob and no type for an empty one', () => {
    const source = blobSource(new Blob([new Uint8Array(3)]))
    expect(source.name).toBeUndefined()
    expect(source.type).toBeUndefined()
  })
})

describe('streamSource', () => {
  it('reads a stream of unknown length in chunks, learning the size at the end', async () => {
    const source = streamSource(streamOf(data, 10_000))
    expect(source.size).toBeUndefined()
    expect(sha256(await readAll(source, 256 * 1024))).toBe(sha256(data))
    expect(source.size).toBe(data.length)
  })

  it('serves the same range again, then later ranges, and refuses earlier ones', async () => {
    const source = streamSource(streamOf(data.subarray(0, 10_500), 1000))
    const first = await source.slice(0, 4096)
    const again = await source.slice(0, 4096)
    expect(await bytesOf(again.body)).toEqual(data.subarray(0, 4096))
    expect(await bytesOf(first.body)).toEqual(data.subarray(0, 4096))
    const second = await source.slice(4096, 8192)
    expect(await bytesOf(second.body)).toEqual(data.subarray(4096, 8192))
    expect(source.retainedBytes).toBeLessThanOrEqual(4096 + 1000)
    const error = await rejection(source.slice(0, 4096))
    expect(error.code).toBe('source-error')
    const retry = await source.slice(4096, 8192)
    expect(await bytesOf(retry.body)).toEqual(data.subarray(4096, 8192))
    const last = await source.slice(8192, 12_288)
    expect(last).toMatchObject({ length: 10_500 - 8192, last: true })
    expect(await bytesOf(last.body)).toEqual(data.subarray(8192, 10_500))
    expect(source.size).toBe(10_500)
    expect((await source.slice(8192, 12_288)).length).toBe(10_500 - 8192)
  })

  it('marks a range ending exactly at the end of the stream as last', async () => {
    const source = streamSource(streamOf(data.subarray(0, 4000), 1000))
    expect(await source.slice(0, 2000)).toMatchObject({ length: 2000, last: false })
    expect(await source.slice(2000, 4000)).toMatchObject({ length: 2000, last: true })
    expect(source.size).toBe(4000)
  })

  it('skips forward and keeps at most one range plus one stream chunk', async () => {
    const source = streamSource(streamOf(data, 64 * 1024))
    const slice = await source.slice(1_000_000, 1_500_000)
    expect(sha256(await bytesOf(slice.body))).toBe(sha256(data.subarray(1_000_000, 1_500_000)))
    expect(source.retainedBytes).toBeLessThanOrEqual(500_000 + 64 * 1024)
  })

  it('turns a failing stream into source-error and releases it on close', async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.error(new Error('disk gone')),
    })
    expect((await rejection(streamSource(failing).slice(0, 10))).code).toBe('source-error')
    let cancelled = false
    const open = new ReadableStream<Uint8Array>({ pull: (c) => c.enqueue(new Uint8Array(10)), cancel: () => void (cancelled = true) })
    const source = streamSource(open)
    await source.slice(0, 15)
    await source.close()
    expect(cancelled).toBe(true)
    expect((await rejection(source.slice(15, 20))).code).toBe('source-error')
  })
})

describe('nodeFileSource', () => {
  let dir: string
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), 'sources-'))))
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('streams ranges of a file and reports its metadata', async () => {
    const path = join(dir, 'data.bin')
    await writeFile(path, data)
    const source = await nodeFileSource(path)
    expect(source).toMatchObject({ size: data.length, name: 'data.bin' })
    expect(typeof source.lastModified).toBe('number')
    const slice = await source.slice(1000, 3000)
    expect(await bytesOf(slice.body)).toEqual(data.subarray(1000, 3000))
    expect(await bytesOf(slice.body)).toEqual(data.subarray(1000, 3000))
    expect(sha256(await readAll(source, 1024 * 1024))).toBe(sha256(data))
    await source.close()
  })

  it('detects a file changed between slices', async () => {
    const path = join(dir, 'changing.bin')
    await writeFile(path, data.subarray(0, 1000))
    const source = await nodeFileSource(path)
    await source.slice(0, 500)
    await appendFile(path, 'more')
    expect((await rejection(source.slice(500, 1000))).code).toBe('source-changed')

    await writeFile(path, data.subarray(0, 1000))
    const touched = await nodeFileSource(path)
    await utimes(path, new Date(), new Date(Date.now() + 60_000))
    expect((await rejection(touched.slice(0, 500))).code).toBe('source-changed')
  })

  it('rejects a missing file with source-error', async () => {
    expect((await rejection(nodeFileSource(join(dir, 'missing')))).code).toBe('source-error')
  })
})

describe('empty sources', () => {
  it('give one empty last chunk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sources-empty-'))
    await writeFile(join(dir, 'empty'), '')
    const sources: Source[] = [
      bytesSource(new Uint8Array(0)),
      blobSource(new Blob([])),
      streamSource(streamOf(new Uint8Array(0), 10)),
      await nodeFileSource(join(dir, 'empty')),
    ]
    for (const source of sources) {
      const slice = await source.slice(0, 1024)
      expect(slice).toMatchObject({ length: 0, last: true })
      expect((await bytesOf(slice.body)).length).toBe(0)
      expect(source.size).toBe(0)
      await source.close()
    }
    await rm(dir, { recursive: true })
  })
})

describe('toSource / toNodeSource', () => {
  it('picks the source for each input', async () => {
    expect((await toSource(new Blob(['ab']))).size).toBe(2)
    expect((await toSource(new Uint8Array(3))).size).toBe(3)
    expect((await toSource(new ArrayBuffer(4))).size).toBe(4)
    // The stream source is loaded on demand (a dynamic import): it still reads the whole stream.
    const data = new Uint8Array(5).map((_, i) => i + 1)
    const stream = await toSource(streamOf(data, 2))
    expect(stream.size).toBeUndefined()
    expect(await readAll(stream, 3)).toEqual(data)
    const own = bytesSource(new Uint8Array(1))
    expect(await toSource(own)).toBe(own)
    expect(isSource({})).toBe(false)
    await expect(toSource('nope' as unknown as Blob)).rejects.toThrow(TypeError)
    const fromNode = await toNodeSource(Readable.from([Buffer.from('hello '), Buffer.from('world')]))
    expect(new TextDecoder().decode(await readAll(fromNode, 4))).toBe('hello world')
    const file = await toNodeSource(new URL(import.meta.url))
    expect(file.name).toBe('sources.test.ts')
  })
})
