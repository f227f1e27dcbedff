/**
 * What a browser can see of s3rver through the test infrastructure, in real Chromium: a page on
 * the backend endpoint's origin creates an upload and signs parts through the JSON endpoint, PUTs
 * two parts to s3rver (another origin) with fetch, both started at once, and reads their ETags; the stored
 * object's SHA-256 equals the page's. Without `ExposeHeaders: ETag` the page sees no ETag (and the
 * protocol names the CORS rule); an expired URL's 403 body is readable (CORS headers on errors),
 * and the protocol reads it as re-sign; with s3rver's own preflight it is a bare network error. The
 * protocol reads what the page saw, in Node.
 */
import { type Browser, type Page } from '@playwright/test'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { s3, type S3PartRequest } from '../../src/protocols/s3'
import { createS3Backend, type S3BackendOptions } from '../support/s3-backend'
import { S3_ROUTES } from '../support/s3-backend-client'
import { serveS3Backend, type S3BackendEndpoint } from '../support/s3-backend-http'
import { startS3Server, type S3ServerOptions, type S3TestServer } from '../support/s3-server'
import { launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024

let browser: Browser
const running: { stop(): Promise<void> }[] = []

beforeAll(async () => {
  browser = await launchChromium()
})

afterAll(async () => {
  await browser.close()
  for (const service of running) await service.stop()
})

/** A server, a backend served over HTTP, and a page on the endpoint's origin. */
async function setUp(serverOptions: S3ServerOptions = {}, backendOptions: S3BackendOptions = {}) {
  const server: S3TestServer = await startS3Server(serverOptions)
  const backend = createS3Backend(server, backendOptions)
  const endpoint: S3BackendEndpoint = await serveS3Backend(backend)
  running.push(server, { stop: () => endpoint.close() })
  const page: Page = await browser.newPage()
  await page.goto(endpoint.url)
  return { server, backend, endpoint, page }
}

/** What the page saw of one part PUT. */
interface PartSeen {
  url: string
  status: number
  etag: string | null
  body: string
}

/** In the page: create an upload, sign `sizes.length` parts, PUT them in parallel, and return what fetch let it see. */
async function uploadFromPage(page: Page, sizes: number[], complete: boolean) {
  return page.evaluate(
    async ({ routes, sizes, complete }) => {
      const post = async (route: string, body: object) => {
        const answer = await fetch(route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        return answer.json()
      }
      const total = sizes.reduce((sum, size) => sum + size, 0)
      const bytes = new Uint8Array(total)
      for (let at = 0; at < total; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(total, at + 65536)))
      const file = { name: 'page.bin', type: 'application/octet-stream', size: total, metadata: {} }
      const { uploadId, key } = await post(routes.createMultipartUpload, { file })
      let start = 0
      const parts = sizes.map((size, index) => {
        const part = { partNumber: index + 1, start, end: start + size }
        start += size
        return part
      })
      const seen = await Promise.all(
        parts.map(async ({ partNumber, start, end }) => {
          const { url } = await post(routes.signPart, { file, uploadId, key, partNumber })
          try {
            const answer = await fetch(url, { method: 'PUT', body: new Blob([bytes.subarray(start, end)]) })
            return { url, status: answer.status, etag: answer.headers.get('etag'), body: await answer.text() }
          } catch (error) {
            return { url, status: 0, etag: null, body: String(error) }
          }
        }),
      )
      const listed = await post(routes.listParts, { file, uploadId, key })
      if (complete)
        await post(routes.completeMultipartUpload, { file, uploadId, key, parts: seen.map((part, index) => ({ PartNumber: index + 1, ETag: part.etag })) })
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      return { key, seen, listed, sha256: [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('') }
    },
    { routes: S3_ROUTES, sizes, complete },
  )
}

function partRequest(part: PartSeen, partNumber: number): S3PartRequest {
  return { method: 'PUT', url: part.url, headers: {}, body: { start: 0, end: 0 }, partNumber }
}

describe('S3 infrastructure in Chromium', () => {
  it('a page signs and PUTs 2 parts cross-origin with fetch, reads their ETags (CORS exposes it), and the object has its SHA-256', async () => {
    const { backend, page } = await setUp()
    const protocol = s3(backend)
    const { key, seen, listed, sha256 } = await uploadFromPage(page, [5 * MiB, 1 * MiB], true)
    expect(seen.map((part) => [part.status, typeof part.etag])).toEqual([
      [200, 'string'],
      [200, 'string'],
    ])
    expect(listed).toEqual(seen.map((part, index) => ({ PartNumber: index + 1, ETag: part.etag, Size: [5 * MiB, 1 * MiB][index] })))
    const results = seen.map((part, index) =>
      protocol.readPartResponse(partRequest(part, index + 1), { status: part.status, headers: { etag: part.etag! }, body: '' }, Date.now()),
    )
    expect(results.map((result) => result.kind)).toEqual(['stored', 'stored'])
    expect(await backend.sha256Of(key)).toEqual({ sha256, size: 6 * MiB })
  })

  it('without ExposeHeaders: ETag the page cannot read the ETag, and the protocol says which CORS rule is missing', async () => {
    const { backend, page } = await setUp({ exposeETag: false })
    const { seen, listed } = await uploadFromPage(page, [1024], false)
    expect([seen[0]?.status, seen[0]?.etag]).toEqual([200, null])
    expect(listed).toHaveLength(1) // s3rver stored it: only the browser hides the header
    const result = s3(backend).readPartResponse(partRequest(seen[0]!, 1), { status: 200, headers: {}, body: '' }, Date.now())
    expect(result.kind === 'error' && result.error.message).toContain('ExposeHeaders: ETag')
  })

  const hourAgo = { expiresIn: 1, signingDate: () => new Date(Date.now() - 3_600_000) }

  it("an expired URL's 403 body is readable in the page (CORS headers on errors), and the protocol reads it as re-sign", async () => {
    const { backend, page } = await setUp({}, hourAgo)
    const { seen } = await uploadFromPage(page, [1024], false)
    expect(seen[0]?.status).toBe(403)
    expect(seen[0]?.body).toContain('Request has expired')
    const result = s3(backend).readPartResponse(partRequest(seen[0]!, 1), { status: 403, headers: {}, body: seen[0]!.body }, Date.now())
    expect(result.kind).toBe('re-sign')
  })

  it("with s3rver's own preflight (it checks expiry, S3 does not) an expired URL is a bare network error in the page", async () => {
    const { page } = await setUp({ preflight: 's3rver' }, hourAgo)
    const { seen } = await uploadFromPage(page, [1024], false)
    expect([seen[0]?.status, seen[0]?.body]).toEqual([0, 'TypeError: Failed to fetch'])
  })
})
