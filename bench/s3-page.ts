/**
 * The browser half of the S3 bench, bundled with Vite (IIFE, global `S3Bench`) by s3-chromium.ts
 * and added to a page on the backend endpoint's origin. It makes the bench's Blob (the same bytes
 * as bench/data.ts, so the driver knows the SHA-256) and runs one upload at a time, timed with
 * performance.now():
 * - `raw`: one XHR PUT of the whole Blob to a presigned PutObject URL (the ceiling);
 * - `ours`: {@link uploadOurs}: the browser entry's `new Upload(blob, { protocol: s3(callbacks),
 *   chunkSize, concurrency })` (XHR, Blob slices, IndexedDB records);
 * - `uppy`: `@uppy/core` + `@uppy/aws-s3` with their defaults (`limit` 6) but multipart forced
 *   and the same part size; both sign through the backend's JSON endpoint (the same five callbacks).
 * @module
 */
import AwsS3 from '@uppy/aws-s3'
import Uppy from '@uppy/core'
import { Upload } from '../src/index'
import type { S3File } from '../src/protocols/s3-types'
import { remoteS3Backend } from '../test/support/s3-backend-client'
import { BLOCK_SIZE, fillBlock } from './page/pattern.js'
import { uploadOurs } from './s3-ours'

/** One upload's answer: its wall time, and the object's key (for the SHA-256 check). */
export interface S3PageUpload {
  ms: number
  key: string
}

let current: Blob | undefined

function blob(): Blob {
  if (current === undefined) throw new Error('s3 bench: no Blob; call makeBlob first')
  return current
}

/** Makes the Blob of `size` bytes for `seed` and resolves with its size once its last byte reads. */
export async function makeBlob(size: number, seed: number): Promise<number> {
  const partSize = 8 * BLOCK_SIZE
  const buffer = new Uint8Array(Math.min(partSize, size))
  const parts: Blob[] = []
  let index = 0
  for (let at = 0; at < size; at += partSize) {
    const length = Math.min(partSize, size - at)
    for (let offset = 0; offset < length; offset += BLOCK_SIZE) fillBlock(buffer.subarray(offset, Math.min(length, offset + BLOCK_SIZE)), seed, index++)
    parts.push(new Blob([buffer.subarray(0, length)]))
  }
  current = new Blob(parts)
  if (size > 0) await current.slice(size - 1).arrayBuffer()
  return current.size
}

/** Forgets the Blob. */
export function dropBlob(): void {
  current = undefined
}

/** The ceiling: one XHR PUT of the whole Blob to `putUrl`. */
export function raw(putUrl: string, key: string): Promise<S3PageUpload> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    const started = performance.now()
    xhr.open('PUT', putUrl)
    xhr.onload = () => (xhr.status === 200 ? resolve({ ms: performance.now() - started, key }) : reject(new Error(`PutObject answered ${xhr.status}`)))
    xhr.onerror = () => reject(new Error('PutObject failed'))
    xhr.send(blob())
  })
}

/** Ours: `concurrency` parts of `partSize` in flight over XHR (undefined: the default). */
export async function ours(backendUrl: string, partSize: number | undefined, concurrency: number | undefined): Promise<S3PageUpload> {
  const file = new File([blob()], 'bench.bin', { type: 'application/octet-stream', lastModified: Date.now() })
  const started = performance.now()
  const done = await uploadOurs({ Upload, input: file, callbacks: remoteS3Backend(backendUrl), chunkSize: partSize, concurrency })
  return { ms: performance.now() - started, key: done.key }
}

/** `@uppy/aws-s3` with its defaults, multipart forced, parts of `partSize` (undefined: its default), signing through the same backend. */
export async function uppy(backendUrl: string, partSize: number | undefined): Promise<S3PageUpload> {
  const backend = remoteS3Backend(backendUrl)
  const file: S3File = {
    name: 'bench.bin',
    type: 'application/octet-stream',
    size: blob().size,
    metadata: {},
    meta: { name: 'bench.bin', type: 'application/octet-stream' },
  }
  const never = new AbortController().signal
  let key = ''
  const ref = (options: { uploadId?: string; key: string; signal?: AbortSignal | undefined }) => ({
    uploadId: options.uploadId ?? '',
    key: options.key,
    signal: options.signal ?? never,
  })
  const client = new Uppy({ autoProceed: false }).use(AwsS3, {
    shouldUseMultipart: true,
    ...(partSize === undefined ? {} : { getChunkSize: () => partSize }),
    createMultipartUpload: async () => {
      const created = await backend.createMultipartUpload(file, never)
      key = created.key
      return created
    },
    signPart: async (_file, options) => {
      const signed = await backend.signPart(file, { ...options, signal: options.signal ?? never })
      return { method: 'PUT' as const, url: signed.url, ...(signed.headers ? { headers: signed.headers } : {}) }
    },
    listParts: (_file, options) => backend.listParts(file, ref(options)),
    completeMultipartUpload: async (_file, options) => {
      const parts = options.parts.map((part) => ({ PartNumber: part.PartNumber ?? 0, ETag: part.ETag ?? '' }))
      return (await backend.completeMultipartUpload(file, { ...ref(options), parts })) ?? {}
    },
    abortMultipartUpload: (_file, options) => backend.abortMultipartUpload(file, ref(options)),
  })
  try {
    client.addFile({ name: 'bench.bin', type: 'application/octet-stream', data: blob() })
    const started = performance.now()
    const result = await client.upload()
    const ms = performance.now() - started
    const failed = result?.failed?.[0]
    if (!result || failed || result.successful?.length !== 1) throw new Error(`Uppy failed: ${failed?.error ?? 'no result'}`)
    return { ms, key }
  } finally {
    client.destroy()
  }
}
