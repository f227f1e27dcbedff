/**
 * The script tag's Azure file (issue 13) in real Chromium: a page with
 * `<script src=".../dist/resumable-upload.min.js">` and `<script src=".../dist/resumable-upload.azure.min.js">`
 * (the built dist/, served by route interception on the page's origin) gets
 * `ResumableUpload.azureBlob` and uploads a File to Azurite through XHR, cross-origin, with
 * `new ResumableUpload.Upload(file, { protocol: ResumableUpload.azureBlob({ url }) })`; the
 * committed blob's SHA-256 equals the page's. Needs `npm run build` first.
 */
import { type Browser } from '@playwright/test'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAzurite, type Azurite } from '../support/azurite'
import { tempDir } from '../support/files'
import { startStaticServer, type StaticServer } from '../support/static-server'
import { launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

let browser: Browser
let azurite: Azurite
let site: StaticServer
let removeDir: () => Promise<void>

beforeAll(async () => {
  azurite = await startAzurite()
  const { dir, remove } = await tempDir('azure-tag-')
  removeDir = remove
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>azure tag</title>')
  site = await startStaticServer({ '/': dir })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await site?.close()
  await azurite?.close()
  await removeDir?.()
})

describe('script tag: resumable-upload.azure.min.js', () => {
  it.skipIf(!existsSync(`${DIST}resumable-upload.azure.min.js`))(
    'adds ResumableUpload.azureBlob; a File goes up in 3 blocks, 2 at once, SHA-256 equal',
    async () => {
      const page = await browser.newPage()
      const fetched: string[] = []
      try {
        await page.route(`${site.url.replace(/\/$/, '')}/dist/*`, (route) => {
          const name = new URL(route.request().url()).pathname.slice('/dist/'.length)
          fetched.push(name)
          return route.fulfill({ path: `${DIST}${name}`, contentType: 'text/javascript' })
        })
        await page.goto(site.url)
        await page.addScriptTag({ url: '/dist/resumable-upload.min.js' })
        await page.addScriptTag({ url: '/dist/resumable-upload.azure.min.js' })
        // The Azure file defines itself once the sibling files it shares with the bundle's later code have loaded.
        await page.waitForFunction(() => typeof (window as unknown as { ResumableUpload: { azureBlob?: unknown } }).ResumableUpload.azureBlob === 'function')
        const name = 'script-tag.bin'
        const result = await page.evaluate(
          async ([size, sasUrl]) => {
            type Api = {
              Upload: new (file: File, options: object) => { start(): Promise<{ url: string }>; on(name: string, handler: (event: unknown) => void): void }
              azureBlob: (options: { url: () => Promise<string> }) => object
            }
            const api = (window as unknown as { ResumableUpload: Api }).ResumableUpload
            const bytes = new Uint8Array(size as number)
            for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)))
            const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
            const sha256 = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')
            const file = new File([bytes], 'tag.bin', { type: 'image/png', lastModified: 1_700_000_000_000 })
            const upload = new api.Upload(file, { protocol: api.azureBlob({ url: async () => sasUrl as string }), chunkSize: 4 * 1024 * 1024, concurrency: 2 })
            let chunks = 0
            upload.on('chunk', () => chunks++)
            const { url } = await upload.start()
            return { url, sha256, chunks }
          },
          [10 * MiB, azurite.sasUrl(name)] as const,
        )
        expect(await azurite.sha256Of(name)).toEqual({ sha256: result.sha256, length: 10 * MiB })
        expect(result.chunks).toBe(3)
        expect(result.url).toBe(azurite.blobUrl(name))
        // Put Block List carried the File's type as the blob's Content-Type.
        expect((await azurite.service.getContainerClient('uploads').getBlockBlobClient(name).getProperties()).contentType).toBe('image/png')
        expect(fetched.slice(0, 2)).toEqual(['resumable-upload.min.js', 'resumable-upload.azure.min.js'])
      } finally {
        await page.close()
      }
    },
  )
})
