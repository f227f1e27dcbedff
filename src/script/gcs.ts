/**
 * The script-tag sibling `dist/resumable-upload.gcs.min.js` (built by rollup.config.mjs after the
 * bundle, loaded by a second script tag): adds `ResumableUpload.gcs`, the `gcs()` of
 * `resumable-upload/gcs`. Its code shares the bundle's modules; what the bundle does not hold
 * (the GCS protocol) comes with it or from sibling files the bundle's loader fetches, so
 * `ResumableUpload.gcs` is there once those have run.
 * @example
 * ```html
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.min.js"></script>
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.gcs.min.js"></script>
 * ```
 * @module
 */
import { gcs } from '../gcs'

;(globalThis as unknown as { ResumableUpload: { gcs?: typeof gcs } }).ResumableUpload.gcs = gcs

export { gcs }
