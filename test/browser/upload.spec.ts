/**
 * The Upload in real Chromium (XHR by default) against the reference server on another origin:
 * cut connections, chunkSize Infinity, offline/online. Bytes checked by SHA-256 on the server.
 */
import type { RecordedEvent } from './page-globals'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024

test.beforeEach(async ({ page, servers }) => {
  await page.goto(`${servers.pages.url}/upload.html`)
})

function acked(events: RecordedEvent[]): number[] {
  return events.filter((e) => e.name === 'progress').map((e) => Number(e.event.bytesAcked))
}

test('xhr, 8 MiB chunks, 64 MiB: five cuts inside chunks; completes; re-sends at most a chunk per cut', async ({ page, uploads }) => {
  const cuts: Array<{ hits: number }> = []
  await page.exposeFunction('cutNextRequest', (afterBytes: number) => {
    cuts.push(uploads.faults.add({ type: 'destroy', afterBytes, match: { kind: 'append' } }))
  })
  const outcome = await page.evaluate(
    async ({ endpoint, MiB }) => {
      const { blob, sha256 } = await window.makeRandomBlob(64 * MiB)
      const upload = new window.ResumableUpload.Upload(blob, {
        endpoint,
        chunkSize: 8 * MiB,
        retry: { retries: 8, minTimeout: 50, maxTimeout: 500 },
        headers: window.cutPatches([2, 4, 5, 7, 9], 8 * MiB),
      })
      const events = window.recordEvents(upload)
      const { url } = await upload.start()
      return { url, sha256, events, transport: 'xhr' }
    },
    { endpoint: uploads.endpoint, MiB },
  )
  expect(cuts.map((fault) => fault.hits)).toEqual([1, 1, 1, 1, 1])
  const id = uploads.uploadIdFromUrl(outcome.url)
  expect(await uploads.upload(id)).toMatchObject({ length: 64 * MiB, offset: 64 * MiB, complete: true, sha256: outcome.sha256 })
  // Re-sent bytes: all that reached the server beyond the file's size, at most one chunk per cut.
  // (Chromium may silently re-send a PATCH whose reused connection was reset; the server answers
  // that copy with 409 and the Upload continues from the offset it names.)
  const received = uploads.stats.perUpload.get(id)?.bodyBytesReceived ?? 0
  expect(received - 64 * MiB).toBeLessThanOrEqual(5 * 8 * MiB)
  const ackedBytes = acked(outcome.events)
  expect(ackedBytes).toEqual([...ackedBytes].sort((a, b) => a - b))
  expect(ackedBytes.at(-1)).toBe(64 * MiB)
  expect(outcome.events.filter((e) => e.name === 'url').map((e) => e.event.via)).toEqual(['created'])
})

test('chunkSize Infinity in a browser: the URL is known before any byte is sent, and a cut resumes', async ({ page, uploads }) => {
  uploads.faults.add({ type: 'destroy', afterBytes: 10 * MiB + 12345, match: { kind: 'append' } })
  const outcome = await page.evaluate(
    async ({ endpoint, MiB }) => {
      const { blob, sha256 } = await window.makeRandomBlob(24 * MiB)
      const patches: Array<{ offset: string | undefined; start: number; end: number }> = []
      const upload = new window.ResumableUpload.Upload(blob, {
        endpoint,
        chunkSize: Infinity,
        retry: { minTimeout: 50 },
        headers: (request) => {
          if (request.method === 'PATCH')
            patches.push({ offset: request.headers['upload-offset'], start: request.body?.start ?? 0, end: request.body?.end ?? 0 })
          return {}
        },
      })
      const events = window.recordEvents(upload)
      const { url } = await upload.start()
      return { url, sha256, events, patches }
    },
    { endpoint: uploads.endpoint, MiB },
  )
  const id = uploads.uploadIdFromUrl(outcome.url)
  expect(await uploads.upload(id)).toMatchObject({ length: 24 * MiB, complete: true, sha256: outcome.sha256 })
  const firstUrl = outcome.events.findIndex((e) => e.name === 'url')
  const firstByte = outcome.events.findIndex((e) => e.name === 'progress' && Number(e.event.bytesSent) > 0)
  expect(firstUrl).toBeGreaterThanOrEqual(0)
  expect(firstUrl).toBeLessThan(firstByte)
  // The Upload sent the file once, then, after the cut, only what the server did not have.
  const cut = 10 * MiB + 12345
  expect(outcome.patches).toEqual([
    { offset: '0', start: 0, end: 24 * MiB },
    { offset: String(cut), start: cut, end: 24 * MiB },
  ])
})

test('offline pauses retries and online resumes at once', async ({ page, context, uploads }) => {
  await page.exposeFunction('goOffline', () => context.setOffline(true))
  const running = page.evaluate(
    async ({ endpoint, MiB }) => {
      const { blob, sha256 } = await window.makeRandomBlob(6 * MiB)
      let patches = 0
      const upload = new window.ResumableUpload.Upload(blob, {
        endpoint,
        chunkSize: MiB,
        // Two retries 10 ms apart would be spent at once if being offline did not hold them.
        retry: { retries: 2, minTimeout: 10, maxTimeout: 10 },
        headers: async (request) => {
          if (request.method === 'PATCH' && ++patches === 3) await window.goOffline?.()
          return {}
        },
      })
      const events = window.recordEvents(upload)
      ;(window as unknown as { events: typeof events }).events = events
      const { url } = await upload.start()
      return { url, sha256, events }
    },
    { endpoint: uploads.endpoint, MiB },
  )
  await page.waitForFunction(() => (window as unknown as { events?: RecordedEvent[] }).events?.some((e) => e.name === 'retry'))
  // While offline nothing more happens: a bounded look for activity that must not come.
  await page.waitForTimeout(1500)
  const whileOffline = await page.evaluate(() => (window as unknown as { events: RecordedEvent[] }).events.filter((e) => e.name === 'retry').length)
  expect(whileOffline).toBe(1)
  await context.setOffline(false)
  const outcome = await running
  const id = uploads.uploadIdFromUrl(outcome.url)
  expect(await uploads.upload(id)).toMatchObject({ length: 6 * MiB, complete: true, sha256: outcome.sha256 })
  expect(outcome.events.filter((e) => e.name === 'retry')).toHaveLength(1)
})

test('the fetch transport uploads too', async ({ page, uploads }) => {
  const outcome = await page.evaluate(
    async ({ endpoint, MiB }) => {
      const { blob, sha256 } = await window.makeRandomBlob(3 * MiB + 3)
      const { url } = await new window.ResumableUpload.Upload(blob, { endpoint, chunkSize: MiB, transport: 'fetch' }).start()
      return { url, sha256 }
    },
    { endpoint: uploads.endpoint, MiB },
  )
  expect(await uploads.upload(uploads.uploadIdFromUrl(outcome.url))).toMatchObject({ length: 3 * MiB + 3, complete: true, sha256: outcome.sha256 })
})
