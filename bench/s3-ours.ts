/**
 * The "ours" client of the S3 bench, in one function, used by the Node child (s3-node-client.ts: a
 * file path, the Node entry's `Upload`) and by the Chromium page (s3-page.ts: a Blob, the browser
 * entry's `Upload`). It runs what users run, through the public API:
 * `new Upload(file, { protocol: s3(callbacks), chunkSize, concurrency })` with every other option
 * at its default (transport, store, retries), so the record writes, events and lock are measured too.
 * @module
 */
import type { UploadOptions, UploadResult } from '../src/options'
import type { S3Callbacks } from '../src/protocols/s3-types'
import { s3 } from '../src/s3'

/** The `Upload` class of the entry the caller runs (`src/node` in Node, `src/index` in a page). */
export type UploadClass<Input> = new (input: Input, options: UploadOptions) => { start(): Promise<UploadResult> }

/** What one upload of ours needs. */
export interface OursS3Upload<Input> {
  /** The entry's `Upload`. */
  Upload: UploadClass<Input>
  /** The bytes: a file path in Node, a Blob in the page. */
  input: Input
  /** The app backend's five callbacks. */
  callbacks: S3Callbacks
  /** The part size in bytes; undefined: the default. */
  chunkSize: number | undefined
  /** Parts in flight; undefined: the default. */
  concurrency: number | undefined
}

/** What it answers: the object's key (for the SHA-256 check) and URL. */
export interface OursS3Result {
  key: string
  url: string
}

/** Uploads `input` with `new Upload(input, { protocol: s3(callbacks), chunkSize, concurrency })`; resolves once the object is complete. */
export async function uploadOurs<Input>({ Upload, input, callbacks, chunkSize, concurrency }: OursS3Upload<Input>): Promise<OursS3Result> {
  let key: string | undefined
  const protocol = s3({
    ...callbacks,
    // The key the object was completed under, for the driver's SHA-256 check.
    completeMultipartUpload: (file, options) => {
      key = options.key
      return callbacks.completeMultipartUpload(file, options)
    },
  })
  const { url } = await new Upload(input, {
    protocol,
    ...(chunkSize === undefined ? {} : { chunkSize }),
    ...(concurrency === undefined ? {} : { concurrency }),
  }).start()
  if (key === undefined) throw new Error('s3 bench: the upload completed without completeMultipartUpload')
  return { key, url }
}
