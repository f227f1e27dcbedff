/**
 * The S3 parts runner in real Chromium: the page (fixtures/s3-runner-page.ts, bundled with Vite
 * here) uploads a Blob through the XHR transport, 4 parts at once, to s3rver behind the cutting
 * proxy (cross-origin: the bucket's CORS rule allows PUT and exposes ETag), signing through the
 * test backend's JSON endpoint; three parts lose their connection. The stored object's SHA-256
 * equals the page's.
 */
import { type Browser } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageResult } from './fixtures/s3-runner-page'
import { startCuttingProxy, type CuttingProxy } from '../support/cutting-proxy'
import { createS3Backend, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend, type S3BackendEndpoint } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'
import { bundlePage, launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024
const PAGE = fileURLToPath(new URL('./fixtures/s3-runner-page.ts', import.meta.url))

let browser: Browser
let server: S3TestServer
let proxy: CuttingProxy
let backend: S3TestBackend
let endpoint: S3BackendEndpoint
let script: string

beforeAll(async () => {
  script = await bundlePage(PAGE, 'S3RunnerPage')
  server = await startS3Server()
  proxy = await startCuttingProxy(server.endpoint)
  backend = createS3Backend(server, { publicEndpoint: proxy.url })
  endpoint = await serveS3Backend(backend)
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await endpoint?.close()
  await proxy?.close()
  await server?.stop()
})

describe('parts runner in Chromium', () => {
  it('a 32 MiB Blob in 5 MiB parts, 4 at once over XHR, through three connection cuts: whole object, ETags read through CORS', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(endpoint.url)
      await page.addScriptTag({ content: script })
      const cuts = [proxy.cut(1 * MiB, 'PUT'), proxy.cut(2 * MiB, 'PUT'), proxy.cut(3 * MiB, 'PUT')]
      const from = server.partRequests.length
      const result = await page.evaluate(
        ([size, partSize]) =>
          (window as unknown as { S3RunnerPage: { upload: (...args: number[]) => Promise<PageResult> } }).S3RunnerPage.upload(size!, partSize!, 4),
        [32 * MiB, 5 * MiB],
      )
      expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1])
      expect(await backend.sha256Of(result.key)).toEqual({ sha256: result.sha256, size: 32 * MiB })
      expect(result.maxInFlight).toBe(4)
      expect(Math.max(...server.partRequests.slice(from).map((record) => record.inFlight))).toBeGreaterThanOrEqual(4)
      expect(result.events['chunk']).toBe(7)
      // Each cut part went again (by the runner's retry, or Chromium's own resend of an idempotent PUT on a reset connection).
      const puts = proxy.requests.filter((request) => request.method === 'PUT')
      // Measured: Chromium resends them itself (no retry event reaches the runner); either way one part per cut.
      expect(puts).toHaveLength(7 + 3)
      expect(puts.reduce((sum, request) => sum + request.bodyBytes, 0) - 32 * MiB).toBe(6 * MiB)
      expect(result.lastProgress).toEqual({ bytesSent: 32 * MiB, bytesAcked: 32 * MiB, bytesTotal: 32 * MiB })
      expect(new URL(result.url).origin).toBe(server.endpoint)
    } finally {
      await page.close()
    }
  })

  it('an expired presigned URL: the page reads the 403 through CORS and the runner re-signs the part', async () => {
    const stale = createS3Backend(server, { publicEndpoint: proxy.url, expiresIn: 1, signingDate: () => new Date(Date.now() - 3_600_000) })
    let staleLeft = 1
    const expiring = await serveS3Backend({
      ...backend,
      signPart: (file, options) => (options.partNumber === 1 && staleLeft-- > 0 ? stale : backend).signPart(file, options),
    })
    const page = await browser.newPage()
    try {
      await page.goto(expiring.url)
      await page.addScriptTag({ content: script })
      const from = server.partRequests.length
      const result = await page.evaluate(
        ([size, partSize]) =>
          (window as unknown as { S3RunnerPage: { upload: (...args: number[]) => Promise<PageResult> } }).S3RunnerPage.upload(size!, partSize!, 1),
        [6 * MiB, 5 * MiB],
      )
      expect(await backend.sha256Of(result.key)).toEqual({ sha256: result.sha256, size: 6 * MiB })
      expect(server.partRequests.slice(from).map((record) => [record.partNumber, record.status])).toEqual([
        [1, 403],
        [1, 200],
        [2, 200],
      ])
      expect(result.events['retry']).toBeUndefined()
    } finally {
      await page.close()
      await expiring.close()
    }
  })
})
