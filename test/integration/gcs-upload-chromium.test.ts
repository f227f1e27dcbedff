/**
 * `new Upload(file, { protocol: gcs({ sessionUrl }) })` in real Chromium (issue 13): the page
 * (fixtures/gcs-upload-page.ts, bundled with Vite here) is on one origin and uploads through XHR to
 * the GCS emulator on another (CORS: the emulator allows PUT and Content-Range, exposes Range), with
 * the default IndexedDB store. The emulator holds every chunk from the half on, so the page is
 * reloaded at 50% whatever the machine's speed; the new page makes the same File, and its Upload
 * finds the record, asks the session for its offset (`bytes *\/total`) and sends only the rest.
 * The stored object's SHA-256 equals the page's.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunResult } from './fixtures/gcs-upload-page'
import { startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator'
import { bundlePage, startChromiumSite, type ChromiumSite } from '../support/vitest-browser'

const MiB = 1024 * 1024
const PAGE = fileURLToPath(new URL('./fixtures/gcs-upload-page.ts', import.meta.url))

interface PageApi {
  GcsUploadPage: { run: (emulator: string, size: number, chunkSize: number, until?: number) => Promise<RunResult> }
}

let emulator: GcsEmulator
let site: ChromiumSite
let script: string

beforeAll(async () => {
  script = await bundlePage(PAGE, 'GcsUploadPage')
  emulator = await startGcsEmulator()
  site = await startChromiumSite('gcs')
}, 120_000)

afterAll(async () => {
  await site?.close()
  await emulator?.close()
})

describe('Upload with gcs() in Chromium', () => {
  it('a reload at 50%: a new Upload of the same File finds the IndexedDB record and resumes the session, no new session', async () => {
    const page = await site.browser.newPage()
    const size = 16 * MiB + 1234
    const chunk = 2 * MiB
    // Chunks from 8 MiB on are held until the reload, then dropped.
    const release = emulator.holdFrom(8 * MiB)
    try {
      await page.goto(site.url)
      await page.addScriptTag({ content: script })
      const run = (until?: number): Promise<RunResult> =>
        page.evaluate(([url, total, part, stop]) => (window as unknown as PageApi).GcsUploadPage.run(url!, total!, part!, stop), [
          emulator.url,
          size,
          chunk,
          until,
        ] as const)
      const first = await run(8 * MiB)
      expect([first.sessions, first.records]).toEqual([1, 1])
      const session = first.url!
      expect(new URL(session).origin).toBe(emulator.url)
      expect(emulator.session(session)?.persisted).toBe(8 * MiB)
      await page.reload()
      release()
      const from = emulator.requests.length
      await page.addScriptTag({ content: script })
      const second = await run()

      expect(emulator.sha256Of('gcs-reload.bin')).toBe(first.sha256)
      expect(emulator.objectBytes('gcs-reload.bin')?.length).toBe(size)
      expect(second).toMatchObject({ sessions: 0, url: session, firstAcked: 8 * MiB, records: 0, sha256: first.sha256 })
      expect(second.states.at(-1)).toBe('complete')
      const after = emulator.requests.slice(from).filter((request) => request.method === 'PUT')
      expect(after.map((request) => request.contentRange)).toEqual([
        `bytes */${size}`,
        ...[8, 10, 12, 14].map((at) => `bytes ${at * MiB}-${(at + 2) * MiB - 1}/${size}`),
        `bytes ${16 * MiB}-${size - 1}/${size}`,
      ])
      // The app's Authorization header never reached GCS.
      expect(emulator.requests.every((request) => request.authorization === undefined)).toBe(true)
    } finally {
      release()
      await page.close()
    }
  })
})
