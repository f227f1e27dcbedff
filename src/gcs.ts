/**
 * `resumable-upload/gcs`: Google Cloud Storage resumable uploads (JSON API `uploadType=resumable`,
 * or a signed URL opened with `x-goog-resumable: start`) with the same `Upload` API, events,
 * retries and persistence as the IETF and tus protocols. The app's backend opens the session; the
 * client only talks to the session URI. One chunk is in flight at a time (GCS has no parallel
 * parts, so `concurrency` does nothing); chunks are whole 256 KiB units except the last. Nothing
 * of GCS loads unless this entry is imported.
 * @example
 * ```ts
 * import { Upload } from 'resumable-upload'
 * import { gcs } from 'resumable-upload/gcs'
 * const upload = new Upload(file, {
 *   protocol: gcs({ sessionUrl: (file) => fetch('/api/gcs-session', { method: 'POST', body: JSON.stringify(file) }).then((r) => r.text()) }),
 *   chunkSize: 8 * 1024 * 1024, // rounded down to whole 256 KiB units (at least one); default adaptive, aligned the same way
 * })
 * const { response } = await upload.start()
 * parseGcsObject(response) // the object resource: name, bucket, size, md5Hash, …
 * ```
 * @module
 */
export { GCS_CHUNK_UNIT, GCS_ORIGIN, alignChunkEnd, gcs, heldBytes, parseGcsObject } from './protocols/gcs'
export type { GcsFile, GcsObject, GcsOptions, GcsProtocol, GcsSessionUrl } from './protocols/gcs'
