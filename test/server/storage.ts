/**
 * Files of the reference server: `<id>.bin` holds the bytes, `<id>.json` the metadata (written
 * atomically). The offset is never stored: it is the data file's size, so a crash between a data
 * write and a metadata write cannot make the server claim bytes it does not have.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Upload ids are 128 random bits in lowercase hex; nothing else ever reaches the filesystem. */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{32}$/

/** Why an upload no longer accepts requests. */
export type UploadState = 'active' | 'expired' | 'cancelled' | 'invalidated'

/** The persisted metadata of an upload. */
export interface UploadRecord {
  id: string
  kind: 'resumable' | 'plain'
  state: UploadState
  complete: boolean
  length?: number
  /** Milliseconds since the epoch. */
  createdAt: number
  /** When `max-age` runs out, in milliseconds since the epoch. */
  expiresAt?: number
  contentType?: string
  contentDisposition?: string
  filename?: string
  interopVersion: number
}

/** A record loaded from disk with its data file's size. */
export interface StoredUpload {
  record: UploadRecord
  size: number
}

/** Whether `id` has the shape of an upload id. */
export function isUploadId(id: string): boolean {
  return UPLOAD_ID_PATTERN.test(id)
}

/** A fresh unguessable id. */
export function newUploadId(): string {
  return randomBytes(16).toString('hex')
}

const STATES: readonly string[] = ['active', 'expired', 'cancelled', 'invalidated']

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string'
}

function optionalCount(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
}

/** Validates parsed metadata; `undefined` when it is not a well-formed record for `id`. */
export function parseRecord(json: unknown, id: string): UploadRecord | undefined {
  if (typeof json !== 'object' || json === null) return undefined
  const r = json as Record<string, unknown>
  const valid =
    r.id === id &&
    (r.kind === 'resumable' || r.kind === 'plain') &&
    typeof r.state === 'string' &&
    STATES.includes(r.state) &&
    typeof r.complete === 'boolean' &&
    optionalCount(r.length) &&
    typeof r.createdAt === 'number' &&
    Number.isFinite(r.createdAt) &&
    optionalCount(r.expiresAt) &&
    optionalString(r.contentType) &&
    optionalString(r.contentDisposition) &&
    optionalString(r.filename) &&
    typeof r.interopVersion === 'number' &&
    Number.isInteger(r.interopVersion)
  return valid ? (r as unknown as UploadRecord) : undefined
}

/** Reads and writes upload files under one directory. */
export class UploadStorage {
  /** @param dir an existing directory */
  constructor(readonly dir: string) {}

  /** Path of the data file; `id` must already be validated. */
  dataPath(id: string): string {
    return join(this.dir, `${id}.bin`)
  }

  private metaPath(id: string): string {
    return join(this.dir, `${id}.json`)
  }

  /** Creates the empty data file and the metadata. */
  async create(record: UploadRecord): Promise<void> {
    await writeFile(this.dataPath(record.id), new Uint8Array(0), { flag: 'wx' })
    await this.save(record)
  }

  /** Writes the metadata atomically: a temporary file, then a rename over the old one. */
  async save(record: UploadRecord): Promise<void> {
    const temporary = join(this.dir, `${record.id}.json.${randomBytes(4).toString('hex')}.tmp`)
    await writeFile(temporary, JSON.stringify(record))
    await rename(temporary, this.metaPath(record.id))
  }

  /** The data file's size; 0 when it does not exist. */
  async size(id: string): Promise<number> {
    try {
      return (await stat(this.dataPath(id))).size
    } catch (error) {
      if (isMissing(error)) return 0
      throw error
    }
  }

  /** SHA-256 (hex) of the data file; the hash of nothing when it does not exist. */
  async sha256(id: string): Promise<string> {
    const hash = createHash('sha256')
    try {
      for await (const chunk of createReadStream(this.dataPath(id))) hash.update(chunk as Buffer)
    } catch (error) {
      if (!isMissing(error)) throw error
    }
    return hash.digest('hex')
  }

  /** Removes the bytes of an upload (the metadata stays). */
  async removeData(id: string): Promise<void> {
    await rm(this.dataPath(id), { force: true })
  }

  /** Removes every file of an upload. */
  async removeAll(id: string): Promise<void> {
    await rm(this.dataPath(id), { force: true })
    await rm(this.metaPath(id), { force: true })
  }

  /**
   * Loads every upload. Leftover temporary files are removed; a record that is unreadable, does not
   * validate, or whose active upload lost its data file is skipped with a warning.
   */
  async loadAll(): Promise<StoredUpload[]> {
    const names = await readdir(this.dir)
    const uploads: StoredUpload[] = []
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        await rm(join(this.dir, name), { force: true })
        continue
      }
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : ''
      if (!isUploadId(id)) continue
      const loaded = await this.load(id)
      if (loaded) uploads.push(loaded)
    }
    return uploads
  }

  private async load(id: string): Promise<StoredUpload | undefined> {
    let record: UploadRecord | undefined
    try {
      record = parseRecord(JSON.parse(await readFile(this.metaPath(id), 'utf8')), id)
    } catch {
      record = undefined
    }
    if (!record) {
      console.warn(`reference server: skipping upload ${id}: corrupt metadata`)
      return undefined
    }
    let size: number
    try {
      size = (await stat(this.dataPath(id))).size
    } catch (error) {
      if (!isMissing(error) || record.state === 'active') {
        console.warn(`reference server: skipping upload ${id}: data file unreadable`)
        return undefined
      }
      size = 0
    }
    return { record, size }
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT'
}
