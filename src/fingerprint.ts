/**
 * Fingerprints: the key under which an upload's record is stored, so that the same file sent to
 * the same endpoint finds its earlier upload, and a different file never does.
 * @module
 */
import type { Source } from './types'

/** Bytes sampled at each end of the source when `sampleContent` is on: 64 KiB. */
export const SAMPLE_BYTES = 64 * 1024

/** Options of {@link fingerprint}. */
export interface FingerprintOptions {
  /** The endpoint uploads are created at (part of the key: one file, two servers, two uploads). */
  endpoint: string
  /**
   * Also hash the first and last {@link SAMPLE_BYTES} of the content, so that another file with
   * the same name, size, type and lastModified gets another key. Default `false`.
   */
  sampleContent?: boolean
}

/**
 * A user-supplied fingerprint: a stable key for the source and endpoint, or undefined for "do not
 * persist this upload". May be async.
 */
export type FingerprintFunction = (source: Source, options: { endpoint: string }) => string | undefined | Promise<string | undefined>

/**
 * The default fingerprint: `ru1:` and the SHA-256 hex (Web Crypto) of a canonical JSON of the
 * source's name, size, type and lastModified and the endpoint (as given: pass the resolved URL
 * for a key that does not depend on the page). With `sampleContent`, the SHA-256 of the first and
 * last 64 KiB joins them, read through `source.slice()`.
 *
 * Limits: without `sampleContent`, two files alike in name, size, type and lastModified get one
 * key. With it, files that differ only between their first and last 64 KiB still do; the Upload
 * must not trust a key alone to prove the bytes are the same.
 *
 * Resolves to undefined (no fingerprint, so nothing is persisted) for a source of unknown size (a
 * stream: its bytes cannot be read twice) and where Web Crypto is missing (pages on plain `http:`
 * origins other than localhost have no `crypto.subtle`).
 * @param source the source to fingerprint
 * @param options endpoint and sampleContent (see {@link FingerprintOptions})
 * @throws UploadError `source-error` when sampling cannot read the source
 */
export async function fingerprint(source: Source, options: FingerprintOptions): Promise<string | undefined> {
  const size = source.size
  const subtle = globalThis.crypto?.subtle
  if (size === undefined || subtle === undefined) return undefined
  const sha256 = async (data: BufferSource): Promise<string> =>
    Array.from(new Uint8Array(await subtle.digest('SHA-256', data)), (byte) => byte.toString(16).padStart(2, '0')).join('')
  // Loaded here: uploads without sampleContent or digests never read bytes into memory.
  const sample = options.sampleContent === true ? await sha256(await (await import('./sources/read')).readEnds(source, size, SAMPLE_BYTES)) : null
  const canonical = JSON.stringify({
    name: source.name ?? null,
    size,
    type: source.type ?? null,
    lastModified: source.lastModified ?? null,
    endpoint: options.endpoint,
    sample,
  })
  return `ru1:${await sha256(new TextEncoder().encode(canonical))}`
}
