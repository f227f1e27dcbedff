/**
 * The script-tag sibling `dist/resumable-upload.s3.min.js` (built by rollup.config.mjs after the
 * bundle, loaded by a second script tag): adds `ResumableUpload.s3`, the `s3()` of
 * `resumable-upload/s3`. Its code shares the bundle's modules; what the bundle does not hold
 * (the S3 protocol, the parts runner, p-retry) comes with it or from sibling files the bundle's
 * loader fetches, so `ResumableUpload.s3` is there once those have run.
 * @example
 * ```html
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.min.js"></script>
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.s3.min.js"></script>
 * ```
 * @module
 */
import { s3 } from '../s3'

;(globalThis as unknown as { ResumableUpload: { s3?: typeof s3 } }).ResumableUpload.s3 = s3

export { s3 }
