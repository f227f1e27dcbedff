/**
 * The script-tag sibling `dist/resumable-upload.azure.min.js` (built by rollup.config.mjs after
 * the bundle, loaded by a second script tag): adds `ResumableUpload.azureBlob`, the `azureBlob()`
 * of `resumable-upload/azure`. Its code shares the bundle's modules; what the bundle does not hold
 * (the Azure protocol, the parts runner, p-retry) comes with it or from sibling files the bundle's
 * loader fetches, so `ResumableUpload.azureBlob` is there once those have run.
 * @example
 * ```html
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.min.js"></script>
 * <script src="https://unpkg.com/resumable-upload/dist/resumable-upload.azure.min.js"></script>
 * ```
 * @module
 */
import { azureBlob } from '../azure'

;(globalThis as unknown as { ResumableUpload: { azureBlob?: typeof azureBlob } }).ResumableUpload.azureBlob = azureBlob

export { azureBlob }
