/**
 * protocol 'tus' in real Chromium (XHR) against `@tus/server` + `@tus/file-store`, behind the
 * cutting proxy on another origin than the page (CORS): a 64 MiB Blob in 8 MiB chunks with cuts
 * mid-chunk, and a reload at 50% that resumes from IndexedDB. Bytes checked by length and SHA-256
 * on disk.
 */
import { startCuttingProxy, type CuttingProxy, type ProxyFault } from '../support/cutting-proxy'
import { randomData, tempDir, writeTestFile } from '../support/files'
import { startTusServer, type TusTestServer } from '../support/tus-server'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
let tus: TusTestServer
let proxy: CuttingProxy

test.beforeAll(async () => {
  tus = await startTusServer()
  proxy = await startCuttingProxy(tus.url)
})
test.afterAll(async () => {
  await proxy.close()
  await tus.close()
})

test.beforeEach(async ({ page, servers }) => {
  proxy.clear()
  await page.goto(`${servers.pages.url}/upload.html`)
})

test('tus, xhr, 8 MiB chunks, 64 MiB: four cuts inside chunks; completes with the same SHA-256', async ({ page }) => {
  const cuts: ProxyFault[] = []
  await page.exposeFunction('cutNextRequest', (afterBytes: number) => {
    cuts.push(proxy.cut(afterBytes))
  })
  const outcome = await page.evaluate(
    async ({ endpoint, MiB }) => {
      const { blob, sha256 } = await window.makeRandomBlob(64 * MiB)
      const upload = new window.ResumableUpload.Upload(blob, {
        endpoint,
        protocol: 'tus',
        chunkSize: 8 * MiB,
        metadata: { note: 'from chromium ✓' },
        retry: { retries: 8, minTimeout: 50, maxTimeout: 500 },
        headers: window.cutPatches([1, 3, 4, 6], 8 * MiB),
      })
      const events = window.recordEvents(upload)
      const { url } = await upload.start()
      return { url, sha256, events }
    },
    { endpoint: `${proxy.url}/files/`, MiB },
  )
  expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1, 1])
  const stored = await tus.stored(tus.idOf(outcome.url))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: 64 * MiB, sha256: outcome.sha256 })
  expect(stored?.metadata).toEqual({ note: 'from chromium ✓' })
  // Each cut ends in a HEAD (after a retry, or after the 409 to a PATCH Chromium silently re-sent
  // on the reset connection), and the next PATCH starts exactly at the server's offset.
  const heads = proxy.requests.flatMap((r, i) =>
    r.method === 'HEAD' ? [[r.responseHeaders?.['upload-offset'], proxy.requests[i + 1]?.headers['upload-offset']]] : [],
  )
  expect(heads.length).toBeGreaterThanOrEqual(4)
  for (const [told, sent] of heads) expect(sent).toBe(told)
  expect(outcome.events.filter((e) => e.name === 'url').map((e) => e.event.via)).toEqual(['created'])
  // Discovery, then an empty creation (browsers see no 1xx), then PATCHes; no checksum (not listed).
  const sent = proxy.requests.filter((r) => r.headers['access-control-request-method'] === undefined)
  expect(sent.slice(0, 2).map((r) => [r.method, r.bodyBytes, r.status])).toEqual([
    ['OPTIONS', 0, 204],
    ['POST', 0, 201],
  ])
  expect(sent.some((r) => r.headers['upload-checksum'] !== undefined)).toBe(false)
  // Re-sent bytes: beyond the file's size, at most one chunk per cut (a PATCH Chromium silently
  // re-sends on a reset connection gets 409 and the Upload asks for the offset).
  const forwarded = sent.reduce((sum, r) => sum + r.bodyBytes, 0)
  expect(forwarded - 64 * MiB).toBeLessThanOrEqual(4 * 8 * MiB)
})

test('tus: a reload at 50% resumes from IndexedDB when the same file is chosen again', async ({ page, servers }) => {
  const data = randomData(32 * MiB)
  const dir = await tempDir()
  try {
    const path = await writeTestFile(dir.dir, 'clip.bin', data)
    await page.goto(`${servers.pages.url}/persist.html`)
    const run = (holdAtHalf: boolean): Promise<{ url: string; vias: string[] }> =>
      page.evaluate(
        async ({ endpoint, MiB, holdAtHalf }) => {
          const file = (document.getElementById('file') as HTMLInputElement).files?.[0] as File
          const upload = new window.ResumableUpload.Upload(file, {
            endpoint,
            protocol: 'tus',
            chunkSize: 4 * MiB,
            // The tab "closes" at 50%: the request for the second half is never sent.
            headers: async (request) => {
              if (holdAtHalf && request.method === 'PATCH' && (request.body?.start ?? 0) >= 16 * MiB) {
                ;(window as unknown as { halfway: boolean }).halfway = true
                await new Promise(() => undefined)
              }
              return {}
            },
          })
          const vias: string[] = []
          upload.on('url', ({ via }) => vias.push(via))
          const { url } = await upload.start()
          return { url, vias }
        },
        { endpoint: `${tus.url}/files/`, MiB, holdAtHalf },
      )
    await page.setInputFiles('#file', path)
    void run(true).catch(() => undefined)
    await page.waitForFunction(() => (window as unknown as { halfway?: boolean }).halfway === true)
    await page.reload()
    await page.setInputFiles('#file', path)
    const outcome = await run(false)
    expect(outcome.vias).toEqual(['stored'])
    const stored = await tus.stored(tus.idOf(outcome.url))
    expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: data.bytes.length, sha256: data.sha256 })
  } finally {
    await dir.remove()
  }
})
