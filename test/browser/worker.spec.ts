/**
 * The SDK in a dedicated Web Worker (no `window`, no `document`; IndexedDB, XHR, Web Locks and
 * `navigator.onLine` are there), in Chromium against the reference server:
 * - a module worker imports the ESM build (dist/index.js, bundled with p-retry and mitt by rollup
 *   as an app's bundler would; workers have no import maps for the bare specifiers); its upload is
 *   cut by the server (retried inside the worker), the worker is then killed mid-upload, and a new
 *   worker resumes it from IndexedDB with `Upload.restoreAll` (the File kept by `persistBlob`);
 * - a classic worker loads the script-tag bundle with `importScripts` and uploads.
 * Stored bytes are checked by length and SHA-256.
 */
import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import nodeResolve from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import type { ReferenceServer } from '../server'
import { randomData, tempDir, type TestData } from '../support/files'
import { startStaticServer, type StaticServer } from '../support/static-server'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
const SIZE = 12 * MiB + 321
const CHUNK = 2 * MiB

let work: { dir: string; remove: () => Promise<void> }
let data: TestData
let pages: StaticServer

/** What `runInWorker` (test/browser/pages/worker-page.js) resolves with. */
interface WorkerOutcome {
  type: 'done' | 'error' | 'terminated'
  url?: string
  vias?: string[]
  warnings?: string[]
  urls: string[]
  retries: number
  bytesAcked?: number
  restorable?: number
  code?: string
  message?: string
  globals?: { window: string; document: string }
}

test.beforeAll(async () => {
  await access('dist/index.js').catch(() => {
    throw new Error('dist/index.js is missing: run `npm run build` first')
  })
  work = await tempDir('worker-spec-')
  const sdk = join(work.dir, 'sdk')
  const bundle = await rollup({ input: 'dist/index.js', plugins: [nodeResolve({ browser: true })], onwarn: () => undefined })
  await bundle.write({ dir: sdk, format: 'es', entryFileNames: 'index.js' })
  await bundle.close()
  data = randomData(SIZE)
  await mkdir(join(work.dir, 'data'))
  await writeFile(join(work.dir, 'data', 'worker.bin'), data.bytes)
  pages = await startStaticServer({ '/': 'test/browser/pages', '/dist/': 'dist', '/sdk/': sdk, '/data/': join(work.dir, 'data') })
})
test.afterAll(async () => {
  await pages?.close()
  await work?.remove()
})

/** When the page steps in: kill the worker, or go offline, once this many bytes are acknowledged. */
interface WorkerSteps {
  terminateAt?: number
  offlineAt?: number
}

interface WorkerPage {
  runInWorker(kind: string, message: unknown, steps: WorkerSteps): Promise<WorkerOutcome>
  workerSeen: { retries: number }
}

function runInWorker(page: Page, kind: 'module' | 'classic', message: Record<string, unknown>, steps: WorkerSteps = {}): Promise<WorkerOutcome> {
  return page.evaluate(([k, m, s]) => (window as unknown as WorkerPage).runInWorker(k, m, s), [kind, message, steps] as const)
}

async function expectStored(uploads: ReferenceServer, url: string): Promise<void> {
  expect(await uploads.upload(uploads.uploadIdFromUrl(url))).toMatchObject({ length: SIZE, offset: SIZE, complete: true, sha256: data.sha256 })
}

test('module worker: cut, retried in the worker, worker killed, a new worker resumes from IndexedDB', async ({ page, uploads }) => {
  uploads.allowCorsOrigin(pages.url)
  await page.goto(`${pages.url}/worker.html`)
  const upload = {
    action: 'upload',
    endpoint: uploads.endpoint,
    chunkSize: CHUNK,
    dataUrl: '/data/worker.bin',
    name: 'worker.bin',
    lastModified: 1_700_000_000_000,
  }

  const cut = uploads.faults.add({ type: 'destroy', afterBytes: MiB + 12_345, match: { kind: 'append' } })
  const first = await runInWorker(page, 'module', upload, { terminateAt: SIZE / 2 })
  expect(first).toMatchObject({ type: 'terminated' })
  expect(first.urls).toHaveLength(1)
  const url = first.urls[0] as string
  const id = uploads.uploadIdFromUrl(url)
  expect((await uploads.upload(id))?.complete).toBe(false)
  // The cut (inside the first PATCH) hit the worker's upload, which went on past half the file.
  // (Chromium may re-send the cut PATCH by itself; the server's 409 then names the offset.)
  expect(cut.hits).toBe(1)
  expect(first.bytesAcked).toBeGreaterThanOrEqual(SIZE / 2)

  const second = await runInWorker(page, 'module', { action: 'restore', chunkSize: CHUNK })
  expect(second).toMatchObject({ type: 'done', url, vias: ['stored'], warnings: [], globals: { window: 'undefined', document: 'undefined' } })
  await expectStored(uploads, url)
  // Resumed, not sent again: beyond the file, at most the cut request and the one killed with the worker.
  expect((uploads.stats.perUpload.get(id)?.bodyBytesReceived ?? 0) - SIZE).toBeLessThanOrEqual(2 * CHUNK)
  // The finished upload's record (and its File) left IndexedDB.
  expect(await runInWorker(page, 'module', { action: 'count' })).toMatchObject({ type: 'done', restorable: 0 })
})

test('classic worker: the script-tag bundle through importScripts uploads a File', async ({ page, uploads }) => {
  uploads.allowCorsOrigin(pages.url)
  await page.goto(`${pages.url}/worker.html`)
  const outcome = await runInWorker(page, 'classic', {
    action: 'upload',
    endpoint: uploads.endpoint,
    chunkSize: 4 * MiB,
    dataUrl: '/data/worker.bin',
    name: 'classic.bin',
    lastModified: 1_700_000_000_001,
  })
  expect(outcome).toMatchObject({ type: 'done', vias: ['created'], warnings: [], globals: { window: 'undefined', document: 'undefined' } })
  await expectStored(uploads, outcome.url as string)
})

// In a worker Chromium sends no 'online' event under network emulation: browser-environment's
// offline() also polls navigator.onLine, or this upload would wait forever once back online.
test('module worker: offline holds the retries, back online the upload goes on', async ({ page, context, uploads }) => {
  uploads.allowCorsOrigin(pages.url)
  await page.goto(`${pages.url}/worker.html`)
  await page.exposeFunction('goOffline', () => context.setOffline(true))
  // Two retries 10 ms apart would be spent at once (and fail the upload) if being offline did not hold them.
  const message = {
    action: 'upload',
    endpoint: uploads.endpoint,
    chunkSize: MiB,
    retry: { retries: 2, minTimeout: 10, maxTimeout: 10 },
    dataUrl: '/data/worker.bin',
    name: 'offline.bin',
    lastModified: 1_700_000_000_002,
  }
  const running = runInWorker(page, 'module', message, { offlineAt: 2 * MiB })
  await page.waitForFunction(() => (window as unknown as WorkerPage).workerSeen.retries > 0)
  // While offline nothing more happens: a bounded look for activity that must not come.
  await page.waitForTimeout(1500)
  expect(await page.evaluate(() => (window as unknown as WorkerPage).workerSeen.retries)).toBe(1)
  await context.setOffline(false)
  const outcome = await running
  expect(outcome).toMatchObject({ type: 'done', retries: 1, warnings: [] })
  await expectStored(uploads, outcome.url as string)
})
