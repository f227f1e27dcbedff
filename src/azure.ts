/**
 * `resumable-upload/azure`: Azure Block Blob uploads with parallel blocks through a SAS URL, with
 * the same `Upload` API, events, retries and persistence as the other protocols. Nothing of Azure
 * loads unless this entry is imported.
 * @example
 * ```ts
 * import { Upload } from 'resumable-upload'
 * import { azureBlob } from 'resumable-upload/azure'
 * const upload = new Upload(file, {
 *   protocol: azureBlob({ url: (file) => backend.sasFor(file) }), // or a SAS URL string
 *   chunkSize: 8 * 1024 * 1024, // the block size; default grows with the file
 *   concurrency: 4, // blocks in flight
 * })
 * ```
 * @module
 */
import { azureBlobProtocol, type AzureProtocol } from './protocols/azure'
import type { AzureBlobOptions } from './protocols/azure-types'
import { azureRunProtocol } from './upload/azure-run'
import { PartsRunner } from './upload/parts-runner'
import type { PartsProtocol, UploadPartsProtocol } from './upload/parts-runner-types'
import { uploadParts } from './upload/parts-upload'

export type * from './protocols/azure-types'
export {
  AZURE_API_VERSION,
  AZURE_DEFAULT_BLOCK_SIZE,
  AZURE_MAX_BLOCKS,
  AZURE_MAX_BLOCK_SIZE,
  AZURE_MAX_SIZE,
  azureBlobProtocol,
  azureBlockId,
  isExpiredSas,
  parseAzureError,
} from './protocols/azure'
export type { AzureProtocol } from './protocols/azure'
export type { PartsHost, PartsProtocol, PartsRun, PartsRunResult, UploadPartsProtocol } from './upload/parts-runner-types'

/** The Azure Block Blob protocol, with what the Upload needs to run its blocks. */
export interface AzureUploadProtocol extends AzureProtocol, UploadPartsProtocol {
  /** `azure-blob`. */
  readonly name: AzureProtocol['name']
  /** The record format's version. */
  readonly version: AzureProtocol['version']
}

/**
 * The Azure Block Blob protocol for `new Upload(file, { protocol: azureBlob({ url }) })`. `url` is
 * the blob's URL with a SAS token (create + write; + read to resume), or a function answering one,
 * called again when the token expires.
 *
 * Through the Upload: blocks go up `concurrency` at a time through the Upload's transport; the
 * record (the blob URL without its SAS, the block size, the blocks stored) is written as blocks
 * complete; on resume Get Block List (`uncommitted`) is the truth and only missing blocks are
 * sent. `abort({ terminate: true })` forgets the record only: Azure has no call that deletes
 * uncommitted blocks, it drops them after a week (or when another upload commits the blob).
 * @throws TypeError for options it cannot use; UploadError `location-refused` for a string `url`
 *   that is not an http(s) blob URL
 */
export function azureBlob(options: AzureBlobOptions): AzureUploadProtocol {
  const protocol = azureBlobProtocol(options)
  const parts: AzureProtocol & PartsProtocol = {
    ...protocol,
    createRun: (input) => new PartsRunner({ ...input, protocol: azureRunProtocol(protocol, undefined, input.now) }),
  }
  return uploadParts(parts)
}
