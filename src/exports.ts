/**
 * What both entries export (`resumable-upload` in browsers and in Node): errors, option and event
 * types, protocols, the fetch transport, the memory store, records and fingerprints. Each entry
 * re-exports this list and adds only its own pieces: its `Upload` class and the transports,
 * sources and stores that exist only there.
 * @module
 */
export { UploadError, isRetryableStatus } from './errors'
export type { UploadErrorCode, UploadErrorOptions } from './errors'
export type { HeadersOption, RetryOptions, UploadEvents, UploadOptions, UploadProgress, UploadResult, UploadState } from './options'
export type { UploadWarning, UploadWarningCode } from './persistence'
export type { RestoreOptions } from './previous'
export { ietfProtocol } from './protocols/ietf'
export type { IetfProtocolOptions } from './protocols/ietf'
export { tusProtocol } from './protocols/tus'
export type { TusProtocol, TusProtocolOptions, TusServerInfo } from './protocols/tus'
export { fetchTransport } from './transports/fetch'
export type { FetchTransportOptions } from './transports/fetch'
export type * from './types'

// Persistence
export { memoryStore } from './stores/memory'
export { StoreError } from './stores/errors'
export type { StoreErrorCode } from './stores/errors'
export { parseRecord } from './stores/record'
export { fingerprint } from './fingerprint'
export type { FingerprintFunction, FingerprintOptions } from './fingerprint'
