/**
 * The script tag's Azure file (issue 13) in Chromium, from the built dist/ (`npm test` runs the
 * browser specs after `npm run build`): a page with `<script src=".../resumable-upload.min.js">`
 * and `<script src=".../resumable-upload.azure.min.js">` gets `ResumableUpload.azureBlob` and
 * uploads a File to Azurite (test/support/azurite.ts, started here) through XHR, cross-origin, with
 * `new ResumableUpload.Upload(file, { protocol: ResumableUpload.azureBlob({ url }) })`. The
 * committed blob's SHA-256 equals the page's; the blocks went at most 2 at once; Put Block List
 * carried the File's type.
 */
import type { Request } from '@playwright/test'
import { startAzurite, type Azurite } from '../support/azurite'
import { expect, openWithScriptTags, test, type RandomFileWindow } from './script-tag-fixtures'

const MiB = 1024 * 1024

let azurite: Azurite

test.beforeAll(async () => {
  azurite = await startAzurite()
})

test.afterAll(async () => {
  await azurite?.close()
})

test('resumable-upload.azure.min.js adds ResumableUpload.azureBlob; a File goes up in 3 blocks, at most 2 at once, SHA-256 equal', async ({
  page,
  blankPage,
}) => {
  const fetched = await openWithScriptTags(page, { sibling: 'azure', name: 'azureBlob', origin: blankPage })
  // Put Block requests in flight, as the page sent them.
  const blocks = new Set<string>()
  let inFlight = 0
  let maxInFlight = 0
  const isPutBlock = (request: Request): boolean => request.method() === 'PUT' && /[?&]comp=block&/.test(request.url())
  page.on('request', (request) => {
    if (!isPutBlock(request)) return
    blocks.add(new URL(request.url()).searchParams.get('blockid')!)
    maxInFlight = Math.max(maxInFlight, ++inFlight)
  })
  const settled = (request: Request): void => {
    if (isPutBlock(request)) inFlight--
  }
  page.on('requestfinished', settled)
  page.on('requestfailed', settled)

  const name = 'script-tag.bin'
  const result = await page.evaluate(
    async ([size, sasUrl]) => {
      type Api = {
        Upload: new (file: File, options: object) => { start(): Promise<{ url: string }>; on(name: string, handler: (event: unknown) => void): void }
        azureBlob: (options: { url: () => Promise<string> }) => object
      }
      const api = (window as unknown as { ResumableUpload: Api }).ResumableUpload
      const { file, sha256 } = await (window as unknown as RandomFileWindow).randomFile(size, 'tag.bin', { type: 'image/png', lastModified: 1_700_000_000_000 })
      const upload = new api.Upload(file, { protocol: api.azureBlob({ url: async () => sasUrl }), chunkSize: 4 * 1024 * 1024, concurrency: 2 })
      let chunks = 0
      upload.on('chunk', () => chunks++)
      const { url } = await upload.start()
      return { url, sha256, chunks }
    },
    [10 * MiB, azurite.sasUrl(name)] as const,
  )

  expect(await azurite.sha256Of(name)).toEqual({ sha256: result.sha256, length: 10 * MiB })
  expect([result.chunks, blocks.size]).toEqual([3, 3])
  expect(maxInFlight).toBeGreaterThan(0)
  expect(maxInFlight).toBeLessThanOrEqual(2)
  expect(result.url).toBe(azurite.blobUrl(name))
  // Put Block List carried the File's type as the blob's Content-Type.
  expect((await azurite.service.getContainerClient('uploads').getBlockBlobClient(name).getProperties()).contentType).toBe('image/png')
  expect(fetched.slice(0, 2)).toEqual(['resumable-upload.min.js', 'resumable-upload.azure.min.js'])
})
