/**
 * The script tag's S3 file (issue 12) in real Chromium: a page with
 * `<script src=".../dist/resumable-upload.min.js">` and `<script src=".../dist/resumable-upload.s3.min.js">`
 * (the built dist/, served by route interception on the test backend's origin) gets
 * `ResumableUpload.s3` and uploads a File to s3rver through XHR with
 * `new ResumableUpload.Upload(file, { protocol: ResumableUpload.s3(callbacks) })`; the stored
 * object's SHA-256 equals the page's. Needs `npm run build` first.
 */
import { type Browser } from '@playwright/test'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3_ROUTES } from '../support/s3-backend-client'
import { createS3Backend, type S3TestBackend } from '../support/s3-backend'
import { serveS3Backend, type S3BackendEndpoint } from '../support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../support/s3-server'
import { launchChromium } from '../support/vitest-browser'

const MiB = 1024 * 1024
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

let browser: Browser
let server: S3TestServer
let backend: S3TestBackend
let endpoint: S3BackendEndpoint

beforeAll(async () => {
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

describe('script tag: resumable-upload.s3.min.js', () => {
  it.skipIf(!existsSync(`${DIST}resumable-upload.s3.min.js`))('adds ResumableUpload.s3; a File goes up in 3 parts, 2 at once, SHA-256 equal', async () => {
    const page = await browser.newPage()
    const fetched: string[] = []
    try {
      await page.route(`${endpoint.url.replace(/\/$/, '')}/dist/*`, (route) => {
        const name = new URL(route.request().url()).pathname.slice('/dist/'.length)
        fetched.push(name)
        return route.fulfill({ path: `${DIST}${name}`, contentType: 'text/javascript' })
      })
      await page.goto(endpoint.url)
      await page.addScriptTag({ url: '/dist/resumable-upload.min.js' })
      await page.addScriptTag({ url: '/dist/resumable-upload.s3.min.js' })
      // The S3 file defines itself once the sibling files it shares with the bundle's later code have loaded.
      await page.waitForFunction(() => typeof (window as unknown as { ResumableUpload: { s3?: unknown } }).ResumableUpload.s3 === 'function')
      const result = await page.evaluate(
        async ([size, routes]) => {
          type Api = {
            Upload: new (file: File, options: object) => { start(): Promise<{ url: string }>; on(name: string, handler: (event: unknown) => void): void }
            s3: (callbacks: object) => object
          }
          const api = (window as unknown as { ResumableUpload: Api }).ResumableUpload
          const post = async (route: string, file: unknown, options: Record<string, unknown>) => {
            const { signal, ...json } = options
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
            createMultipartUpload: (file: unknown, signal: AbortSignal) => post(routes!.createMultipartUpload, file, { signal }),
            signPart: (file: unknown, options: Record<string, unknown>) => post(routes!.signPart, file, options),
            listParts: (file: unknown, options: Record<string, unknown>) => post(routes!.listParts, file, options),
            completeMultipartUpload: (file: unknown, options: Record<string, unknown>) => {
              key = options['key'] as string
              return post(routes!.completeMultipartUpload, file, options)
            },
            abortMultipartUpload: async (file: unknown, options: Record<string, unknown>) => {
              await post(routes!.abortMultipartUpload, file, options)
            },
          }
          const bytes = new Uint8Array(size as number)
          for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)))
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
          const sha256 = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')
          const file = new File([bytes], 'tag.bin', { lastModified: 1_700_000_000_000 })
          const upload = new api.Upload(file, { protocol: api.s3(callbacks), chunkSize: 5 * 1024 * 1024, concurrency: 2 })
          let chunks = 0
          upload.on('chunk', () => chunks++)
          const { url } = await upload.start()
          return { key, url, sha256, chunks }
        },
        [12 * MiB, S3_ROUTES] as const,
      )
      expect(await backend.sha256Of(result.key)).toEqual({ sha256: result.sha256, size: 12 * MiB })
      expect(result.chunks).toBe(3)
      expect(new URL(result.url).origin).toBe(server.endpoint)
      expect(fetched.slice(0, 2)).toEqual(['resumable-upload.min.js', 'resumable-upload.s3.min.js'])
    } finally {
      await page.close()
    }
  })
})
