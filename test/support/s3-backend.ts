/**
 * A test backend for S3 uploads: the five `@uppy/aws-s3` callbacks an app's server implements,
 * against the emulator of s3-server.ts, with `@aws-sdk/client-s3` and presigned UploadPart URLs
 * from `@aws-sdk/s3-request-presigner`.
 *
 * Where s3rver lacks an operation, this backend does what S3 would, from s3rver's directory, and
 * says so here:
 * - `listParts`: s3rver answers ListParts with `405`. The backend reads
 *   `._S3rver_uploads/<uploadId>/<n>` and `<n>.md5`, and names a part only when the md5 of its
 *   bytes equals the `.md5` file: s3rver overwrites a part in place, so a resend cut short leaves
 *   a partial file beside the old `.md5`, where S3 would still hold the old part whole. ETag is
 *   `"<md5>"`, Size the file's size.
 * - `abortMultipartUpload`: s3rver answers AbortMultipartUpload with `405`. The backend renames the
 *   upload's folder away (at once, as S3's abort; a part s3rver is still writing cannot make a
 *   removal fail), then removes it; the server's gate then answers its parts with `404 NoSuchUpload`.
 * - `completeMultipartUpload`: s3rver checks neither ETags nor sizes. The backend first checks what
 *   S3 checks (`InvalidPartOrder`, `InvalidPart`, `EntityTooSmall`), then calls s3rver.
 * - An unknown upload: `NoSuchUpload` (s3rver would answer `500` on Complete).
 */
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { createHash, randomUUID } from 'node:crypto'
import { readFile, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type {
  S3Callbacks,
  S3CompleteOptions,
  S3File,
  S3ListedPart,
  S3SignPartOptions,
  S3SignedPart,
  S3UploadOptions,
  S3UploadRef,
} from '../../src/protocols/s3-types'
import { s3Client, type S3TestServer } from './s3-server'

/** S3's smallest part, except the last. */
const MIN_PART_SIZE = 5 * 1024 * 1024

/** An error as an app's backend would report S3's answer: S3's error code and the HTTP status. */
export class S3BackendError extends Error {
  override readonly name = 'S3BackendError'
  /**
   * @param code S3's error code, e.g. `NoSuchUpload`
   * @param status the HTTP status S3 answers it with
   * @param message S3's message
   */
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${code}: ${message}`)
  }
}

/** Options of {@link createS3Backend}. */
export interface S3BackendOptions {
  /** Seconds a presigned part URL lives. Default: 3600. */
  expiresIn?: number
  /** The signing time of presigned URLs (a clock the test controls). Default: now. */
  signingDate?: () => Date
  /** Where presigned URLs point (e.g. a proxy in front of the server). Default: the server's endpoint. */
  publicEndpoint?: string
}

/** How often each callback was called. */
export type S3CallCounts = Record<keyof S3Callbacks, number>

/** The backend: the five callbacks, plus what tests check. */
export interface S3TestBackend extends S3Callbacks {
  /** Calls so far, by callback. */
  calls: S3CallCounts
  /** The stored object's SHA-256 (hex) and size, read back with GetObject. */
  sha256Of(key: string): Promise<{ sha256: string; size: number }>
}

/** The backend for `server`. */
export function createS3Backend(server: S3TestServer, options: S3BackendOptions = {}): S3TestBackend {
  const { client, bucket } = server
  const calls: S3CallCounts = { createMultipartUpload: 0, signPart: 0, listParts: 0, completeMultipartUpload: 0, abortMultipartUpload: 0 }
  const presigner = options.publicEndpoint === undefined ? client : s3Client(options.publicEndpoint)
  const requireUpload = async ({ uploadId, key }: S3UploadRef): Promise<string> => {
    const directory = server.uploadDirectory(uploadId)
    const storedKey = /^[\w-]+$/.test(uploadId) ? await readFile(join(directory, 'key'), 'utf8').catch(() => undefined) : undefined
    if (storedKey !== key) throw new S3BackendError('NoSuchUpload', 404, 'The specified upload does not exist.')
    return directory
  }
  return {
    calls,
    async createMultipartUpload(file: S3File, signal: AbortSignal): Promise<S3UploadRef> {
      calls.createMultipartUpload++
      const key = `uploads/${randomUUID()}/${file.name ?? 'blob'}`
      const command = new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: file.type, Metadata: { ...file.metadata } })
      const created = await client.send(command, { abortSignal: signal })
      if (created.UploadId === undefined) throw new Error('CreateMultipartUpload answered without an UploadId')
      return { uploadId: created.UploadId, key }
    },
    async signPart(_file: S3File, { uploadId, key, partNumber }: S3SignPartOptions): Promise<S3SignedPart> {
      calls.signPart++
      const command = new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber })
      const url = await getSignedUrl(presigner, command, { expiresIn: options.expiresIn ?? 3600, signingDate: options.signingDate?.() })
      return { url }
    },
    async listParts(_file: S3File, upload: S3UploadOptions): Promise<S3ListedPart[]> {
      calls.listParts++
      return partsOnDisk(await requireUpload(upload))
    },
    async completeMultipartUpload(_file: S3File, upload: S3CompleteOptions): Promise<{ location?: string }> {
      calls.completeMultipartUpload++
      checkCompletion(upload.parts, await partsOnDisk(await requireUpload(upload)))
      const Parts = upload.parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag }))
      const command = new CompleteMultipartUploadCommand({ Bucket: bucket, Key: upload.key, UploadId: upload.uploadId, MultipartUpload: { Parts } })
      const done = await client.send(command, { abortSignal: upload.signal })
      return done.Location === undefined ? {} : { location: done.Location }
    },
    async abortMultipartUpload(_file: S3File, upload: S3UploadOptions): Promise<void> {
      calls.abortMultipartUpload++
      const directory = await requireUpload(upload)
      const dropped = `${directory}.aborted-${randomUUID()}`
      await rename(directory, dropped)
      await rm(dropped, { recursive: true, force: true, maxRetries: 3 })
    },
    async sha256Of(key: string): Promise<{ sha256: string; size: number }> {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      const hash = createHash('sha256')
      let size = 0
      for await (const chunk of object.Body as AsyncIterable<Uint8Array>) {
        hash.update(chunk)
        size += chunk.length
      }
      return { sha256: hash.digest('hex'), size }
    },
  }
}

/** The parts s3rver holds whole in `directory` (see the module comment), ascending. */
export async function partsOnDisk(directory: string): Promise<S3ListedPart[]> {
  const names = await readdir(directory)
  const parts: S3ListedPart[] = []
  for (const name of names.filter((entry) => /^\d+$/.test(entry))) {
    const md5 = await readFile(join(directory, `${name}.md5`), 'utf8').catch(() => undefined)
    if (md5 === undefined) continue
    const bytes = await readFile(join(directory, name))
    if (createHash('md5').update(bytes).digest('hex') !== md5) continue
    parts.push({ PartNumber: Number(name), ETag: `"${md5}"`, Size: (await stat(join(directory, name))).size })
  }
  return parts.sort((a, b) => a.PartNumber - b.PartNumber)
}

/** Throws what S3's CompleteMultipartUpload would answer to `parts`, given the parts it holds. */
function checkCompletion(parts: readonly { PartNumber: number; ETag: string }[], held: readonly S3ListedPart[]): void {
  if (parts.length === 0) throw new S3BackendError('MalformedXML', 400, 'The XML you provided was not well-formed.')
  if (parts.some((part, index) => index > 0 && parts[index - 1]!.PartNumber >= part.PartNumber)) {
    throw new S3BackendError('InvalidPartOrder', 400, 'The list of parts was not in ascending order.')
  }
  const stored = parts.map((part) => held.find((candidate) => candidate.PartNumber === part.PartNumber && sameTag(candidate.ETag, part.ETag)))
  const missing = stored.findIndex((part) => part === undefined)
  if (missing >= 0) throw new S3BackendError('InvalidPart', 400, `Part ${parts[missing]!.PartNumber} could not be found or its ETag does not match.`)
  if (stored.some((part, index) => index < parts.length - 1 && (part?.Size ?? 0) < MIN_PART_SIZE)) {
    throw new S3BackendError('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed object size.')
  }
}

/** S3 compares ETags without their quotes. */
function sameTag(a: string, b: string): boolean {
  return a.replaceAll('"', '') === b.replaceAll('"', '')
}
