/**
 * `new Upload(file, { protocol: s3(...), persistBlob: true })` in real Chromium (issue 12): the
 * page (fixtures/s3-upload-page.ts, bundled with Vite here) uploads a File to s3rver through XHR
 * and the default IndexedDB store; the page is reloaded once half is stored, and
 * `Upload.restoreAll({ protocol: s3(...) })` resumes the same multipart upload through listParts.
 * The stored object's SHA-256 equals the page's.
 */
import { type Browser } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RestoreResult } from './fixtures/s3-upload-page'
import { createS3Backend, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend, type S3BackendEndpoint } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'
import { bundlePage, launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024
const PAGE = fileURLToPath(new URL('./fixtures/s3-upload-page.ts', import.meta.url))

interface PageApi {
  S3UploadPage: { begin: (size: number, partSize: number) => Promise<string>; restore: () => Promise<RestoreResult> }
}

let browser: Browser
let server: S3TestServer
let backend: S3TestBackend
let endpoint: S3BackendEndpoint
let script: string

beforeAll(async () => {
  script = await bundlePage(PAGE, 'S3UploadPage')
  server = await startS3Server()
  backend = createS3Backend(server)
  endpoint = await serveS3Backend(backend)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await endpoint?.close()
  await server?.stop()
})

describe('Upload with s3() in Chromium', () => {
  it('a reload at 50%: restoreAll finds the File in IndexedDB and resumes through listParts, no new createMultipartUpload', async () => {
    const page = await browser.newPage()
    // Parts 5 to 8 are not signed before the reload: the first page stops at 4 of 8 parts, whatever the machine's speed.
    let release = (): void => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const gated = await serveS3Backend({
      ...backend,
      signPart: async (file, options) => {
        if (options.partNumber > 4) await held
        return backend.signPart(file, options)
      },
    })
    try {
      const size = 36 * MiB // 8 parts of 5 MiB
      await page.goto(gated.url)
      await page.addScriptTag({ content: script })
      const [creates, lists] = [backend.calls.createMultipartUpload, backend.calls.listParts]
      const sha256 = await page.evaluate(([total, part]) => (window as unknown as PageApi).S3UploadPage.begin(total!, part!), [size, 5 * MiB])
      await page.reload()
      release()
      const from = server.partRequests.length
      await page.addScriptTag({ content: script })
      const result = await page.evaluate(() => (window as unknown as PageApi).S3UploadPage.restore())

      expect(result.restored).toBe(1)
      expect(await backend.sha256Of(result.key!)).toEqual({ sha256, size })
      expect([backend.calls.createMultipartUpload - creates, backend.calls.listParts - lists]).toEqual([1, 1])
      // Resumed from the parts S3 held: at least half, and only the others went again.
      expect(result.firstAcked).toBe(4 * 5 * MiB)
      expect(
        server.partRequests
          .slice(from)
          .map((part) => part.partNumber)
          .sort(),
      ).toEqual([5, 6, 7, 8])
      expect(result.states.at(-1)).toBe('complete')
      // The record is gone once complete.
      expect(
        await page.evaluate(async () => (await (window as unknown as PageApi).S3UploadPage.restore().catch((error: Error) => error.message)) as unknown),
      ).toBe('nothing to restore')
    } finally {
      release()
      await page.close()
      await gated.close()
    }
  })
})
