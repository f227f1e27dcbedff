/**
 * One Node upload of the S3 bench, in its own process (so the client does not share an event loop
 * with s3rver and the backend, which run in the driver): `node --import tsx bench/s3-node-client.ts
 * '<job JSON>'`. Prints one line `s3-result <JSON>` with the wall time from the start of the
 * upload to the final answer; the driver checks the stored object's SHA-256.
 *
 * - `raw`: one presigned PutObject of the whole file (the ceiling): `fs.createReadStream` piped
 *   into `http.request`.
 * - `ours`: {@link uploadOurs}: the Node entry's `new Upload(path, { protocol: s3(callbacks),
 *   chunkSize, concurrency })` (node-http, the file store), signing through the backend's JSON
 *   endpoint (as an app's client would).
 * - `lib-storage`: `@aws-sdk/lib-storage`'s `Upload` with an `S3Client` holding the credentials
 *   (how it is used: it signs itself), `queueSize` and `partSize` from the job (or its defaults: 4
 *   and 5 MiB), the file as a stream.
 * @module
 */
import { Upload } from '@aws-sdk/lib-storage'
import { createReadStream } from 'node:fs'
import { request } from 'node:http'
import { Upload as OursUpload } from '../src/node'
import { remoteS3Backend } from '../test/support/s3-backend-client'
import { s3Client } from '../test/support/s3-server'
import { uploadOurs } from './s3-ours'

/** What the driver asks of one child. */
export interface S3NodeJob {
  client: 'raw' | 'ours' | 'lib-storage'
  /** The data file. */
  path: string
  size: number
  /** Part size (ours, lib-storage); undefined: the client's default. */
  partSize: number | undefined
  /** Parts in flight (ours), queueSize (lib-storage); undefined: the client's default. */
  concurrency: number | undefined
  /** The backend's JSON endpoint (ours). */
  backendUrl: string
  /** s3rver's endpoint (lib-storage). */
  s3Endpoint: string
  bucket: string
  /** The object key (raw, lib-storage; ours gets one from createMultipartUpload). */
  key: string
  /** A presigned PutObject URL for `key` (raw). */
  putUrl: string
}

/** The child's answer. */
export type S3NodeResult = { ok: true; ms: number; key: string } | { ok: false; error: string }

/** The line prefix of the answer. */
export const RESULT_PREFIX = 's3-result '

function putWhole(job: S3NodeJob): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(job.putUrl, { method: 'PUT', headers: { 'content-length': job.size } }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PutObject answered ${res.statusCode}`))))
    })
    req.on('error', reject)
    createReadStream(job.path, { highWaterMark: 1024 * 1024 }).pipe(req)
  })
}

async function libStorage(job: S3NodeJob): Promise<void> {
  const client = s3Client(job.s3Endpoint)
  try {
    const body = createReadStream(job.path, { highWaterMark: 1024 * 1024 })
    const params = { Bucket: job.bucket, Key: job.key, Body: body }
    const upload = new Upload({
      client,
      params,
      ...(job.concurrency === undefined ? {} : { queueSize: job.concurrency }),
      ...(job.partSize === undefined ? {} : { partSize: job.partSize }),
    })
    await upload.done()
  } finally {
    client.destroy()
  }
}

/** Runs `job`; resolves with the time and the key. */
export async function runS3Job(job: S3NodeJob): Promise<S3NodeResult> {
  // Node 20 loads fetch (undici) on its first call: 100–300 ms measured under load, a cost a process
  // pays once, not per upload. Ours signs through fetch, so load it before the clock starts (every row).
  await (await fetch(job.backendUrl)).arrayBuffer()
  const started = performance.now()
  let key = job.key
  if (job.client === 'raw') await putWhole(job)
  else if (job.client === 'lib-storage') await libStorage(job)
  else {
    const done = await uploadOurs({
      Upload: OursUpload,
      input: job.path,
      callbacks: remoteS3Backend(job.backendUrl),
      chunkSize: job.partSize,
      concurrency: job.concurrency,
    })
    key = done.key
  }
  return { ok: true, ms: performance.now() - started, key }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  const job = JSON.parse(process.argv[2] ?? '{}') as S3NodeJob
  runS3Job(job).then(
    (result) => {
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
      process.exit(0)
    },
    (error: unknown) => {
      process.stdout.write(`${RESULT_PREFIX}${JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) })}\n`)
      process.exit(1)
    },
  )
}
