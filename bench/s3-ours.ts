/**
 * The "ours" client of the S3 bench, in one function, used by the Node child (s3-node-client.ts,
 * node-http transport, a file) and by the Chromium page (s3-page.ts, XHR transport, a Blob).
 *
 * Today it drives the parts runner directly, `s3(callbacks).createRun(...)`, exactly as
 * test/integration/s3-runner.test.ts does, because the runner is not yet wired into `Upload`.
 * Once it is, the body becomes:
 * ```ts
 * const upload = new Upload(file, { protocol: s3(callbacks), chunkSize, concurrency })
 * ```
 * resolving on its `success` (the object's key then comes from the `url` event / result).
 * @module
 */
import { RequestSender } from '../src/request-sender'
import { s3 } from '../src/s3'
import type { S3Callbacks } from '../src/protocols/s3-types'
import type { Source, Transport } from '../src/types'
import { partSenderFor } from '../src/upload/parts-runner-types'

/** What one upload of ours needs. */
export interface OursS3Upload {
  /** The bytes (a file in Node, a Blob in the page). */
  source: Source
  /** The app backend's five callbacks. */
  callbacks: S3Callbacks
  /** The transport (node-http in Node, XHR in the page). */
  transport: Transport
  /** The part size in bytes. */
  chunkSize: number
  /** Parts in flight. */
  concurrency: number
}

/** What it answers: the object's key (for the SHA-256 check) and URL. */
export interface OursS3Result {
  key: string
  url: string
}

/** The Upload's default retry policy (src/upload/settings.ts). */
const DEFAULT_RETRY = { retries: 8, minTimeout: 500, maxTimeout: 30_000, factor: 2, randomize: true }

/** Uploads `source` with our S3 protocol and resolves once the object is complete. */
export async function uploadOurs({ source, callbacks, transport, chunkSize, concurrency }: OursS3Upload): Promise<OursS3Result> {
  // Becomes `new Upload(file, { protocol: s3(callbacks), chunkSize, concurrency })` once the runner is wired.
  const sender = new RequestSender(transport, undefined, () => false, 30_000)
  const run = s3(callbacks).createRun({
    source,
    send: partSenderFor(sender),
    concurrency,
    chunkSize,
    retry: DEFAULT_RETRY,
    maxRestarts: 2,
    emit: () => {},
    signal: new AbortController().signal,
  })
  const result = await run.run()
  return { key: result.upload.key, url: result.url }
}
