/**
 * `useUpload` and `useUploads` in Chromium: a page (test/browser/pages/react/) rendered in
 * StrictMode from a development build, with the hooks from the package's dist/react/index.js,
 * uploading files chosen with `setInputFiles` to the reference server on another origin (XHR).
 * Stored bytes are checked by length and SHA-256.
 *
 * The page is built with Vite (vitest's bundler; plain rollup would need @rollup/plugin-commonjs
 * for React's CommonJS files).
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Page } from '@playwright/test'
import { build } from 'vite'
import type { ReferenceServer, RequestEvent, RequestKind } from '../server'
import { startStaticServer, type StaticServer } from '../support/static-server'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
let site: StaticServer
let outDir: string

test.beforeAll(async ({ servers }) => {
  outDir = await mkdtemp(join(tmpdir(), 'resumable-upload-react-page-'))
  await build({
    configFile: false,
    root: resolve('test/browser/pages/react'),
    base: './',
    logLevel: 'warn',
    mode: 'development',
    // A development React: StrictMode runs every effect twice on mount, which is what is tested.
    define: { 'process.env.NODE_ENV': JSON.stringify('development') },
    resolve: { alias: [{ find: /^(?:\.\.\/)+src\/react\/index$/, replacement: resolve('dist/react/index.js') }] },
    build: { outDir, emptyOutDir: true, minify: false, reportCompressedSize: false },
  })
  site = await startStaticServer({ '/': outDir })
  // The upload server answers CORS only for the origins it was told about.
  servers.uploads.allowCorsOrigin(site.url)
})

test.afterAll(async () => {
  await site.close()
  await rm(outDir, { recursive: true, force: true })
})

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

async function open(page: Page, uploads: ReferenceServer, params: Record<string, string> = {}): Promise<void> {
  const query = new URLSearchParams({ endpoint: uploads.endpoint, chunkSize: String(MiB), ...params })
  await page.goto(`${site.url}/?${query}`)
}

/** Resolves at the next request of `kind` the server starts handling. */
function nextRequest(uploads: ReferenceServer, kind: RequestKind): Promise<RequestEvent> {
  return new Promise((done) => {
    const listener = (event: RequestEvent): void => {
      if (event.kind !== kind) return
      uploads.events.off('request', listener)
      done(event)
    }
    uploads.events.on('request', listener)
  })
}

async function expectStored(uploads: ReferenceServer, url: string | null, data: Uint8Array): Promise<void> {
  expect(url).toMatch(/\/uploads\//)
  const info = await uploads.upload(uploads.uploadIdFromUrl(url ?? ''))
  expect(info).toMatchObject({ complete: true, length: data.length, offset: data.length, sha256: sha256(data) })
}

async function seenStates(page: Page, name: string): Promise<string[] | undefined> {
  return page.evaluate((key) => (window as unknown as { seenStates: Record<string, string[]> }).seenStates[key], name)
}

test('useUpload, StrictMode, autoStart: the chosen file is uploaded once, to complete', async ({ page, uploads }) => {
  const data = randomBytes(3 * MiB + 17)
  const creates = uploads.stats.requests.create
  await open(page, uploads, { autoStart: '1' })
  await expect(page.getByTestId('single-state')).toHaveText('idle')
  await page.getByTestId('single-input').setInputFiles({ name: 'data.bin', mimeType: 'application/octet-stream', buffer: data })
  await expect(page.getByTestId('single-state')).toHaveText('complete')
  await expect(page.getByTestId('single-acked')).toHaveText(String(data.length))
  await expect(page.getByTestId('single-total')).toHaveText(String(data.length))
  await expect(page.getByTestId('single-error')).toHaveText('')
  await expectStored(uploads, await page.getByTestId('single-url').textContent(), data)
  expect(uploads.stats.requests.create - creates).toBe(1)
  const states = await seenStates(page, 'single')
  expect(states?.[0]).toBe('idle')
  expect(states?.at(-1)).toBe('complete')
  expect(states).not.toContain('aborted')
})

test('useUpload: pause during a request, resume from the server offset, complete', async ({ page, uploads }) => {
  const data = randomBytes(4 * MiB + 5)
  const creates = uploads.stats.requests.create
  const heads = uploads.stats.requests.head
  uploads.faults.add({ type: 'stall', match: { kind: 'append' } })
  await open(page, uploads)
  await page.getByTestId('single-input').setInputFiles({ name: 'data.bin', mimeType: 'application/octet-stream', buffer: data })
  const stalled = nextRequest(uploads, 'append')
  await page.getByRole('button', { name: 'start' }).click()
  await stalled
  await expect(page.getByTestId('single-state')).toHaveText('uploading')
  await page.getByRole('button', { name: 'pause' }).click()
  await expect(page.getByTestId('single-state')).toHaveText('paused')
  await page.getByRole('button', { name: 'resume' }).click()
  await expect(page.getByTestId('single-state')).toHaveText('complete')
  await expectStored(uploads, await page.getByTestId('single-url').textContent(), data)
  expect(uploads.stats.requests.create - creates).toBe(1)
  expect(uploads.stats.requests.head - heads).toBeGreaterThanOrEqual(1)
})

test('useUpload: unmounting the component aborts the request in flight', async ({ page, uploads }) => {
  const data = randomBytes(2 * MiB)
  uploads.faults.add({ type: 'stall', match: { kind: 'append' } })
  await open(page, uploads, { autoStart: '1' })
  const stalled = nextRequest(uploads, 'append')
  await page.getByTestId('single-input').setInputFiles({ name: 'data.bin', mimeType: 'application/octet-stream', buffer: data })
  await stalled
  const failed = page.waitForEvent('requestfailed', (request) => request.method() === 'PATCH')
  await page.getByRole('button', { name: 'unmount' }).click()
  expect((await failed).failure()?.errorText).toContain('ERR_ABORTED')
  const created = await uploads.uploads()
  const upload = created.find((info) => info.length === data.length && !info.complete)
  expect(upload?.complete).toBe(false)
})

test('useUploads, StrictMode, autoStart: three files, one upload each, all complete', async ({ page, uploads }) => {
  const files = [randomBytes(2 * MiB + 1), randomBytes(MiB / 2), randomBytes(3 * MiB)]
  const creates = uploads.stats.requests.create
  await open(page, uploads, { autoStart: '1' })
  await page
    .getByTestId('many-input')
    .setInputFiles(files.map((buffer, index) => ({ name: `file-${index}.bin`, mimeType: 'application/octet-stream', buffer })))
  for (const [index, data] of files.entries()) {
    await expect(page.getByTestId(`many-${index}-state`)).toHaveText('complete')
    await expectStored(uploads, await page.getByTestId(`many-${index}-url`).textContent(), data)
  }
  await expect(page.getByTestId('many-acked')).toHaveText(String(files.reduce((sum, data) => sum + data.length, 0)))
  expect(uploads.stats.requests.create - creates).toBe(3)
})
