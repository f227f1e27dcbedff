/** `Upload.findPrevious` and `Upload.restoreAll`: what the store remembers, without an Upload. @module */
import type { UploadOptions } from './options'
import { recordKey } from './persistence'
import { parseRecord } from './stores/record'
import type { UploadRecord } from './types'
import type { UploadEnvironment } from './upload'

/** Stored records of unfinished uploads of this input to this endpoint (none, or one). */
export async function findPreviousRecords<Input>(input: Input, options: UploadOptions, environment: UploadEnvironment<Input>): Promise<UploadRecord[]> {
  const store = environment.store(options.store, options)
  // A parts protocol (s3()) names its own endpoint, as the Upload does.
  const given = options.endpoint ?? (options.protocol as { endpoint?: string } | undefined)?.endpoint
  if (!store || given === undefined) return []
  const source = await environment.source(input)
  try {
    const endpoint = new URL(given, environment.baseUrl()).href
    const key = await recordKey(source, endpoint, { fingerprint: options.fingerprint, sampleContent: options.sampleContent ?? false })
    const record = key === undefined ? undefined : parseRecord(await store.get(key).catch(() => undefined))
    return record && !record.complete ? [record] : []
  } finally {
    await source.close()
  }
}

/** What `Upload.restoreAll` takes: the Upload options except where to upload (each record says). */
export type RestoreOptions = Omit<UploadOptions, 'endpoint' | 'url'>

/** Stored records that carry their file (`persistBlob`), so they can resume with no file picker. */
export async function restorableRecords<Input>(options: UploadOptions, environment: UploadEnvironment<Input>): Promise<Array<UploadRecord & { blob: Blob }>> {
  const store = environment.store(options.store, options)
  if (!store) return []
  const records = await store.list().catch(() => [])
  return records
    .map((record) => parseRecord(record))
    .filter((record): record is UploadRecord & { blob: Blob } => record?.blob !== undefined && !record.complete)
}

/**
 * The Blob and options of each upload `restoreAll` resumes: the stored endpoint and metadata,
 * `persistBlob` on, and the caller's other options.
 */
export async function restorable<Input>(
  options: RestoreOptions,
  environment: UploadEnvironment<Input>,
): Promise<Array<{ blob: Blob; options: UploadOptions }>> {
  // Only this protocol's records: another protocol's would be found foreign, and removed, at start().
  const protocol = options.protocol ?? 'ietf'
  const records = (await restorableRecords(options, environment)).filter(
    (record) => record.protocol === (typeof protocol === 'object' ? protocol.name : protocol),
  )
  return records.map((record) => ({ blob: record.blob, options: { ...options, endpoint: record.endpoint, metadata: record.metadata, persistBlob: true } }))
}
