/**
 * Resume after a reload, a closed browser, or in another tab, in real Chromium with its real
 * IndexedDB and Web Locks, against the reference server. Bytes checked by SHA-256.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from '@playwright/test'
import config from '../../playwright.config'
import type { ReferenceServer } from '../server'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
const SIZE = 64 * MiB
const CHUNK = 4 * MiB

let work: { dir: string; remove: () => Promise<void> }
let data: TestData
let path: string

test.beforeAll(async () => {
  work = await tempDir()
  data = randomData(SIZE)
  path = await writeTestFile(work.dir, 'video.bin', data)
})
test.afterAll(() => work.remove())

/** Outcome of an upload run in the page. */
interface PageOutcome {
  url: string
  vias: string[]
}

/**
 * Starts an upload of the chosen file in the page. When `stallAtHalf` is set, the request that
 * would send the byte at 50% is held by the server (a stall fault set just before it goes), and
 * the returned promise resolves once the server has it: the moment to reload or close.
 */
async function startInPage(
  page: Page,
  uploads: ReferenceServer,
  options: { persistBlob?: boolean; restore?: boolean; stallAtHalf?: boolean },
): Promise<{ stalled: Promise<void>; done: Promise<PageOutcome> }> {
  let stalledResolve = (): void => undefined
  const stalled = new Promise<void>((resolve) => (stalledResolve = resolve))
  if (options.stallAtHalf) {
    await page.exposeFunction('stallNextAppend', () => {
      uploads.faults.add({ type: 'stall', match: { kind: 'append' } })
      const onRequest = (event: { kind: string }): void => {
        if (event.kind !== 'append') return
        uploads.events.off('request', onRequest)
        stalledResolve()
      }
      uploads.events.on('request', onRequest)
    })
  }
  const done = page.evaluate(
    async ({ endpoint, chunk, half, persistBlob, restore, stallAtHalf }) => {
      const { Upload } = window.ResumableUpload
      const input = document.getElementById('file') as HTMLInputElement
      let stallAsked = false
      const options = {
        endpoint,
        chunkSize: chunk,
        persistBlob,
        headers: async (request: { method: string; body: { start: number } | null }) => {
          if (stallAtHalf && !stallAsked && request.method === 'PATCH' && (request.body?.start ?? 0) >= half) {
            stallAsked = true
            await (window as unknown as { stallNextAppend: () => Promise<void> }).stallNextAppend()
          }
          return {}
        },
      }
      const upload = restore ? (await Upload.restoreAll(options))[0] : new Upload(input.files?.[0] as File, options)
      if (!upload) throw new Error('nothing to restore')
      const vias: string[] = []
      upload.on('url', ({ via }) => vias.push(via))
      const { url } = await upload.start()
      return { url, vias }
    },
    {
      endpoint: uploads.endpoint,
      chunk: CHUNK,
      half: SIZE / 2,
      persistBlob: options.persistBlob ?? false,
      restore: options.restore ?? false,
      stallAtHalf: options.stallAtHalf ?? false,
    },
  )
  // The page goes away under a running upload: that rejection is the point of the test.
  done.catch(() => undefined)
  return { stalled, done }
}

async function expectComplete(uploads: ReferenceServer, url: string): Promise<void> {
  const id = uploads.uploadIdFromUrl(url)
  expect(await uploads.upload(id)).toMatchObject({ length: SIZE, offset: SIZE, complete: true, sha256: data.sha256 })
  // Bytes re-sent: what reached the server beyond the file, at most the one chunk in flight.
  expect((uploads.stats.perUpload.get(id)?.bodyBytesReceived ?? 0) - SIZE).toBeLessThanOrEqual(CHUNK)
}

test('reload at 50%, choose the same file again: resumes from the server offset', async ({ page, servers, uploads }) => {
  await page.goto(`${servers.pages.url}/persist.html`)
  await page.setInputFiles('#file', path)
  const first = await startInPage(page, uploads, { stallAtHalf: true })
  await first.stalled
  await page.reload()
  await page.setInputFiles('#file', path)
  const second = await startInPage(page, uploads, {})
  const outcome = await second.done
  expect(outcome.vias).toEqual(['stored'])
  await expectComplete(uploads, outcome.url)
})

test('reload at 50% with persistBlob: restoreAll resumes without choosing the file', async ({ page, servers, uploads }) => {
  await page.goto(`${servers.pages.url}/persist.html`)
  await page.setInputFiles('#file', path)
  const first = await startInPage(page, uploads, { stallAtHalf: true, persistBlob: true })
  await first.stalled
  await page.reload()
  const outcome = await (await startInPage(page, uploads, { restore: true })).done
  expect(outcome.vias).toEqual(['stored'])
  await expectComplete(uploads, outcome.url)
})

test('close the whole browser at 50%, open it again on the same profile: restoreAll resumes', async ({ servers, uploads }) => {
  const profile = await mkdtemp(join(tmpdir(), 'resumable-upload-profile-'))
  const launch = { headless: true, ...config.use?.launchOptions }
  try {
    const firstContext = await chromium.launchPersistentContext(profile, launch)
    const firstPage = await firstContext.newPage()
    await firstPage.goto(`${servers.pages.url}/persist.html`)
    await firstPage.setInputFiles('#file', path)
    const first = await startInPage(firstPage, uploads, { stallAtHalf: true, persistBlob: true })
    await first.stalled
    await firstContext.close()

    const secondContext = await chromium.launchPersistentContext(profile, launch)
    try {
      const page = await secondContext.newPage()
      await page.goto(`${servers.pages.url}/persist.html`)
      const outcome = await (await startInPage(page, uploads, { restore: true })).done
      expect(outcome.vias).toEqual(['stored'])
      await expectComplete(uploads, outcome.url)
    } finally {
      await secondContext.close()
    }
  } finally {
    await rm(profile, { recursive: true, force: true })
  }
})

test('two tabs start the same file: one uploads, the other waits and ends with the same upload', async ({ context, servers, uploads }) => {
  const pages = [await context.newPage(), await context.newPage()]
  for (const page of pages) {
    await page.goto(`${servers.pages.url}/persist.html`)
    await page.setInputFiles('#file', path)
  }
  const creations = uploads.stats.requests.create
  const [a, b] = await Promise.all(pages.map(async (page) => (await startInPage(page, uploads, {})).done))
  expect(a?.url).toBe(b?.url)
  // One tab created and sent the file; the other found it finished (via the stored record).
  expect(uploads.stats.requests.create - creations).toBe(1)
  expect([a?.vias, b?.vias]).toEqual(expect.arrayContaining([['created'], ['stored']]))
  await expectComplete(uploads, a?.url ?? '')
})
