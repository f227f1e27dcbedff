/**
 * Protocol-neutral HTTP field helpers: `Location` resolution, origin comparison, `Retry-After`
 * and HTTP-date parsing (what reading responses needs), and, re-exported from ./request-fields,
 * `Content-Disposition` and `Content-Type` for a file. Pure functions: the current time is always
 * an argument.
 * @module
 */

export { contentDisposition, fileContentType } from './request-fields'

/** What {@link resolveLocation} makes of a `Location` value. */
export type LocationResolution =
  /** An absolute http(s) URL. */
  | { ok: true; url: string }
  /** `malformed`: not a URL reference; `refused`: not http(s), or it carries credentials. */
  | { ok: false; reason: 'malformed' | 'refused' }

/**
 * Resolves a `Location` field value against the URL of the request it answers (RFC 9110 §10.2.2)
 * and accepts only `http:` and `https:` URLs without user information.
 *
 * @example
 * resolveLocation('/uploads/1', 'https://a.example/files') // { ok: true, url: 'https://a.example/uploads/1' }
 * resolveLocation('javascript:alert(1)', 'https://a.example/') // { ok: false, reason: 'refused' }
 */
export function resolveLocation(location: string, requestUrl: string): LocationResolution {
  const value = location.trim()
  if (value === '' || /[\u0000-\u001f\u007f]/.test(value)) return { ok: false, reason: 'malformed' }
  const url = toUrl(value, toUrl(requestUrl))
  if (url === undefined) return { ok: false, reason: 'malformed' }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'refused' }
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'refused' }
  return { ok: true, url: url.href }
}

/** Whether two absolute URLs share scheme, host and port. False when either is not a URL. */
export function isSameOrigin(a: string, b: string): boolean {
  const origin = toUrl(a)?.origin
  return origin !== undefined && origin !== 'null' && origin === toUrl(b)?.origin
}

// try/catch rather than URL.canParse, which older browsers (Safari < 17) lack.
function toUrl(value: string, base?: URL): URL | undefined {
  try {
    return new URL(value, base)
  } catch {
    return undefined
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const TIME = '(?<hour>\\d{2}):(?<minute>\\d{2}):(?<second>\\d{2})'
const HTTP_DATES = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?<day>\\d{2}) (?<month>[A-Z][a-z]{2}) (?<year>\\d{4}) ${TIME} GMT$`),
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (?<day>\\d{2})-(?<month>[A-Z][a-z]{2})-(?<year>\\d{2}) ${TIME} GMT$`),
  // asctime: Sun Nov  6 08:49:37 1994
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?<month>[A-Z][a-z]{2}) (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`),
]

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms)
 * into ms since the epoch; undefined when it is none of them or names an impossible date.
 * A two-digit RFC 850 year is read as 1970–2069.
 */
export function parseHttpDate(value: string): number | undefined {
  const text = value.trim()
  const groups = HTTP_DATES.map((pattern) => pattern.exec(text)?.groups).find((found) => found !== undefined)
  if (groups === undefined) return undefined
  let year = Number(groups.year)
  if (groups.year?.length === 2) year += year >= 70 ? 1900 : 2000
  const month = MONTHS.indexOf(groups.month ?? '')
  const [day, hour, minute, second] = [groups.day, groups.hour, groups.minute, groups.second].map(Number) as [number, number, number, number]
  if (year < 1000 || month < 0 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined
  const time = Date.UTC(year, month, day, hour, minute, Math.min(second, 59))
  // Date.UTC rolls 31 Feb over into March: such a date is not a date.
  return new Date(time).getUTCDate() === day ? time : undefined
}

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3) as whole seconds to wait. A delay in seconds is taken as
 * is; an HTTP-date needs `now` (ms since the epoch) and gives the seconds until it, at least 0.
 * Undefined when the field is absent or invalid, or when it is a date and `now` is undefined.
 */
export function parseRetryAfter(value: string | undefined, now: number | undefined): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) {
    const seconds = Number(text)
    return Number.isSafeInteger(seconds) ? seconds : undefined
  }
  const date = parseHttpDate(text)
  if (date === undefined || now === undefined) return undefined
  return Math.max(0, Math.ceil((date - now) / 1000))
}
