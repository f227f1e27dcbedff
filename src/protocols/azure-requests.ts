/**
 * The blob's SAS URL and the three requests of an Azure Block Blob upload: Put Block, Get Block
 * List (uncommitted) and Put Block List. Only descriptions: no I/O. Pure.
 * @module
 */
import { UploadError } from '../errors'
import type { AzureBlobRef, AzurePlannedBlock, AzureRequest } from './azure-types'

/** The `x-ms-version` sent by default (Azurite 3.35 and Azure both take it). */
export const AZURE_API_VERSION = '2021-12-02'

/**
 * Splits a SAS URL into the blob URL (no query, no fragment) and its SAS token.
 * @param current the blob in use: a refreshed URL must name the same blob
 * @param allowedOrigins when given, the origins the URL may name
 * @throws UploadError `location-refused` for a URL that is not absolute http(s), names another
 *   blob than `current`, or an origin outside `allowedOrigins`
 */
export function readSasUrl(value: unknown, current?: string, allowedOrigins?: readonly string[]): AzureBlobRef {
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname.split('/').filter(Boolean).length < 2) {
    throw new UploadError('location-refused', 'the Azure `url` must be an absolute http(s) blob URL (container and blob name) with its SAS', {
      retryable: false,
    })
  }
  const blobUrl = `${url.origin}${url.pathname}`
  if (allowedOrigins !== undefined && !allowedOrigins.includes(url.origin)) {
    throw new UploadError('location-refused', `the Azure \`url\` names origin ${url.origin}, which allowedOrigins does not allow`, { retryable: false })
  }
  if (current !== undefined && blobUrl !== current) {
    throw new UploadError('location-refused', 'the refreshed Azure `url` names another blob than the upload in use', { retryable: false })
  }
  return { blobUrl, sas: url.search.slice(1) }
}

/** When the SAS expires (its `se`, signed expiry), ms since the epoch; undefined when it does not say. */
export function sasExpiry(sas: string): number | undefined {
  const se = new URLSearchParams(sas).get('se')
  if (se === null) return undefined
  const time = Date.parse(se)
  return Number.isNaN(time) ? undefined : time
}

/** `ref`'s blob URL with its SAS and `query`. */
export function operationUrl(ref: AzureBlobRef, query: string): string {
  return `${ref.blobUrl}?${ref.sas === '' ? '' : `${ref.sas}&`}${query}`
}

/** Put Block: `PUT <blob>?<sas>&comp=block&blockid=<id, URL-encoded>`, the block's bytes as body. */
export function putBlockRequest(ref: AzureBlobRef, block: AzurePlannedBlock, version = AZURE_API_VERSION): AzureRequest {
  return {
    method: 'PUT',
    url: operationUrl(ref, `comp=block&blockid=${encodeURIComponent(block.id)}`),
    headers: { 'x-ms-version': version },
    body: { start: block.start, end: block.end },
  }
}

/** Get Block List of the uncommitted blocks: `GET <blob>?<sas>&comp=blocklist&blocklisttype=uncommitted`. */
export function getBlockListRequest(ref: AzureBlobRef, version = AZURE_API_VERSION): AzureRequest {
  return { method: 'GET', url: operationUrl(ref, 'comp=blocklist&blocklisttype=uncommitted'), headers: { 'x-ms-version': version }, body: null }
}

/**
 * Put Block List: commits the ids in the given order (`<Latest>`: the newest upload of each id) as
 * the blob, with `x-ms-blob-content-type` from the file's type when it has one and an
 * `x-ms-meta-<name>` header per metadata entry (checked by {@link checkAzureMetadata}).
 */
export function putBlockListRequest(
  ref: AzureBlobRef,
  ids: readonly string[],
  contentType: string | undefined,
  version = AZURE_API_VERSION,
  metadata: Readonly<Record<string, string>> = {},
): AzureRequest {
  const headers: Record<string, string> = { 'x-ms-version': version, 'content-type': 'application/xml' }
  if (contentType !== undefined && contentType !== '' && !/[\r\n\0]/.test(contentType)) headers['x-ms-blob-content-type'] = contentType
  for (const [name, value] of Object.entries(metadata)) headers[`x-ms-meta-${name.toLowerCase()}`] = value
  const latest = ids.map((id) => `<Latest>${escapeXml(id)}</Latest>`).join('')
  return { method: 'PUT', url: operationUrl(ref, 'comp=blocklist'), headers, body: `<?xml version="1.0" encoding="utf-8"?><BlockList>${latest}</BlockList>` }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * Checks the `metadata` option for Azure, before any request: names become `x-ms-meta-<name>`
 * headers and must be C# identifiers (letters, digits and `_`, not starting with a digit), unique
 * regardless of case; values must be printable ASCII (HTTP header values; Azure stores them as sent).
 * @throws UploadError `metadata-invalid` naming the entry and the rule
 */
export function checkAzureMetadata(metadata: Readonly<Record<string, string>>): void {
  const seen = new Set<string>()
  for (const [name, value] of Object.entries(metadata)) {
    const rule = !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)
      ? 'names must be C# identifiers (letters, digits and _, not starting with a digit)'
      : seen.has(name.toLowerCase())
        ? 'names must differ regardless of case'
        : typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)
          ? 'values must be printable ASCII (percent-encode other text)'
          : undefined
    if (rule) throw new UploadError('metadata-invalid', `Azure cannot store the metadata entry ${JSON.stringify(name)}: ${rule}`, { retryable: false })
    seen.add(name.toLowerCase())
  }
}
