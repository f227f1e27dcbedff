/**
 * The demo a newcomer runs first (`npm run demo`), started as that command starts it
 * (demo/servers.ts: the page with its `/api/` backend, the IETF reference server, tus, s3rver,
 * Azurite and the GCS emulator, free ports): two IETF files to completion, one through a dropped
 * connection; a reload that resumes an unfinished upload; the React demo; one upload through each
 * other protocol of the page's selector (tus, S3, Azure Blob, GCS), where the SHA-256 the page
 * shows for the stored object (its server's) equals the file's; S3 resumed after a reload (only
 * the missing parts sent); GCS through a dropped connection. Screenshots go to test-results/.
 */
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'
import type { Locator, Page } from '@playwright/test'
import { GCS_CUT_AFTER, storedDigest } from '../../demo/api'
import { startDemo, type Demo } from '../../demo/servers'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
let demo: Demo
let work: { dir: string; remove: () => Promise<void> }
const files: Array<{ name: string; data: TestData; path: string }> = []

test.beforeAll(async () => {
  demo = await startDemo()
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
  await demo?.close()
  await work?.remove()
})
test.beforeEach(() => demo.uploads.faults.clear())

/**
 * Asks the server to cut the next append (the page's button), chooses both files, and waits for
 * both to complete; checks the cut happened once and the stored bytes. Returns the list items.
 */
async function uploadTwoThroughACut(page: Page, screenshot: string): Promise<Locator> {
  const { uploads } = demo
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
  // Each file exactly once among the uploads this test made (the server lives for the whole file).
  const stored = (await uploads.uploads()).filter((upload) => Date.parse(upload.createdAt) >= since)
  for (const file of files) {
    expect(stored.filter((upload) => upload.complete && upload.sha256 === file.data.sha256)).toHaveLength(1)
  }
  return items
}

/** Waits for an upload's item to show both SHA-256s and checks both are the file's. */
async function expectSameDigest(item: Locator, data: TestData): Promise<void> {
  await expect(item.locator('.verdict')).toHaveText('equal: nothing lost', { timeout: 60_000 })
  await expect(item.locator('.sha-file')).toHaveText(data.sha256)
  await expect(item.locator('.sha-stored')).toContainText(data.sha256)
}

test('the demo uploads two files, one through a dropped connection', async ({ page }, testInfo) => {
  await page.goto(`${demo.url}/`)
  await page.selectOption('#chunk', String(MiB))
  const items = await uploadTwoThroughACut(page, testInfo.outputPath('demo-complete.png'))
  await expect(items.first().locator('.via')).toContainText('creation response')
  for (const [index, file] of files.entries()) await expectSameDigest(items.nth(index), file.data)
})

