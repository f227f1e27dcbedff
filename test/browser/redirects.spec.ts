/**
 * Redirects in Chromium. fetch never follows one (`redirect: 'manual'`): a 307 or 308 on
 * creation, HEAD or PATCH fails with `redirect-refused` and the other origin receives nothing.
 * XHR follows redirects by itself; its answer from the other origin is never trusted: the upload
 * fails with `redirect-refused`, never reports success.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, test } from './fixtures'

const KiB = 1024

/** Another origin that accepts anything from anywhere (CORS wide open) and claims success. */
interface Elsewhere {
  url: string
  reached: Array<{ method: string; apiKey: boolean }>
  close(): Promise<void>
}

async function startElsewhere(): Promise<Elsewhere> {
  const reached: Elsewhere['reached'] = []
  const server = http.createServer((req, res) => {
    reached.push({ method: req.method ?? '', apiKey: req.headers['x-api-key'] !== undefined })
    req.resume()
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'POST, PATCH, HEAD, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
      'Access-Control-Expose-Headers': 'Location, Upload-Offset, Upload-Complete, Upload-Draft-Interop-Version, Upload-Limit',
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end()
    // What a hostile server says: "all of it is here, done".
    res.writeHead(201, { ...cors, Location: '/taken', 'Upload-Offset': String(256 * KiB), 'Upload-Complete': '?1', 'Upload-Draft-Interop-Version': '8' }).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reached,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

let elsewhere: Elsewhere
test.beforeAll(async () => {
  elsewhere = await startElsewhere()
})
test.afterAll(async () => {
  await elsewhere.close()
})
test.beforeEach(async ({ page, servers }) => {
  elsewhere.reached.length = 0
  // The pages' origin may use the upload server (idempotent if the fixture already allows it).
  servers.uploads.allowCorsOrigin(servers.pages.url)
  await page.goto(`${servers.pages.url}/upload.html`)
})

type Stage = 'create' | 'head' | 'append'
const cases = (['fetch', 'xhr'] as const).flatMap((transport) =>
  ([307, 308] as const).flatMap((status) => (['create', 'head', 'append'] as Stage[]).map((stage) => ({ transport, status, stage }))),
)

for (const { transport, status, stage } of cases) {
  test(`${transport}: a ${status} on ${stage} to another origin fails with redirect-refused and never reports success`, async ({ page, uploads }) => {
    let url: string | undefined
    if (stage === 'head') {
      // An upload whose first PATCH is refused: its URL is then resumed with a HEAD.
      uploads.faults.add({ type: 'status', status: 400, match: { kind: 'append' } })
      url = await page.evaluate(
        async ({ endpoint, transport }) => {
          const { blob } = await window.makeRandomBlob(256 * 1024)
          const upload = new window.ResumableUpload.Upload(blob, { endpoint, transport, chunkSize: 128 * 1024, retry: { retries: 0 } })
          let url: string | undefined
          upload.on('url', (event) => (url = event.url))
          await upload.start().catch(() => undefined)
          return url
        },
        { endpoint: uploads.endpoint, transport },
      )
      uploads.faults.clear()
      expect(url).toBeDefined()
    }
    uploads.faults.add({ type: 'status', status, match: { kind: stage } })
    uploads.faults.add({ type: 'headers', set: { Location: `${elsewhere.url}/steal` }, match: { kind: stage } })
    const outcome = await page.evaluate(
      async ({ endpoint, url, transport }) => {
        const { blob } = await window.makeRandomBlob(256 * 1024)
        const where = url === undefined ? { endpoint } : { url }
        const upload = new window.ResumableUpload.Upload(blob, {
          ...where,
          transport,
          chunkSize: 128 * 1024,
          headers: { 'x-api-key': 'secret-key' },
          retry: { retries: 2, minTimeout: 1, maxTimeout: 5 },
        })
        const events = window.recordEvents(upload)
        const result = await upload.start().then(
          () => 'success',
          (error: { code: string }) => error.code,
        )
        return { result, events, state: upload.state }
      },
      { endpoint: uploads.endpoint, url, transport },
    )
    expect(outcome.result).toBe('redirect-refused')
    expect(outcome.state).toBe('failed')
    expect(outcome.events.filter((e) => e.name === 'error').map((e) => e.event.code)).toEqual(['redirect-refused'])
    expect(outcome.events.filter((e) => e.name === 'state').map((e) => e.event.state ?? e.event)).not.toContain('complete')
    if (transport === 'fetch') expect(elsewhere.reached).toEqual([])
    // XHR: the browser itself followed the redirect (with a preflight), so the other origin was
    // reached; the answer it gave was not trusted.
    else expect(elsewhere.reached.length).toBeGreaterThan(0)
  })
}
