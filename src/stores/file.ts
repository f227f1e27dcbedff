/**
 * A store in a directory (Node only): one JSON file per record, written atomically, so a crash
 * leaves either the old record or the new one, never half of one.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { UploadError } from '../errors'
import type { Store, UploadRecord } from '../types'
import { StoreError } from './errors'
import { DEFAULT_FILE_LOCK_TIMING, fileLocks, type FileLockTiming } from './file-lock'
import { checkPrivateDirectory } from './private-directory'
import { parseRecord } from './record'

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /**
   * Called by `list()` for each `.json` file it skips: not JSON, not a valid record, named for
   * another key, or unreadable. Default none.
   */
  onCorrupt?: (path: string, error: StoreError) => void
  /**
   * Timing of the cross-process record locks, in ms: heartbeat (default 10,000), staleAfter
   * (default 60,000), maxPoll (default 1,000). For tests; the defaults suit real use.
   */
  lockTiming?: Partial<FileLockTiming>
}

/**
 * A {@link Store} in `directory`, created (mode 0700) on the first `put`. Each record is a JSON
 * file (mode 0600: the upload URL is a capability) named by the SHA-256 hex of its key, so no key
 * ever appears in a file name. Writes go to a temporary file in the same directory, are flushed
 * (fsync) and renamed over the record. A record's `blob` is never stored (the field is dropped).
 *
 * The directory must belong to the current user and must not be writable by group or others
 * (anyone who can write there could plant a record that sends the user's bytes elsewhere):
 * otherwise every operation rejects with `unavailable`, and the Upload goes on in memory.
 *
 * `lock()` takes a lock shared by every process on the machine: an exclusive `<hash>.lock` file
 * next to the record (pid, host and a nonce), whose mtime the holder refreshes. A lock left by a
 * dead process on this host, or whose heartbeat stopped for `staleAfter`, is taken over.
 *
 * Failures reject with a {@link StoreError}: `corrupt` for an invalid record (`put`) or a file
 * that is not one (`get`; `list` skips those and reports them to `onCorrupt`), `quota` when the
 * disk is full, `unavailable` when the directory cannot or may not be used, `failed` otherwise.
 * @param directory where the record files live; the user names it
 * @param options see {@link FileStoreOptions} (default none)
 */
export function fileStore(directory: string, options: FileStoreOptions = {}): Store {
  const pathOf = (key: string): string => join(directory, fileNameOf(key))
  const usable = (create: boolean): Promise<boolean> => checkPrivateDirectory(directory, create).catch((error: unknown) => Promise.reject(toStoreError(error)))
  const locks = fileLocks(directory, hashOf, async () => void (await usable(true)), { ...DEFAULT_FILE_LOCK_TIMING, ...options.lockTiming })
  return {
    async get(key: string): Promise<UploadRecord | undefined> {
      if (!(await usable(false))) return undefined
      const text = await readText(pathOf(key))
      if (text === undefined) return undefined
      const record = decode(text)
      if (record === undefined || record.key !== key) throw corrupt(pathOf(key))
      return record
    },
    async put(record: UploadRecord): Promise<void> {
      const value = parseRecord(record)
      if (value === undefined) throw new StoreError('corrupt', 'Not a valid upload record.')
      const { blob: _blob, ...stored } = value
      await usable(true)
      await writeAtomically(directory, fileNameOf(value.key), JSON.stringify(stored))
    },
    async delete(key: string): Promise<void> {
      if (!(await usable(false))) return
      await unlink(pathOf(key)).catch((error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw toStoreError(error)
      })
    },
    async list(): Promise<UploadRecord[]> {
      if (!(await usable(false))) return []
      const names = (await readNames(directory)).filter((name) => name.endsWith('.json')).sort()
      const records = await Promise.all(names.map((name) => readListed(directory, name, options)))
      return records.filter((record) => record !== undefined)
    },
    lock: (key, mode, signal) => locks(key, mode, signal).catch((error: unknown) => Promise.reject(error instanceof UploadError ? error : toStoreError(error))),
  }
}

/** SHA-256 hex of a key: the stem of its file names. */
function hashOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** `<sha-256 hex of the key>.json`. */
function fileNameOf(key: string): string {
  return `${hashOf(key)}.json`
}

/** One file for `list()`: its record, or undefined (reported) when it is not a valid one. */
async function readListed(directory: string, name: string, options: FileStoreOptions): Promise<UploadRecord | undefined> {
  const path = join(directory, name)
  try {
    const text = await readText(path)
    if (text === undefined) return undefined // deleted since readdir
    const record = decode(text)
    if (record === undefined || fileNameOf(record.key) !== name) throw corrupt(path)
    return record
  } catch (error) {
    options.onCorrupt?.(path, toStoreError(error))
    return undefined
  }
}

function decode(text: string): UploadRecord | undefined {
  try {
    return parseRecord(JSON.parse(text))
  } catch {
    return undefined
  }
}

/** Writes `text` to `directory/name` atomically: temp file, fsync, rename, fsync the directory. */
async function writeAtomically(directory: string, name: string, text: string): Promise<void> {
  // Dot-prefixed and not `.json`: list() never mistakes a temp file for a record.
  const temporary = join(directory, `.${name}.${randomUUID()}.tmp`)
  let handle: FileHandle | undefined
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 })
    handle = await open(temporary, 'wx', 0o600)
    await handle.writeFile(text, 'utf8')
    await handle.sync()
    await handle.close()
    handle = undefined
    await rename(temporary, join(directory, name))
  } catch (error) {
    await handle?.close().catch(() => undefined)
    await unlink(temporary).catch(() => undefined)
    throw toStoreError(error)
  }
  await syncDirectory(directory)
}

/** Makes the rename durable. Best effort: some platforms (Windows) cannot open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r')
    await handle.sync().finally(() => handle.close())
  } catch {
    // The record is written; only its durability across a power cut is less certain.
  }
}

/** The file's text, or undefined when it does not exist. */
async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw toStoreError(error)
  }
}

async function readNames(directory: string): Promise<string[]> {
  try {
    return await readdir(directory)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return []
    throw toStoreError(error)
  }
}

function corrupt(path: string): StoreError {
  return new StoreError('corrupt', `${path} is not a valid upload record.`)
}

/** Codes that mean the directory cannot be used at all (EEXIST, ENOTDIR: its path names a file). */
const UNUSABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST'])

function toStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error
  const code = codeOf(error)
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError('quota', 'The disk is full.', error)
  if (UNUSABLE.has(code)) {
    return new StoreError('unavailable', `The store directory cannot be used (${code}).`, error)
  }
  return new StoreError('failed', `A file store operation failed (${code || 'error'}).`, error)
}

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('code' in error)) return ''
  return typeof error.code === 'string' ? error.code : ''
}
