/**
 * The state of one GCS resumable upload session in the emulator (./gcs-emulator), and the rules
 * of the JSON API resumable upload as Google documents them ("Resumable uploads", "Perform
 * resumable uploads"): `Content-Range` forms, chunk rules, partial persistence in whole 256 KiB
 * units, status queries and finalization. Pure apart from hashing; no HTTP here.
 */
import { createHash } from 'node:crypto'

/** GCS keeps chunk data in whole units of 256 KiB. */
export const UNIT = 256 * 1024

/** A parsed `Content-Range` of a resumable upload request. */
export type ContentRange =
  /** `bytes *\/total` or `bytes *\/*`: a status query (or, with a total, a finalization). */
  | { kind: 'status'; total: number | undefined }
  /** `bytes first-last/total` or `…/*`. */
  | { kind: 'chunk'; first: number; last: number; total: number | undefined }

/** Parses `Content-Range`; undefined for anything GCS would reject with 400. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  if (value === undefined) return undefined
  const status = /^bytes \*\/(\d{1,15}|\*)$/.exec(value.trim())
  if (status) return { kind: 'status', total: status[1] === '*' ? undefined : Number(status[1]) }
  const chunk = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(value.trim())
  if (!chunk) return undefined
  const [first, last] = [Number(chunk[1]), Number(chunk[2])]
  const total = chunk[3] === '*' ? undefined : Number(chunk[3])
  if (last < first || (total !== undefined && last >= total)) return undefined
  return { kind: 'chunk', first, last, total }
}

/** The object resource the emulator answers a finished upload with. */
export interface StoredObject {
  kind: 'storage#object'
  id: string
  bucket: string
  name: string
  size: string
  md5Hash: string
  contentType: string
  generation: string
  timeCreated: string
}

/** One session: what it holds, whether it is finished or gone. */
export class EmulatedSession {
  /** Bytes persisted, in order. */
  readonly pieces: Buffer[] = []
  /** Bytes persisted. */
  persisted = 0
  /** The total a request declared, once one did. */
  total: number | undefined
  /** The finished object, once finalized. */
  object: StoredObject | undefined
  /** 404 or 410 once expired or cancelled. */
  goneStatus: 404 | 410 | undefined

  constructor(
    readonly id: string,
    readonly bucket: string,
    readonly name: string,
    readonly contentType: string,
    /** `X-Upload-Content-Length` of the initiation, when it had one. */
    readonly declaredLength: number | undefined,
  ) {}

  /** The `Range` value of a 308: `bytes=0-n`, or undefined when nothing is held (GCS then sends none). */
  get range(): string | undefined {
    return this.persisted === 0 ? undefined : `bytes=0-${this.persisted - 1}`
  }

  /** A declared total: a 400 reason when it contradicts what the session knows, else undefined (and the total is kept). */
  declare(total: number | undefined): string | undefined {
    if (total === undefined) return undefined
    if (this.total !== undefined && this.total !== total) return `the total changed from ${this.total} to ${total}`
    if (this.declaredLength !== undefined && this.declaredLength !== total) return `the total ${total} differs from X-Upload-Content-Length`
    if (total < this.persisted) return `the total ${total} is below the ${this.persisted} bytes held`
    this.total = total
    return undefined
  }

  /**
   * Keeps `bytes` (the start of a chunk beginning at the persisted offset): all of them when they
   * end the upload, else whole 256 KiB units only, and at most `keepUnits` of those units.
   * Returns the bytes kept.
   */
  persist(bytes: Buffer, final: boolean, keepUnits: number): number {
    const kept = final ? bytes.length : Math.min(Math.floor(bytes.length / UNIT), Math.max(0, keepUnits)) * UNIT
    if (kept > 0) this.pieces.push(bytes.subarray(0, kept))
    this.persisted += kept
    return kept
  }

  /** Finalizes the object (every declared byte is held). */
  finalize(): StoredObject {
    const data = this.data()
    this.object ??= {
      kind: 'storage#object',
      id: `${this.bucket}/${this.name}/1`,
      bucket: this.bucket,
      name: this.name,
      size: String(data.length),
      md5Hash: createHash('md5').update(data).digest('base64'),
      contentType: this.contentType,
      generation: '1',
      timeCreated: new Date().toISOString(),
    }
    return this.object
  }

  /** The bytes held. */
  data(): Buffer {
    return Buffer.concat(this.pieces)
  }
}
