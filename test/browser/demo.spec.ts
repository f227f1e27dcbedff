/**
 * The demo a newcomer runs first (`npm run demo`): two files to completion, one through a dropped
 * connection, then a reload that resumes an unfinished upload. Screenshots go to test-results/.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildReactDemo } from '../../demo/build-react'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'
import { startStaticServer, type StaticServer } from '../support/static-server'
import type { Locator, Page } from '@playwright/test'
import type { ReferenceServer } from '../server'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
let demo: StaticServer
let reactDir: string
let work: { dir: string; remove: () => Promise<void> }
const files: Array<{ name: string; data: TestData; path: string }> = []

test.beforeAll(async ({ servers }) => {
  reactDir = await mkdtemp(join(tmpdir(), 'resumable-upload-demo-react-'))
  await buildReactDemo(reactDir)
  demo = await startStaticServer({ '/': 'demo', '/dist/': 'dist', '/react/': reactDir })
  // As `npm run demo` does: the upload server lets the demo's own origin in (CORS and control routes).
  servers.uploads.allowCorsOrigin(demo.url)
  work = await tempDir()
  for (const [name, size] of [
    ['holiday.mov', 24 * MiB],
    ['notes.pdf', 3 * MiB + 5],
  ] as const) {
    const data = randomData(size)
    files.push({ name, data, path: await writeTestFile(work.dir, name, data) })
  }
})
test.afterAll(async () => {
  await demo.close()
  await rm(reactDir, { recursive: true, force: true })
  await work.remove()
})

/**
 * Asks the server to cut the next append (the page's button), chooses both files, and waits for
 * both to complete; checks the cut happened once and the stored bytes. Returns the list items.
 */
async function uploadTwoThroughACut(page: Page, uploads: ReferenceServer, screenshot: string): Promise<Locator> {
  const since = Date.now()
  await page.click('#cut')
  // The click asked the server (over its control API) to cut the next append.
  await expect.poll(async () => ((await fetch(`${uploads.url}/__control/faults`).then((r) => r.json())) as unknown[]).length).toBe(1)
  await page.setInputFiles(
    '#files',
    files.map((file) => file.path),
  )
  const items = page.locator('#list li')
  await expect(items).toHaveCount(2)
  for (const item of await items.all()) await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
  await page.screenshot({ path: screenshot, fullPage: true })
  // The dropped connection happened and was survived.
  const faults = (await fetch(`${uploads.url}/__control/faults`).then((r) => r.json())) as Array<{ hits: number }>
  expect(faults.map((fault) => fault.hits)).toEqual([1])
  // Each file exactly once among the uploads this test made (the server lives for the whole worker).
  const stored = (await uploads.uploads()).filter((upload) => Date.parse(upload.createdAt) >= since)
  for (const file of files) {
    expect(stored.filter((upload) => upload.complete && upload.sha256 === file.data.sha256)).toHaveLength(1)
  }
  return items
}

test('the demo uploads two files, one through a dropped connection', async ({ page, uploads }, testInfo) => {
  await page.goto(`${demo.url}/?endpoint=${encodeURIComponent(uploads.endpoint)}`)
  await page.selectOption('#chunk', String(MiB))
  const items = await uploadTwoThroughACut(page, uploads, testInfo.outputPath('demo-complete.png'))
  await expect(items.first().locator('.via')).toContainText('creation response')
})

test('after a reload the demo resumes an unfinished upload by itself', async ({ page, uploads }, testInfo) => {
  await page.goto(`${demo.url}/?endpoint=${encodeURIComponent(uploads.endpoint)}`)
  await page.selectOption('#chunk', String(MiB))
  // Hold the upload mid-way: the server stalls its third append (a fault added as that request
  // arrives applies to it) until the page goes away.
  let appends = 0
  const stalled = new Promise<void>((resolve) => {
    uploads.events.on('request', (event) => {
      if (event.kind !== 'append' || ++appends !== 3) return
      uploads.faults.add({ type: 'stall', match: { kind: 'append' } })
      resolve()
    })
  })
  const file = files[0]
  if (!file) throw new Error('no test file')
  await page.setInputFiles('#files', file.path)
  await stalled
  await page.reload()
  await expect(page.locator('#restored')).toContainText('Resuming 1 unfinished upload')
  const item = page.locator('#list li').first()
  await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
  await expect(item.locator('.via')).toContainText('stored record')
  await page.screenshot({ path: testInfo.outputPath('demo-restored.png'), fullPage: true })
  const stored = await uploads.uploads()
  expect(stored.filter((upload) => upload.complete && upload.sha256 === file.data.sha256).length).toBeGreaterThanOrEqual(1)
})

test('the React demo (useUploads) uploads two files, one through a dropped connection', async ({ page, uploads }, testInfo) => {
  await page.goto(`${demo.url}/react/?endpoint=${encodeURIComponent(uploads.endpoint)}`)
  await uploadTwoThroughACut(page, uploads, testInfo.outputPath('react-demo-complete.png'))
})
