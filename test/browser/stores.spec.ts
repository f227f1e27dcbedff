/**
 * Persistence in real Chromium: the IndexedDB store (records with a File kept in IndexedDB, read
 * back after a reload) and Web Locks across two pages of one browser context.
 */
import type { UploadLock } from '../../src/locks'
import type { Store, UploadRecord } from '../../src/types'
import { expect, test } from './fixtures'

/** What these specs keep on `window` between evaluate calls. */
type SpecWindow = Window & {
  heldLock?: UploadLock
  waiting?: Promise<string>
  waitState?: string
  quotaStore?: Store
  quotaRecord?: UploadRecord
}

const MiB = 1024 * 1024

test.beforeEach(async ({ page, servers }) => {
  await page.goto(`${servers.pages.url}/upload.html`)
})

test('indexeddb store: put/get/list/delete records with a File; a reload reads them back, bytes intact', async ({ page }) => {
  const databaseName = `spec-${Date.now()}`
  const written = await page.evaluate(
    async ({ databaseName, MiB }) => {
      const { indexedDbStore } = window.ResumableUpload
      const { blob, sha256 } = await window.makeRandomBlob(3 * MiB + 17)
      const file = new File([blob], 'movie.mp4', { type: 'video/mp4', lastModified: 1_700_000_000_000 })
      const store = indexedDbStore({ databaseName })
      const base = {
        url: 'https://uploads.example/files/1',
        protocol: 'ietf',
        protocolVersion: '8',
        endpoint: 'https://uploads.example/files',
        size: file.size,
        offset: MiB,
        createdAt: Date.now(),
        updatedAt: Date.now(),
        metadata: { filename: 'movie.mp4' },
      }
      await store.put({ ...base, key: 'ru1:with-blob', blob: file })
      await store.put({ ...base, key: 'ru1:no-blob', offset: 0 })
      await store.put({ ...base, key: 'ru1:deleted' })
      await store.delete('ru1:deleted')
      await store.put({ ...base, key: 'ru1:with-blob', blob: file, offset: 2 * MiB })
      const keys = (await store.list()).map((record) => record.key).sort()
      return { sha256, size: file.size, keys, missing: await store.get('ru1:deleted') }
    },
    { databaseName, MiB },
  )
  expect(written.keys).toEqual(['ru1:no-blob', 'ru1:with-blob'])
  expect(written.missing).toBeUndefined()

  await page.reload()
  const read = await page.evaluate(async (databaseName) => {
    const store = window.ResumableUpload.indexedDbStore({ databaseName })
    const record = await store.get('ru1:with-blob')
    const blob = record?.blob
    if (record === undefined || blob === undefined) return undefined
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
    return {
      offset: record.offset,
      metadata: record.metadata,
      isFile: blob instanceof File,
      name: blob instanceof File ? blob.name : undefined,
      type: blob.type,
      size: blob.size,
      sha256: [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join(''),
      keys: (await store.list()).map((entry) => [entry.key, entry.blob === undefined]).sort(),
    }
  }, databaseName)
  expect(read).toEqual({
    offset: 2 * MiB,
    metadata: { filename: 'movie.mp4' },
    isFile: true,
    name: 'movie.mp4',
    type: 'video/mp4',
    size: written.size,
    sha256: written.sha256,
    keys: [
      ['ru1:no-blob', true],
      ['ru1:with-blob', false],
    ],
  })
})

test('indexeddb store: an entry written by something else is skipped by list and rejected by get', async ({ page }) => {
  const outcome = await page.evaluate(async () => {
    const { indexedDbStore } = window.ResumableUpload
    const databaseName = `spec-foreign-${Date.now()}`
    const store = indexedDbStore({ databaseName })
    await store.list() // creates the database
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(databaseName, 1)
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error)
    })
    await new Promise((resolve, reject) => {
      const transaction = db.transaction('records', 'readwrite')
      transaction.objectStore('records').put({ key: 'ru1:foreign', url: 'not a url' })
      transaction.oncomplete = resolve
      transaction.onabort = reject
    })
    db.close()
    const corrupt: string[] = []
    const reporting = indexedDbStore({ databaseName, onCorrupt: (key) => corrupt.push(key) })
    const error = await reporting.get('ru1:foreign').catch((reason: unknown) => reason)
    return { listed: (await reporting.list()).length, corrupt, name: (error as Error).name, code: (error as { code?: string }).code }
  })
  expect(outcome).toEqual({ listed: 0, corrupt: ['ru1:foreign'], name: 'StoreError', code: 'corrupt' })
})