test('after a reload the demo resumes an unfinished upload by itself', async ({ page }, testInfo) => {
  const { uploads } = demo
  await page.goto(`${demo.url}/`)
  await page.selectOption('#chunk', String(MiB))
  // Hold the upload mid-way: the server stalls its third append (a fault added as that request
  // arrives applies to it) until the page goes away.
  let appends = 0
  const stalled = new Promise<void>((resolve) => {
    const onRequest = (event: { kind: string }): void => {
      if (event.kind !== 'append' || ++appends !== 3) return
      uploads.events.off('request', onRequest)
      uploads.faults.add({ type: 'stall', match: { kind: 'append' } })
      resolve()
    }
    uploads.events.on('request', onRequest)
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
  await expectSameDigest(item, file.data)
  await page.screenshot({ path: testInfo.outputPath('demo-restored.png'), fullPage: true })
  const stored = await uploads.uploads()
  expect(stored.filter((upload) => upload.complete && upload.sha256 === file.data.sha256).length).toBeGreaterThanOrEqual(1)
})

test('the React demo (useUploads) uploads two files, one through a dropped connection', async ({ page }, testInfo) => {
  await page.goto(`${demo.url}/react/?endpoint=${encodeURIComponent(demo.uploads.endpoint)}`)
  await uploadTwoThroughACut(page, testInfo.outputPath('react-demo-complete.png'))
})

/** One upload per protocol of the selector that is not IETF: what to send and how to find what was stored. */
const STORAGE = [
  { protocol: 'tus', size: 3 * MiB + 5 },
  { protocol: 's3', size: 11 * MiB + 5 },
  { protocol: 'azure', size: 6 * MiB + 5 },
  { protocol: 'gcs', size: 3 * MiB + 5 },
] as const

for (const { protocol, size } of STORAGE) {
  test(`the demo uploads a file with protocol ${protocol}; the stored object's SHA-256 is the file's`, async ({ page }, testInfo) => {
    const data = randomData(size)
    const path = await writeTestFile(work.dir, `${protocol}-demo.bin`, data)
    await page.goto(`${demo.url}/`)
    // The storage protocols' options are enabled once their script-tag files have loaded.
    await expect(page.locator(`#protocol option[value="${protocol}"]`)).toBeEnabled()
    await page.selectOption('#protocol', protocol)
    await page.selectOption('#chunk', String(MiB))
    await page.setInputFiles('#files', path)
    const item = page.locator('#list li').first()
    await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
    await expectSameDigest(item, data)
    await expect(item.locator('.sha-stored')).toContainText(`(${(size / MiB).toFixed(1)} MiB)`)
    await page.screenshot({ path: testInfo.outputPath(`demo-${protocol}.png`), fullPage: true })
    // What the page showed is what its backend reads back from the server holding the object.
    const ref = await item.getAttribute('data-ref')
    expect(await storedDigest(demo, protocol, ref ?? '')).toEqual({ sha256: data.sha256, size })
  })
}

test('S3 through the demo: a reload once 2 of 5 parts are stored resumes the same multipart upload (listParts), only parts 3-5 sent', async ({
  page,
}, testInfo) => {
  const { s3, s3Backend } = demo
  const size = 24 * MiB + 5 // 5 parts of 5 MiB (the page's least part size)
  const data = randomData(size)
  const path = await writeTestFile(work.dir, 's3-reload.bin', data)
  await page.goto(`${demo.url}/`)
  await expect(page.locator('#protocol option[value="s3"]')).toBeEnabled()
  await page.selectOption('#protocol', 's3')
  await page.selectOption('#chunk', String(MiB))
  // Parts 3 to 5 are not signed before the reload (their sign-part requests are held, never
  // answered): the first page stops at 2 parts, whatever the machine's speed.
  let held = 0
  let reloading = false
  await page.route('**/api/s3/multipart/sign-part', async (route) => {
    if (reloading || (route.request().postDataJSON() as { partNumber: number }).partNumber <= 2) await route.continue()
    else held++
  })
  const [creates, lists, before] = [s3Backend.calls.createMultipartUpload, s3Backend.calls.listParts, s3.partRequests.length]
  await page.setInputFiles('#files', path)
  await expect.poll(() => s3.partRequests.slice(before).filter((part) => part.status === 200).length).toBe(2)
  await expect.poll(() => held).toBe(3)
  const afterFirstPage = s3.partRequests.length
  reloading = true
  await page.reload()
  await expect(page.locator('#restored')).toContainText('Resuming 1 unfinished upload')
  const item = page.locator('#list li').first()
  await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
  await expectSameDigest(item, data)
  await page.screenshot({ path: testInfo.outputPath('demo-s3-restored.png'), fullPage: true })
  expect([s3Backend.calls.createMultipartUpload - creates, s3Backend.calls.listParts - lists]).toEqual([1, 1])
  expect(
    s3.partRequests
      .slice(afterFirstPage)
      .map((part) => part.partNumber)
      .sort(),
  ).toEqual([3, 4, 5])
})

test('GCS through the demo: "Drop the connection" cuts a chunk; the emulator keeps its whole 256 KiB unit and the upload goes on from there', async ({
  page,
}) => {
  const { gcs } = demo
  const size = 3 * MiB + 5
  const data = randomData(size)
  const path = await writeTestFile(work.dir, 'gcs-cut.bin', data)
  await page.goto(`${demo.url}/`)
  await expect(page.locator('#protocol option[value="gcs"]')).toBeEnabled()
  await page.selectOption('#protocol', 'gcs')
  await page.selectOption('#chunk', String(MiB))
  const before = gcs.requests.length
  await Promise.all([page.waitForResponse('**/api/gcs/cut'), page.click('#cut')])
  await page.setInputFiles('#files', path)
  const item = page.locator('#list li').first()
  await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
  await expectSameDigest(item, data)
  const puts = gcs.requests.slice(before).filter((request) => request.method === 'PUT')
  const cut = puts.findIndex((request) => request.status === undefined)
  expect(puts[cut]?.bodyBytes).toBe(GCS_CUT_AFTER)
  // A status query learned what the emulator kept (the whole 256 KiB unit), and the upload went on from there.
  const after = puts.slice(cut + 1)
  expect(after.some((request) => request.contentRange === `bytes */${size}` && request.status === 308 && request.range === 'bytes=0-262143')).toBe(true)
  expect(after.some((request) => request.contentRange?.startsWith('bytes 262144-') && request.status === 308)).toBe(true)
})

/**
 * Chooses an S3 upload of `size` bytes in the page with parts 3 and later unsigned (their
 * sign-part requests held) until `release()`; resolves once parts 1 and 2 are stored.
 */
async function startS3WithTwoParts(page: Page, name: string, size: number): Promise<{ data: TestData; item: Locator; release: () => Promise<void> }> {
  const data = randomData(size)
  const path = await writeTestFile(work.dir, name, data)
  await page.goto(`${demo.url}/`)
  await expect(page.locator('#protocol option[value="s3"]')).toBeEnabled()
  await page.selectOption('#protocol', 's3')
  await page.selectOption('#chunk', String(MiB))
  await page.route('**/api/s3/multipart/sign-part', async (route) => {
    if ((route.request().postDataJSON() as { partNumber: number }).partNumber <= 2) await route.continue()
  })
  const before = demo.s3.partRequests.length
  await page.setInputFiles('#files', path)
  await expect.poll(() => demo.s3.partRequests.slice(before).filter((part) => part.status === 200).length).toBe(2)
  return { data, item: page.locator('#list li').first(), release: () => page.unrouteAll({ behavior: 'ignoreErrors' }) }
}

test('S3 through the demo: Pause stops the upload, Resume finishes it from the parts S3 holds', async ({ page }) => {
  const lists = demo.s3Backend.calls.listParts
  const { data, item, release } = await startS3WithTwoParts(page, 's3-pause.bin', 24 * MiB + 5)
  await item.locator('.pause').click()
  await expect(item.locator('.state')).toHaveText('paused')
  await expect(item.locator('.pause')).toHaveText('Resume')
  await release()
  await item.locator('.pause').click()
  await expect(item.locator('.state')).toHaveText('complete', { timeout: 60_000 })
  await expectSameDigest(item, data)
  expect(demo.s3Backend.calls.listParts - lists).toBe(1)
})

test('S3 through the demo: Cancel aborts the multipart upload (abortMultipartUpload, parts gone)', async ({ page }) => {
  const aborts = demo.s3Backend.calls.abortMultipartUpload
  const { item } = await startS3WithTwoParts(page, 's3-cancel.bin', 24 * MiB + 5)
  const uploadId = demo.s3.partRequests.at(-1)?.uploadId ?? ''
  expect(demo.s3.uploadExists(uploadId)).toBe(true)
  await item.locator('.cancel').click()
  await expect(item.locator('.state')).toHaveText('aborted')
  await expect.poll(() => demo.s3Backend.calls.abortMultipartUpload - aborts).toBe(1)
  // The backend removes the parts (s3rver lacks AbortMultipartUpload; see test/support/s3-backend.ts).
  await expect.poll(() => demo.s3.uploadExists(uploadId)).toBe(false)
  await expect(item.locator('.digest')).toBeHidden()
})
