/**
 * The one settings table: every option of `new Upload(source, options)` once, with its default.
 * The unknown-option check, the Upload and the README's options table (checked by
 * test/unit/settings.test.ts) all read it. Options whose default depends on the entry point
 * (browser or Node) or on the transport say so with {@link BY_ENVIRONMENT}.
 * @module
 */
import type { RetryOptions, UploadOptions } from '../options'
import type { ProtocolName } from '../protocols/load'

/** Marks an option the entry point decides (transport, store, …) or that has no default. */
export const BY_ENVIRONMENT = 'by-environment' as const

const MiB = 1024 * 1024

/** The chunk size where none is set and one request is not the default: 8 MiB. */
export const DEFAULT_CHUNK_SIZE = 8 * MiB

/**
 * Every option and its default. A Record over `keyof UploadOptions` fails to compile when an
 * option is added to the interface and not here, or named here and not there.
 */
export const SETTINGS = {
  endpoint: undefined,
  url: undefined,
  protocol: 'ietf' as ProtocolName,
  interopVersion: 8,
  chunkSize: BY_ENVIRONMENT,
  concurrency: 4,
  headers: undefined,
  metadata: {} as Record<string, string>,
  retry: { retries: 8, minTimeout: 500, maxTimeout: 30_000, factor: 2, randomize: true } as Required<RetryOptions>,
  maxRetryAfter: 300,
  transport: BY_ENVIRONMENT,
  signal: undefined,
  allowedOrigins: [] as string[],
  restartOnGone: true,
  maxRestarts: 3,
  stallTimeout: 30_000,
  store: BY_ENVIRONMENT,
  storeDirectory: BY_ENVIRONMENT,
  fingerprint: BY_ENVIRONMENT,
  sampleContent: false,
  removeOnSuccess: true,
  persistBlob: false,
  lock: 'wait' as 'wait' | 'fail',
} satisfies Record<keyof UploadOptions, unknown>

/** Options with a plain default, resolved. */
export type Settings = {
  readonly [Name in keyof typeof SETTINGS as (typeof SETTINGS)[Name] extends undefined | typeof BY_ENVIRONMENT ? never : Name]: (typeof SETTINGS)[Name]
}

/** The names `new Upload(source, options)` accepts. */
export const UPLOAD_OPTION_NAMES = Object.keys(SETTINGS) as Array<keyof UploadOptions>

/**
 * Every option with a plain default, from `options` or the table (`retry` merged member by
 * member). Checks the options first (see {@link checkUploadOptions}).
 */
export function resolveSettings(options: UploadOptions): Settings {
  checkUploadOptions(options)
  const settings: Record<string, unknown> = { retry: { ...SETTINGS.retry, ...options.retry } }
  for (const [name, value] of Object.entries(SETTINGS)) {
    if (value !== undefined && value !== BY_ENVIRONMENT) settings[name] ??= options[name as keyof UploadOptions] ?? value
  }
  return settings as Settings
}

/** What the chunk size default depends on. */
export interface ChunkSizeContext {
  /** The transport sees 1xx responses (Node's node-http). */
  seesInterimResponses: boolean
  /** The protocol names the upload URL before a creation body ends (IETF's 104). */
  earlyLocation: boolean
}

/**
 * The `chunkSize` default: `Infinity` (one request) where the URL arrives in a 104 the transport
 * sees (Node with IETF): a single request resumes as well as chunks do and costs no round trip
 * per chunk. {@link DEFAULT_CHUNK_SIZE} elsewhere.
 */
export function defaultChunkSize(context: ChunkSizeContext): number {
  return context.seesInterimResponses && context.earlyLocation ? Infinity : DEFAULT_CHUNK_SIZE
}

/**
 * The session's chunk size: the `chunkSize` option when set; else one request where that is the
 * default ({@link defaultChunkSize}); else undefined: adaptive request sizes (a sizer starting
 * at 8 MiB, made by the session's response side at the first answer).
 */
export function chunkSizing(chunkSize: number | undefined, context: ChunkSizeContext): number | undefined {
  return chunkSize ?? (defaultChunkSize(context) === Infinity ? Infinity : undefined)
}

/**
 * Throws for options a JavaScript caller could get wrong without a compiler to tell: a
 * TypeError for an unknown name (a typo such as `chunksize` would otherwise be ignored), a
 * RangeError for a `chunkSize` that is not positive (or, for a parts protocol such as S3, outside
 * its part sizes) or a `concurrency` that is not a positive integer. (A negative `maxRestarts` or
 * `maxRetryAfter` acts as 0.)
 */
export function checkUploadOptions(options: UploadOptions): void {
  for (const name of Object.keys(options)) {
    if (Object.hasOwn(SETTINGS, name)) continue
    // " (did you mean `chunkSize`?)" when a known name differs only in case.
    const known = UPLOAD_OPTION_NAMES.find((option) => option.toLowerCase() === name.toLowerCase())
    throw new TypeError(`resumable-upload: unknown option \`${name}\`${known ? ` (did you mean \`${known}\`?)` : ''}`)
  }
  const { chunkSize = 1, concurrency = 1, protocol } = options
  if (!(chunkSize > 0)) throw new RangeError('resumable-upload: `chunkSize` must be a positive number or Infinity')
  // `% 1` is NaN for NaN and Infinity.
  if (!(concurrency > 0 && concurrency % 1 === 0)) throw new RangeError('resumable-upload: `concurrency` must be a positive integer')
  // A parts protocol's own rule for its part size (S3: 5 MiB to 5 GiB), here rather than at start().
  if (typeof protocol === 'object' && 'parts' in protocol) protocol.checkChunkSize(options.chunkSize)
}