test("web locks: a second page fails with 'locked' in fail mode, and in wait mode gets the lock after the first releases", async ({
  page,
  context,
  servers,
}) => {
  const other = await context.newPage()
  await other.goto(`${servers.pages.url}/upload.html`)
  const key = `ru1:spec-${Date.now()}`

  expect(
    await page.evaluate(async (key) => {
      const lock = await window.ResumableUpload.acquireUploadLock(key, 'fail')
      ;(window as SpecWindow).heldLock = lock
      return lock?.name
    }, key),
  ).toBe(`resumable-upload:${key}`)

  const failed = await other.evaluate(async (key) => {
    const error = await window.ResumableUpload.acquireUploadLock(key, 'fail').then(
      () => undefined,
      (reason: unknown) => reason as { name: string; code: string; retryable: boolean },
    )
    return error && { name: error.name, code: error.code, retryable: error.retryable }
  }, key)
  expect(failed).toEqual({ name: 'UploadError', code: 'locked', retryable: false })

  await other.evaluate((key) => {
    const win = window as SpecWindow
    win.waitState = 'waiting'
    win.waiting = window.ResumableUpload.acquireUploadLock(key, 'wait').then((lock) => {
      win.heldLock = lock
      return (win.waitState = `granted ${lock?.name ?? 'none'}`)
    })
  }, key)
  await page.waitForTimeout(300)
  expect(await other.evaluate(() => (window as SpecWindow).waitState)).toBe('waiting')
  const heldBy = await page.evaluate(async () => (await navigator.locks.query()).held?.map((lock) => lock.name))
  expect(heldBy).toContain(`resumable-upload:${key}`)

  await page.evaluate(() => (window as SpecWindow).heldLock?.release())
  expect(await other.evaluate(() => (window as SpecWindow).waiting)).toBe(`granted resumable-upload:${key}`)
  // Now the first page is the one that is refused.
  expect(
    await page.evaluate(
      async (key) =>
        window.ResumableUpload.acquireUploadLock(key, 'fail').then(
          () => 'got it',
          (error: { code: string }) => error.code,
        ),
      key,
    ),
  ).toBe('locked')
  await other.close()
})

test('web locks: when the page holding the lock goes away (a crash, a closed tab), the waiting page gets it', async ({ page, context, servers }) => {
  const holder = await context.newPage()
  await holder.goto(`${servers.pages.url}/upload.html`)
  const key = `ru1:crash-${Date.now()}`
  await holder.evaluate(async (key) => {
    ;(window as SpecWindow).heldLock = await window.ResumableUpload.acquireUploadLock(key, 'wait')
  }, key)
  await page.evaluate((key) => {
    const win = window as SpecWindow
    win.waiting = window.ResumableUpload.acquireUploadLock(key, 'wait').then((lock) => lock?.name ?? 'none')
  }, key)
  await holder.close()
  expect(await page.evaluate(() => (window as SpecWindow).waiting)).toBe(`resumable-upload:${key}`)
})

test("indexeddb store: a record whose blob exceeds the quota rejects with code 'quota'; the store stays usable", async ({ page, context, servers }) => {
  // Chromium's DevTools protocol can shrink this origin's quota, so the failure is a real one.
  const cdp = await context.newCDPSession(page)
  // Without quotaSize the override is lifted (the browser outlives this test).
  const setQuota = (quotaSize?: number): Promise<unknown> => cdp.send('Storage.overrideQuotaForOrigin', { origin: servers.pages.url, quotaSize })
  try {
    await setQuota(2 * MiB)
    const withBlob = await page.evaluate(async (MiB) => {
      const win = window as SpecWindow
      win.quotaStore = window.ResumableUpload.indexedDbStore({ databaseName: 'spec-quota' })
      const { blob } = await window.makeRandomBlob(3 * MiB)
      win.quotaRecord = {
        key: 'ru1:big',
        url: 'https://uploads.example/files/1',
        protocol: 'ietf',
        protocolVersion: '8',
        endpoint: '/files',
        size: blob.size,
        offset: 0,
        createdAt: 1,
        updatedAt: 1,
        metadata: {},
      }
      const error = await win.quotaStore.put({ ...win.quotaRecord, blob }).then(
        () => undefined,
        (reason: { name: string; code: string }) => ({ name: reason.name, code: reason.code }),
      )
      // Retried at once without the blob. Chromium sometimes keeps the aborted blob's bytes counted
      // against the quota for a while (seen here: the whole blob, for 5 s and more), so this retry
      // can hit the quota too; the caller then falls back to a memory store.
      const retry = await win.quotaStore.put(win.quotaRecord).then(
        () => 'ok',
        (reason: { code: string }) => reason.code,
      )
      return { error, retry }
    }, MiB)
    expect(withBlob.error).toEqual({ name: 'StoreError', code: 'quota' })
    expect(['ok', 'quota']).toContain(withBlob.retry)

    // Once there is room again, the same store (same connection) takes the record.
    await setQuota(64 * MiB)
    const stored = await page.evaluate(async () => {
      const win = window as SpecWindow
      if (win.quotaStore === undefined || win.quotaRecord === undefined) return undefined
      await win.quotaStore.put(win.quotaRecord)
      const record = await win.quotaStore.get('ru1:big')
      return record && { size: record.size, hasBlob: record.blob !== undefined }
    })
    expect(stored).toEqual({ size: 3 * MiB, hasBlob: false })
  } finally {
    await setQuota()
  }
})
