/**
 * The file store's directory must be the current user's alone: anyone else who can write there
 * can plant a record that sends this user's bytes to their server (Node only).
 * @module
 */
import type { Stats } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { StoreError } from './errors'

/**
 * Checks that `directory` is a directory owned by the current user and not writable by group or
 * others, creating it (mode 0700) first when `create` is true. Resolves to false when it does not
 * exist and was not created. Rejects with an `unavailable` {@link StoreError} when it may not be
 * used. Where there are no POSIX owners (Windows) only "is a directory" is checked.
 * @param directory the store directory
 * @param create whether to create it when it is missing
 */
export async function checkPrivateDirectory(directory: string, create: boolean): Promise<boolean> {
  let stats = await statOrUndefined(directory)
  if (stats === undefined) {
    if (!create) return false
    await mkdir(directory, { recursive: true, mode: 0o700 })
    stats = await stat(directory)
  }
  if (!stats.isDirectory()) throw refused(directory, 'is not a directory')
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  if (uid === undefined) return true
  if (stats.uid !== uid) throw refused(directory, `is owned by another user (uid ${stats.uid})`)
  if ((stats.mode & 0o022) !== 0) throw refused(directory, 'is writable by other users (chmod 700 it)')
  return true
}

async function statOrUndefined(directory: string): Promise<Stats | undefined> {
  try {
    return await stat(directory)
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return undefined
    throw error
  }
}

function refused(directory: string, why: string): StoreError {
  return new StoreError('unavailable', `The store directory ${directory} ${why}; it is not used.`)
}
