/**
 * The script tag's GCS file (issue 13) in Chromium, from the built dist/ (`npm test` runs the
 * browser specs after `npm run build`): a page with `<script src=".../resumable-upload.min.js">`
 * and `<script src=".../resumable-upload.gcs.min.js">` gets `ResumableUpload.gcs` and uploads a
 * File through XHR, cross-origin, to the GCS emulator (test/support/gcs-emulator.ts, started here;
 * it answers CORS for any origin and exposes `Range`) with
 * `new ResumableUpload.Upload(file, { protocol: ResumableUpload.gcs({ sessionUrl, allowedOrigins }) })`.
 * The session is opened as an app's backend would (here by the test, `POST …?uploadType=resumable`).
 * The stored object's SHA-256 equals the page's, after 3 chunks.
 */
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator'
import { expect, openWithScriptTags, test, type RandomFileWindow } from './script-tag-fixtures'

const MiB = 1024 * 1024

let emulator: GcsEmulator

test.beforeAll(async () => {
  emulator = await startGcsEmulator()
})

test.afterAll(async () => {
  await emulator?.close()
})

test('resumable-upload.gcs.min.js adds ResumableUpload.gcs; a File goes up to the session in 3 chunks, SHA-256 equal', async ({ page, blankPage }) => {
  const fetched = await openWithScriptTags(page, { sibling: 'gcs', name: 'gcs', origin: blankPage })
  const name = 'script-tag.bin'
  const size = 5 * MiB + 1234
  const sessionUrl = await emulator.openSession(name, { size })
  const from = emulator.requests.length
  const result = await page.evaluate(
    async ([total, session, origin]) => {
      type Api = {
        Upload: new (file: File, options: object) => { start(): Promise<{ url: string }>; on(name: string, handler: (event: unknown) => void): void }
        gcs: (options: { sessionUrl: () => Promise<string>; allowedOrigins: string[] }) => object
      }
      const api = (window as unknown as { ResumableUpload: Api }).ResumableUpload
      const { file, sha256 } = await (window as unknown as RandomFileWindow).randomFile(total, 'tag.bin', { lastModified: 1_700_000_000_000 })
      let sessions = 0
      const sessionUrl = async (): Promise<string> => {
        sessions++
        return session
      }
      const protocol = api.gcs({ sessionUrl, allowedOrigins: [origin] })
      const upload = new api.Upload(file, { protocol, chunkSize: 2 * 1024 * 1024 })
      let chunks = 0
      upload.on('chunk', () => chunks++)
      const { url } = await upload.start()
      return { url, sha256, chunks, sessions }
    },
    [size, sessionUrl, emulator.url] as const,
  )

  expect(emulator.sha256Of(name)).toBe(result.sha256)
  expect(emulator.objectBytes(name)?.length).toBe(size)
  expect([result.chunks, result.sessions, result.url]).toEqual([3, 1, sessionUrl])
  const puts = emulator.requests.slice(from).filter((request) => request.method === 'PUT' && /^bytes \d+-\d+\//.test(request.contentRange ?? ''))
  expect(puts.map((request) => request.contentRange)).toEqual([
    `bytes 0-${2 * MiB - 1}/${size}`,
    `bytes ${2 * MiB}-${4 * MiB - 1}/${size}`,
    `bytes ${4 * MiB}-${size - 1}/${size}`,
  ])
  expect(fetched.slice(0, 2)).toEqual(['resumable-upload.min.js', 'resumable-upload.gcs.min.js'])
})
