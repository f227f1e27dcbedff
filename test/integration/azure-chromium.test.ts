/**
 * `new Upload(file, { protocol: azureBlob({ url }), persistBlob: true })` in real Chromium (issue
 * 13): the page (fixtures/azure-upload-page.ts, bundled with Vite here) uploads a File through XHR
 * and the default IndexedDB store, cross-origin to Azurite (its CORS rule set through the blob
 * service properties), 4 blocks at once, with an expired first SAS that the url function
 * refreshes. The page is reloaded once half is stored, and `Upload.restoreAll({ protocol:
 * azureBlob(...) })` resumes: Get Block List, only the missing blocks. The committed blob's
 * SHA-256 equals the page's.
 */
import type { Route } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AzureRestoreResult } from './fixtures/azure-upload-page'
import { startAzurite, type Azurite } from '../support/azurite'
import { bundlePage, startChromiumSite, type ChromiumSite } from '../support/vitest-browser'

const MiB = 1024 * 1024
const PAGE = fileURLToPath(new URL('./fixtures/azure-upload-page.ts', import.meta.url))

interface PageApi {
  AzureUploadPage: { begin: (urls: string[], size: number, blockSize: number) => Promise<string>; restore: (urls: string[]) => Promise<AzureRestoreResult> }
}

let azurite: Azurite
let site: ChromiumSite
let script: string

beforeAll(async () => {
  script = await bundlePage(PAGE, 'AzureUploadPage')
  azurite = await startAzurite()
  site = await startChromiumSite('azure')
}, 120_000)

afterAll(async () => {
  await site?.close()
  await azurite?.close()
})

/** The block number of a Put Block URL, or undefined for another request. */
function blockOf(url: string): number | undefined {
  const id = /[?&]comp=block&blockid=([^&]+)/.exec(url)?.[1]
  return id === undefined ? undefined : Number(/(\d{6})$/.exec(atob(decodeURIComponent(id)))![1])
}

describe('Upload with azureBlob() in Chromium against Azurite', () => {
  it('a reload at 50%: restoreAll finds the File in IndexedDB and resumes through Get Block List, only the missing blocks sent', async () => {
    const page = await site.browser.newPage()
    // Blocks 5 to 8 are held until the reload: the first page stops at 4 of 8 blocks, whatever the machine's speed.
    let release = (): void => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const late: number[] = []
    let allLate = (): void => undefined
    const lateStarted = new Promise<void>((resolve) => (allLate = resolve))
    const isLate = (url: URL): boolean => (blockOf(url.href) ?? 0) > 4
    await page.route(isLate, async (route: Route) => {
      if (late.push(blockOf(route.request().url())!) === 4) allLate()
      await held
      await route.abort().catch(() => undefined)
    })
    try {
      const name = 'chromium-reload.bin'
      const size = 32 * MiB // 8 blocks of 4 MiB
      await page.goto(site.url)
      await page.addScriptTag({ content: script })
      // The first SAS expired: the url function is asked again (Azurite answers 403 AuthorizationFailure).
      const first = [azurite.sasUrl(name, new Date(Date.now() - 60_000)), azurite.sasUrl(name)]
      const sha256 = await page.evaluate(([urls, total, block]) => (window as unknown as PageApi).AzureUploadPage.begin(urls, total, block), [
        first,
        size,
        4 * MiB,
      ] as const)
      // 4 blocks at once: blocks 5 to 8 all started, each once, as 1 to 4 were stored.
      await lateStarted
      expect(late.sort()).toEqual([5, 6, 7, 8])
      await page.reload()
      release()
      await page.unroute(isLate)
      const puts: number[] = []
      const lists: string[] = []
      page.on('request', (request) => {
        const block = blockOf(request.url())
        if (block !== undefined && request.method() === 'PUT') puts.push(block)
        if (request.method() === 'GET' && request.url().includes('comp=blocklist')) lists.push(request.url())
      })
      await page.addScriptTag({ content: script })
      const result = await page.evaluate((urls) => (window as unknown as PageApi).AzureUploadPage.restore(urls), [azurite.sasUrl(name)])

      expect(result.restored).toBe(1)
      expect(new URL(result.url).origin).not.toBe(new URL(site.url).origin)
      expect(result.url).toBe(azurite.blobUrl(name))
      expect(await azurite.sha256Of(name)).toEqual({ sha256, length: size })
      expect(result.urlCalls).toBe(1)
      expect(lists).toHaveLength(1)
      expect(result.firstAcked).toBe(4 * 4 * MiB)
      expect(puts.sort()).toEqual([5, 6, 7, 8])
      expect(result.states.at(-1)).toBe('complete')
      // The record is gone once complete.
      expect(
        await page.evaluate(
          async (urls) => (await (window as unknown as PageApi).AzureUploadPage.restore(urls).catch((error: Error) => error.message)) as unknown,
          [azurite.sasUrl(name)],
        ),
      ).toBe('nothing to restore')
    } finally {
      release()
      await page.close()
    }
  })
})
