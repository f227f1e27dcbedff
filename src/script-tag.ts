/**
 * The script-tag bundle's entry (`dist/resumable-upload.min.js`, built by rollup.config.mjs): it
 * sets `globalThis.ResumableUpload` to the browser entry's API at once. What few pages need
 * (tus, fetch, streams, the memory store…) is not in the bundle: it stays behind `import()`, which
 * the build turns into loads of sibling files next to the bundle (see rollup.config.mjs), and
 * `tusProtocol`, `fetchTransport` and `memoryStore` are stand-ins that load theirs on first use.
 * @module
 */
import type * as BrowserEntry from './index'
import {
  StoreError,
  Upload,
  UploadError,
  acquireUploadLock,
  fingerprint,
  ietfProtocol,
  indexedDbStore,
  isRetryableStatus,
  parseRecord,
  xhrTransport,
} from './index'
import { fetchTransport, memoryStore, tusProtocol } from './script/lazy-exports'
import { define } from './script/loader'

/** The global's value: exactly the browser entry's runtime exports (the type checks it). */
const api: typeof BrowserEntry = {
  Upload,
  UploadError,
  isRetryableStatus,
  ietfProtocol,
  tusProtocol,
  fetchTransport,
  memoryStore,
  StoreError,
  parseRecord,
  fingerprint,
  xhrTransport,
  indexedDbStore,
  acquireUploadLock,
}

;(globalThis as { ResumableUpload?: typeof BrowserEntry }).ResumableUpload = api
// What the sibling files call (not enumerable: the API's keys stay the browser entry's).
Object.defineProperty(api, '_chunk', { value: define })

/** For the bundle's wrapper (rollup.config.mjs): what `import()` becomes, and the loader's start. */
export { init, load } from './script/loader'
