/**
 * Reading Azure's answers: its XML error documents, what a failure means (refresh the SAS, start
 * over, retry, fail) and a strict reader of Get Block List. Pure: the time is a parameter.
 *
 * Measured against Azurite 3.35.0 (test/integration/azure.test.ts): an expired SAS answers
 * `403 AuthorizationFailure` with the generic "Server failed to authenticate the request" message
 * (Azure answers `403 AuthenticationFailed` with an `AuthenticationErrorDetail` naming the time
 * frame), so an expired SAS is recognised by its own `se` as well as by the message.
 * @module
 */
import { UploadError, isRetryableStatus } from '../errors'
import type { HttpResponse } from '../types'
import { azureBlock, azureBlockCount, azureBlockNumber } from './azure-blocks'
import { sasExpiry } from './azure-requests'
import type { AzureErrorDocument, AzureResult } from './azure-types'
import { parseRetryAfter } from './http-fields'
import { responseDetails } from './problem'

/** Azure error codes that a resend may get past (Azure's "common REST API error codes" marked transient). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['InternalError', 'OperationTimedOut', 'ServerBusy'])

/** Codes a SAS that is not (or no longer) valid gets. */
const AUTH_CODES: ReadonlySet<string> = new Set(['AuthenticationFailed', 'AuthorizationFailure'])

/** The code (from `x-ms-error-code`, else the XML), message and authentication detail of an Azure error. */
export function parseAzureError(response: Pick<HttpResponse, 'headers' | 'body'>): AzureErrorDocument {
  const error = /<Error\b[^>]*>([\s\S]*)<\/Error>/.exec(response.body)?.[1]
  const header = response.headers['x-ms-error-code']?.trim()
  const code = header !== undefined && header !== '' ? header : error === undefined ? undefined : text(error, 'Code')
  const message = error === undefined ? undefined : text(error, 'Message')?.split('\n')[0]
  return { code, message, detail: error === undefined ? undefined : text(error, 'AuthenticationErrorDetail') }
}

/** Whether the answer says the SAS expired: an auth failure whose `se` passed at `now`, or whose text says so. */
export function isExpiredSas(status: number, error: AzureErrorDocument, sas: string, now: number): boolean {
  if (status !== 403 || error.code === undefined || !AUTH_CODES.has(error.code)) return false
  const expiry = sasExpiry(sas)
  if (expiry !== undefined && now >= expiry) return true
  return /expired|time frame|signed expiry/i.test(`${error.message ?? ''} ${error.detail ?? ''}`)
}

/**
 * What the answer to Put Block or Put Block List means.
 * - 2xx: `stored` (with the blob's `ETag` after Put Block List; a block has none).
 * - 403 for an expired SAS (see {@link isExpiredSas}): `refresh` when the `url` option is a
 *   function (`canRefresh`), else an error that says the token expired (not retryable).
 * - 400 `InvalidBlockList` (commit): `gone`: Azure no longer holds the blocks (uncommitted blocks
 *   are dropped after a week), the upload must start over.
 * - 408, 429, 5xx and `InternalError`/`OperationTimedOut`/`ServerBusy`: retryable, with `Retry-After`.
 * - Anything else (404 `ContainerNotFound`, 409, 412, other 403s): failed with Azure's code and message.
 */
export function readAzureResponse(what: string, response: HttpResponse, sas: string, now: number, canRefresh: boolean): AzureResult {
  const { status } = response
  if (status >= 200 && status <= 299) return { kind: 'stored', etag: response.headers['etag']?.trim() || undefined }
  const error = parseAzureError(response)
  const said = `${what} answered ${status}${error.code === undefined ? '' : ` ${error.code}`}${error.message === undefined ? '' : `: ${error.message}`}`
  const details = { status, retryAfter: parseRetryAfter(response.headers['retry-after'], now), ...responseDetails(response) }
  if (isExpiredSas(status, error, sas, now)) {
    if (canRefresh)
      return {
        kind: 'refresh',
        error: new UploadError('http-status', `${said} (the SAS token expired; a new one did not help)`, { ...details, retryable: true }),
      }
    return {
      kind: 'error',
      error: new UploadError('http-status', `${said}: the SAS token expired; give \`url\` as a function to refresh it`, { ...details, retryable: false }),
    }
  }
  if (error.code === 'InvalidBlockList')
    return { kind: 'gone', error: new UploadError('upload-gone', `${said} (Azure no longer holds the blocks)`, { ...details, retryable: false }) }
  const retryable = isRetryableStatus(status) || (error.code !== undefined && RETRYABLE_CODES.has(error.code))
  return { kind: 'error', error: new UploadError('http-status', said, { ...details, retryable }) }
}

/**
 * The block numbers a Get Block List answer (`blocklisttype=uncommitted`) names, checked against
 * the plan of a `size` byte source in blocks of `blockSize`, ascending. `404 BlobNotFound` (no
 * block yet) is an empty list; any other failure is read as {@link readAzureResponse} reads it.
 * @throws UploadError `malformed-response` when a 200's body is not a block list; `offset-invalid`
 *   when it names a block that is not ours, outside the plan, twice, or of another size; the
 *   failure's error for other statuses (refresh included: the caller asks {@link readAzureResponse})
 */
export function readBlockList(response: HttpResponse, plan: { size: number; blockSize: number }): number[] {
  if (response.status === 404 && parseAzureError(response).code === 'BlobNotFound') return []
  if (response.status !== 200) throw new UploadError('http-status', `Get Block List answered ${response.status}`, { status: response.status })
  const list = /^\s*(?:<\?xml[^>]*\?>)?\s*<BlockList>([\s\S]*)<\/BlockList>\s*$/.exec(response.body)?.[1]
  if (list === undefined) throw malformed('is not a <BlockList> document')
  const uncommitted = /<UncommittedBlocks>([\s\S]*?)<\/UncommittedBlocks>/.exec(list)?.[1] ?? ''
  const count = azureBlockCount(plan.size, plan.blockSize)
  const held = new Set<number>()
  for (const [, block] of uncommitted.matchAll(/<Block>([\s\S]*?)<\/Block>/g)) {
    const name = text(block as string, 'Name')
    const sizeText = text(block as string, 'Size')
    if (name === undefined || sizeText === undefined || !/^\d{1,16}$/.test(sizeText)) throw malformed('has a <Block> without a <Name> and an integer <Size>')
    const number = azureBlockNumber(name)
    if (number === undefined) throw misfit(`names block ${JSON.stringify(name.slice(0, 80))}, which this SDK did not name`)
    if (number > count) throw misfit(`names block ${number}, and this file has blocks 1 to ${count}`)
    if (held.has(number)) throw misfit(`names block ${number} twice`)
    const { start, end } = azureBlock(number, plan.size, plan.blockSize)
    if (Number(sizeText) !== end - start) throw misfit(`says block ${number} has ${sizeText} bytes, and it has ${end - start} in this file`)
    held.add(number)
  }
  return [...held].sort((a, b) => a - b)
}

function malformed(text: string): UploadError {
  return new UploadError('malformed-response', `Get Block List's answer ${text}`, { retryable: false })
}

function misfit(text: string): UploadError {
  return new UploadError('offset-invalid', `Get Block List ${text}: the stored blocks do not fit this file`, { retryable: false })
}

/** The text of the first `<name>` element in `xml`, with XML's entities decoded. */
function text(xml: string, name: string): string | undefined {
  const found = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]
  return found?.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (entity, ref: string) => {
    if (!ref.startsWith('#')) return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[ref] ?? entity
    const point = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
    return point <= 0x10ffff ? String.fromCodePoint(point) : entity
  })
}
