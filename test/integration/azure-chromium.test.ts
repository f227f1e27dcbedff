/**
 * `azureBlob()` in real Chromium: the page (fixtures/azure-page.ts, bundled with Vite here) uploads
 * a Blob through the XHR transport, 4 blocks at once, cross-origin to Azurite (its CORS rule set
 * through the blob service properties), first with an expired SAS that the url function then
 * refreshes. The committed blob's SHA-256 equals the page's.
 */
import type { Browser } from '@playwright/test'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AzurePageResult } from './fixtures/azure-page'
import { startAzurite, type Azurite } from '../support/azurite'
import { tempDir } from '../support/files'
import { startStaticServer, type StaticServer } from '../support/static-server'
import { bundlePage, launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024
const PAGE = fileURLToPath(new URL('./fixtures/azure-page.ts', import.meta.url))

let browser: Browser
let azurite: Azurite
let site: StaticServer
let script: string
let removeDir: () => Promise<void>

beforeAll(async () => {
  script = await bundlePage(PAGE, 'AzurePage')
  azurite = await startAzurite()
  const { dir, remove } = await tempDir('azure-page-')
  removeDir = remove
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>azure</title>')
  site = await startStaticServer({ '/': dir })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await azurite?.close()
  await removeDir?.()
})

describe('azureBlob() in Chromium against Azurite', () => {
  it('a 20 MiB Blob in 4 MiB blocks, 4 at once over XHR, cross-origin, the expired first SAS refreshed: SHA-256 equal', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(site.url)
      await page.addScriptTag({ content: script })
      const name = 'chromium.bin'
      const urls = [azurite.sasUrl(name, new Date(Date.now() - 60_000)), azurite.sasUrl(name)]
      const result = await page.evaluate(
        ([urls, size, blockSize]) =>
          (window as unknown as { AzurePage: { upload: (urls: string[], ...args: number[]) => Promise<AzurePageResult> } }).AzurePage.upload(
            urls as string[],
            size as number,
            blockSize as number,
            4,
          ),
        [urls, 20 * MiB, 4 * MiB] as const,
      )
      expect(new URL(result.url).origin).not.toBe(new URL(site.url).origin)
      expect(result.url).toBe(azurite.blobUrl(name))
      expect(result.urlCalls).toBe(2)
      expect(result.maxInFlight).toBe(4)
      expect(result.chunks).toBe(5)
      expect(await azurite.sha256Of(name)).toEqual({ sha256: result.sha256, length: 20 * MiB })
    } finally {
      await page.close()
    }
  })
})
