/**
 * Cross-process record locks for the file store (Node only): an exclusive lock file next to the
 * record, created with `wx`, holding the owner's pid, host and a nonce. The holder refreshes its
 * mtime (a heartbeat); a lock whose owner is a dead process on this host, or whose heartbeat
 * stopped, is stale and taken over. Waiters leave a marker file, so the holder knows to leave the
 * finished record for them.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { link, open, readFile, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import type { RecordLock } from '../types'
import { lockAborted, lockedError, type LockFunction } from './process-lock'

/** Timing of file locks, in ms. */
export interface FileLockTiming {
  /** How often a holder (and a waiter) refreshes its file's mtime. Default 10,000. */
  heartbeat: number
  /** A lock (or waiter marker) whose mtime is older than this is stale. Default 60,000. */
  staleAfter: number
  /** Longest pause between two tries of a waiter (it starts at 25 ms and doubles). Default 1,000. */
  maxPoll: number
}

/** The default {@link FileLockTiming}. */
export const DEFAULT_FILE_LOCK_TIMING: FileLockTiming = { heartbeat: 10_000, staleAfter: 60_000, maxPoll: 1_000 }

/** Who holds a lock file (its content). */
interface LockOwner {
  pid: number
  host: string
  nonce: string
}

/** A lock file as read: its owner (undefined when unreadable, e.g. still being written) and age. */
interface LockState {
  owner: LockOwner | undefined
  mtimeMs: number
}

/**
 * The lock function of a file store in `directory`.
 * @param directory the store directory
 * @param baseNameOf the file name stem of a key's record (a hash: no key in a file name)
 * @param prepare makes sure the directory exists and may be used; rejects otherwise
 * @param timing see {@link FileLockTiming}
 */
export function fileLocks(
  directory: string,
  baseNameOf: (key: string) => string,
  prepare: () => Promise<void>,
  timing: FileLockTiming = DEFAULT_FILE_LOCK_TIMING,
): LockFunction {
  return async (key, mode, signal) => {
    if (signal.aborted) throw lockAborted(signal)
    await prepare()
    const base = baseNameOf(key)
    const path = join(directory, `${base}.lock`)
    let marker: string | undefined
    try {
      for (let pause = 25; ; pause = Math.min(pause * 2, timing.maxPoll)) {
        if (signal.aborted) throw lockAborted(signal)
        const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: randomUUID() }
        if (await createLockFile(path, owner)) return heldLock(directory, base, path, owner, timing)
        if (await takeOverIfStale(path, timing)) continue
        if (mode === 'fail') throw lockedError()
        marker ??= join(directory, `${base}.wait-${randomUUID()}`)
        await writeFile(marker, JSON.stringify(owner), { mode: 0o600 })
        await sleep(pause, signal)
      }
    } finally {
      if (marker !== undefined) await unlink(marker).catch(() => undefined)
    }
  }
}

/** Creates the lock file; false when it already exists. */
async function createLockFile(path: string, owner: LockOwner): Promise<boolean> {
  const handle = await open(path, 'wx', 0o600).catch((error: unknown) => {
    if (codeOf(error) === 'EEXIST') return undefined
    throw error
  })
  if (handle === undefined) return false
  try {
    await handle.writeFile(JSON.stringify(owner), 'utf8')
  } finally {
    await handle.close()
  }
  return true
}

function heldLock(directory: string, base: string, path: string, owner: LockOwner, timing: FileLockTiming): RecordLock {
  const beat = setInterval(() => {
    const now = new Date()
    utimes(path, now, now).catch(() => undefined)
  }, timing.heartbeat)
  beat.unref()
  let released = false
  return {
    wanted: () => hasLiveWaiter(directory, base, timing),
    async release() {
      if (released) return
      released = true
      clearInterval(beat)
      // Only our own lock goes: a takeover after a long stall belongs to someone else now.
      const state = await readLock(path)
      if (state?.owner?.nonce === owner.nonce) await unlink(path).catch(() => undefined)
    },
  }
}

/**
 * Removes a stale lock file; true when the caller should try to create it again at once. The
 * file is first renamed aside and checked to be the one judged stale, so two processes taking
 * over at the same time never remove a lock that a third just created.
 */
async function takeOverIfStale(path: string, timing: FileLockTiming): Promise<boolean> {
  const seen = await readLock(path)
  if (seen === undefined) return true // released meanwhile
  if (!isStale(seen, timing)) return false
  const aside = `${path}.stale-${randomUUID()}`
  try {
    await rename(path, aside)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return true
    throw error
  }
  const moved = await readLock(aside)
  if (moved !== undefined && moved.owner?.nonce !== seen.owner?.nonce) {
    // A fresh lock was created between our read and the rename: put it back.
    await link(aside, path).catch(() => undefined)
  }
  await unlink(aside).catch(() => undefined)
  return moved === undefined || moved.owner?.nonce === seen.owner?.nonce
}

/** Stale: the owner is a dead process on this host, or the heartbeat stopped. */
function isStale(state: LockState, timing: FileLockTiming): boolean {
  if (Date.now() - state.mtimeMs > timing.staleAfter) return true
  return state.owner !== undefined && state.owner.host === hostname() && !isAlive(state.owner.pid)
}

/** Whether a live Upload waits for this lock (its marker is fresh and its process runs). */
async function hasLiveWaiter(directory: string, base: string, timing: FileLockTiming): Promise<boolean> {
  const names = await readdir(directory).catch(() => [])
  const markers = names.filter((name) => name.startsWith(`${base}.wait-`))
  const states = await Promise.all(markers.map((name) => readLock(join(directory, name))))
  return states.some((state) => state !== undefined && !isStale(state, timing))
}

async function readLock(path: string): Promise<LockState | undefined> {
  try {
    const [text, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    return { owner: parseOwner(text), mtimeMs: stats.mtimeMs }
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null) return undefined
    const { pid, host, nonce } = value as Record<string, unknown>
    if (typeof pid !== 'number' || typeof host !== 'string' || typeof nonce !== 'string') return undefined
    return { pid, host, nonce }
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return codeOf(error) === 'EPERM'
  }
}

/** Waits `ms`, or rejects with `aborted` when the signal fires. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(lockAborted(signal))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null || !('code' in error)) return ''
  return typeof error.code === 'string' ? error.code : ''
}
