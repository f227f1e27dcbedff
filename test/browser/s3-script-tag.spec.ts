/**
 * The script tag's S3 file (issue 12) in Chromium, from the built dist/ (`npm test` runs the
 * browser specs after `npm run build`): a page with `<script src=".../resumable-upload.min.js">`
 * and `<script src=".../resumable-upload.s3.min.js">` gets `ResumableUpload.s3` and uploads a File
 * to s3rver (test/support/s3-server.ts, started here) through XHR with
 * `new ResumableUpload.Upload(file, { protocol: ResumableUpload.s3(callbacks) })`, signing through
 * the presigning backend (s3-backend-http.ts, started here; it serves the page and, by route
 * interception, dist/ on its origin). The stored object's SHA-256 equals the page's. A signPart
 * that throws fails with the typed `callback-failed` UploadError of the bundle.
 */
import { expect, test, type Page } from '@playwright/test'
import { S3_ROUTES } from '../support/s3-backend-client'
import { createS3Backend, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend, type S3BackendEndpoint } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'
import { openWithScriptTags, type RandomFileWindow } from './script-tag-fixtures'

const MiB = 1024 * 1024

let server: S3TestServer
let backend: S3TestBackend
let endpoint: S3BackendEndpoint

test.beforeAll(async () => {
  server = await startS3Server()
  backend = createS3Backend(server)
  endpoint = await serveS3Backend(backend)
})

test.afterAll(async () => {
  await endpoint?.close()
  await server?.stop()
})

/** Opens the backend's page with both script tags; resolves once `ResumableUpload.s3` is defined. Answers the dist/ files requested, in order. */
function openWithS3Tags(page: Page): Promise<string[]> {
  return openWithScriptTags(page, { sibling: 's3', name: 's3', origin: endpoint.url })
}

/** What the page's upload answers. */
interface PageUpload {
  key: string
  url?: string
  sha256: string
  chunks: number
  error?: { code: string; message: string; retryable: boolean; isUploadError: boolean }
}

/** Uploads `size` random bytes from the page in 5 MiB parts, 2 at once, through the backend's routes; `failSigning` makes signPart throw. */
function uploadFromPage(page: Page, size: number, failSigning: boolean): Promise<PageUpload> {
  return page.evaluate(
    async ([total, routes, fail]) => {
      type Api = {
        Upload: new (file: File, options: object) => { start(): Promise<{ url: string }>; on(name: string, handler: (event: unknown) => void): void }
        UploadError: new (...args: never[]) => Error
        s3: (callbacks: object) => object
      }
      const api = (window as unknown as { ResumableUpload: Api }).ResumableUpload
      const post = async (route: string, file: unknown, options: Record<string, unknown>) => {
        const { signal, body: _body, ...json } = options
        const response = await fetch(route, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ file, ...json }),
          signal: signal as AbortSignal,
        })
        if (!response.ok) throw new Error(`backend ${response.status}`)
        return (await response.json()) as unknown
      }
      let key = ''
      const callbacks = {
        createMultipartUpload: (file: unknown, signal: AbortSignal) => post(routes.createMultipartUpload, file, { signal }),
        signPart: (file: unknown, options: Record<string, unknown>) => {
          if (fail) throw new Error('the signing route is down')
          return post(routes.signPart, file, options)
        },
        listParts: (file: unknown, options: Record<string, unknown>) => post(routes.listParts, file, options),
        completeMultipartUpload: (file: unknown, options: Record<string, unknown>) => {
          key = options['key'] as string
          return post(routes.completeMultipartUpload, file, options)
        },
        abortMultipartUpload: async (file: unknown, options: Record<string, unknown>) => {
          await post(routes.abortMultipartUpload, file, options)
        },
      }
      const { file, sha256 } = await (window as unknown as RandomFileWindow).randomFile(total, 'tag.bin', { lastModified: Date.now() })
      const retry = fail ? { retries: 1, minTimeout: 1, maxTimeout: 1 } : undefined
      const upload = new api.Upload(file, { protocol: api.s3(callbacks), chunkSize: 5 * 1024 * 1024, concurrency: 2, ...(retry && { retry }) })
      let chunks = 0
      upload.on('chunk', () => chunks++)
      try {
        const { url } = await upload.start()
        return { key, url, sha256, chunks }
      } catch (caught) {
        const error = caught as { code: string; message: string; retryable: boolean }
        const { code, message, retryable } = error
        return { key, sha256, chunks, error: { code, message, retryable, isUploadError: caught instanceof api.UploadError } }
      }
    },
    [size, S3_ROUTES, failSigning] as const,
  )
}

test('resumable-upload.s3.min.js adds ResumableUpload.s3; a File goes up in 3 parts, at most 2 at once, SHA-256 equal', async ({ page }) => {
  const fetched = await openWithS3Tags(page)
  const from = server.partRequests.length
  const result = await uploadFromPage(page, 12 * MiB, false)

  expect(result.error).toBeUndefined()
  expect(await backend.sha256Of(result.key)).toEqual({ sha256: result.sha256, size: 12 * MiB })
  expect(result.chunks).toBe(3)
  expect(new URL(result.url!).origin).toBe(server.endpoint)
  const parts = server.partRequests.slice(from)
  expect(parts.filter((part) => part.status === 200).map((part) => part.partNumber)).toEqual(expect.arrayContaining([1, 2, 3]))
  expect(Math.max(...parts.map((part) => part.inFlight))).toBeLessThanOrEqual(2)
  expect(fetched.slice(0, 2)).toEqual(['resumable-upload.min.js', 'resumable-upload.s3.min.js'])
})

test('a signPart that throws fails with the typed callback-failed UploadError (retried once), and nothing is stored', async ({ page }) => {
  await openWithS3Tags(page)
  const from = server.partRequests.length
  const completes = backend.calls.completeMultipartUpload
  const result = await uploadFromPage(page, 6 * MiB, true)

  expect(result.error).toEqual({ code: 'callback-failed', message: 'signPart failed: the signing route is down', retryable: true, isUploadError: true })
  expect([server.partRequests.length - from, backend.calls.completeMultipartUpload - completes, result.chunks]).toEqual([0, 0, 0])
})
