/**
 * The script-tag bundle in Chromium (`dist/resumable-upload.min.js`, a classic script): it defines
 * `window.ResumableUpload` at once, and loads the sibling files of what a page uses only when the
 * page uses it (tus, the fetch transport…), from the bundle's own URL, in pages and in a classic
 * worker (importScripts). IETF uploads go to the reference server, tus uploads to `@tus/server`;
 * stored bytes are checked by length and SHA-256. A default IETF upload sends its first request
 * with every sibling file held back, and loads only files `npm run size` counts for it. A sibling
 * file that does not load fails the upload with a typed UploadError (default retries: no hang),
 * and a later upload loads it.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import type { Page } from '@playwright/test'
import { isDefaultModule } from '../../bench/size'
import { startTusServer, type TusTestServer } from '../support/tus-server'
import { expect, test } from './fixtures'

const SIZE = 3 * 1024 * 1024 + 77
const SIBLING = /\/dist\/(resumable-upload\.[^/]+\.min\.js)$/
const TUS_FILE = 'resumable-upload.tus.min.js'

let tus: TusTestServer

test.beforeAll(async () => {
  tus = await startTusServer({ checksum: true })
})
test.afterAll(async () => {
  await tus.close()
})

/** Names of the sibling files the page (or its workers) requested, in order. */
function siblingRequests(page: Page): string[] {
  const names: string[] = []
  page.on('request', (request) => {
    const match = SIBLING.exec(new URL(request.url()).pathname)
    if (match?.[1]) names.push(match[1])
  })
  return names
}

/** An upload of SIZE random bytes from the page: its URL, the bytes' SHA-256, or the error. */
interface PageOutcome {
  url?: string
  sha256: string
  code?: string
  message?: string
  isUploadError?: boolean
  server?: unknown
}

test('the script-tag bundle defines window.ResumableUpload, and nothing else is loaded with it', async ({ page, servers }) => {
  const requested = siblingRequests(page)
  await page.goto(`${servers.pages.url}/script-tag.html`)
  const exported = await page.evaluate(() => {
    const api = (window as unknown as { ResumableUpload?: Record<string, unknown> }).ResumableUpload
    return api ? Object.keys(api).sort() : null
  })
  expect(exported).toEqual(
    expect.arrayContaining(['Upload', 'UploadError', 'ietfProtocol', 'tusProtocol', 'xhrTransport', 'fetchTransport', 'memoryStore', 'indexedDbStore']),
  )
  expect(exported).not.toContain('_chunk')
  expect(requested).toEqual([])
})

test('a page posts a body to the reference server with fetch and reads the final response', async ({ page, servers, uploads }) => {
  await page.goto(`${servers.pages.url}/script-tag.html`)
  const body = 'hello from chromium, '.repeat(1000)
  const answer = await page.evaluate(
    async ({ endpoint, text }) => {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'upload-complete': '?1', 'upload-draft-interop-version': '8', 'content-type': 'text/plain' },
        body: text,
      })
      return {
        status: response.status,
        complete: response.headers.get('upload-complete'),
        location: response.headers.get('location'),
        json: (await response.json()) as { id: string; size: number; sha256: string },
      }
    },
    { endpoint: uploads.endpoint, text: body },
  )
  const sha256 = createHash('sha256').update(body).digest('hex')
  expect(answer.status).toBe(201)
  expect(answer.complete).toBe('?1')
  expect(answer.location).toContain('/uploads/')
  expect(answer.json).toMatchObject({ size: body.length, sha256 })
  const stored = await uploads.upload(answer.json.id)
  expect(stored).toMatchObject({ length: body.length, offset: body.length, complete: true, sha256 })
})

test('IETF then tus from one page: the tus file is requested for the tus upload only, both store the bytes', async ({ page, servers, uploads }) => {
  const requested = siblingRequests(page)
  await page.goto(`${servers.pages.url}/upload.html`)
  const upload = (endpoint: string, protocol: 'ietf' | 'tus'): Promise<PageOutcome> =>
    page.evaluate(
      async ({ endpoint, protocol, size }) => {
        const { blob, sha256 } = await window.makeRandomBlob(size)
        const { url } = await new window.ResumableUpload.Upload(blob, { endpoint, protocol }).start()
        return { url, sha256 }
      },
      { endpoint, protocol, size: SIZE },
    )
  const ietf = await upload(uploads.endpoint, 'ietf')
  expect(await uploads.upload(uploads.uploadIdFromUrl(ietf.url ?? ''))).toMatchObject({ length: SIZE, offset: SIZE, complete: true, sha256: ietf.sha256 })
  expect(requested).not.toContain(TUS_FILE)
  // `npm run size` counts every file a default upload loads in its by-the-end rows (bench/size.ts).
  for (const name of requested) {
    const { sources } = JSON.parse(await readFile(`dist/${name}.map`, 'utf8')) as { sources: string[] }
    expect(
      sources.some((source) => isDefaultModule(source)),
      `${name}: ${sources.join(', ')}`,
    ).toBe(true)
  }
  const afterIetf = requested.length
  const viaTus = await upload(tus.endpoint, 'tus')
  const stored = await tus.stored(tus.idOf(viaTus.url ?? ''))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: SIZE, sha256: viaTus.sha256 })
  expect(requested.slice(afterIetf)).toContain(TUS_FILE)
  // Each file once, and only files the build wrote.
  const built = await readdir('dist')
  expect(new Set(requested).size).toBe(requested.length)
  for (const name of requested) expect(built).toContain(name)
})

test('a default IETF upload sends its first request with every sibling file held back (what `npm run size` counts as before the first byte)', async ({
  page,
  servers,
  uploads,
}) => {
  // Sibling files wait until the upload's first request has gone; later ones pass at once.
  let released = false
  const held: Array<() => Promise<void>> = []
  await page.route(SIBLING, (route) => (released ? route.continue() : void held.push(() => route.continue())))
  await page.goto(`${servers.pages.url}/upload.html`)
  // Times out if the first request waits for a sibling file: then the size rows under-count.
  const firstRequest = page.waitForRequest((request) => request.url().startsWith(uploads.endpoint) && request.method() === 'POST', { timeout: 20_000 })
  const done = page.evaluate(
    async ({ endpoint, size }) => {
      const { blob, sha256 } = await window.makeRandomBlob(size)
      const { url } = await new window.ResumableUpload.Upload(blob, { endpoint }).start()
      return { url, sha256 }
    },
    { endpoint: uploads.endpoint, size: SIZE },
  )
  await firstRequest
  released = true
  await Promise.all(held.map((release) => release()))
  const outcome: PageOutcome = await done
  expect(await uploads.upload(uploads.uploadIdFromUrl(outcome.url ?? ''))).toMatchObject({ length: SIZE, offset: SIZE, complete: true, sha256: outcome.sha256 })
})

test('tusProtocol() from the script tag: a stand-in that loads tus (and what checksums read) before the first request', async ({ page, servers }) => {
  const requested = siblingRequests(page)
  await page.goto(`${servers.pages.url}/upload.html`)
  const outcome: PageOutcome = await page.evaluate(
    async ({ endpoint, size }) => {
      const { blob, sha256 } = await window.makeRandomBlob(size)
      const protocol = window.ResumableUpload.tusProtocol({ checksum: 'sha256' })
      const { url } = await new window.ResumableUpload.Upload(blob, { endpoint, protocol, chunkSize: 1024 * 1024 }).start()
      return { url, sha256, server: protocol.server }
    },
    { endpoint: tus.endpoint, size: SIZE },
  )
  const stored = await tus.stored(tus.idOf(outcome.url ?? ''))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: SIZE, sha256: outcome.sha256 })
  expect(tus.checksums.verified).toBeGreaterThanOrEqual(4)
  expect(outcome.server).toMatchObject({ extensions: expect.arrayContaining(['checksum']) })
  expect(requested).toContain(TUS_FILE)
})

// A 404, and a 200 whose script defines nothing (a stale CDN copy, an HTML fallback page). The
// failed Upload's start() again loads the file again: neither the loader nor the Upload keeps a failed load.
for (const [what, answer] of [
  ['is not found (404)', { status: 404, body: 'not here' }],
  ['runs but defines nothing', { status: 200, contentType: 'text/javascript', body: 'void 0' }],
] as const)
  test(`a sibling file that ${what}: a typed network UploadError, no hang; start() again loads it and completes`, async ({ page, servers }) => {
    const requested = siblingRequests(page)
    await page.route(`**/dist/${TUS_FILE}`, (route) => route.fulfill(answer))
    await page.goto(`${servers.pages.url}/upload.html`)
    const failed: PageOutcome = await page.evaluate(
      async ({ endpoint, size }) => {
        const { blob, sha256 } = await window.makeRandomBlob(size)
        const upload = new window.ResumableUpload.Upload(blob, { endpoint, protocol: 'tus' })
        ;(window as unknown as { pending: unknown }).pending = upload
        return upload.start().then(
          () => ({ sha256, code: 'none' }),
          (error: { code?: string; message?: string; cause?: { message?: string } }) => ({
            sha256,
            code: error.code,
            // The loader's own error, or a wrapper that keeps it as its cause.
            message: `${error.message} ${error.cause?.message ?? ''}`,
            isUploadError: error instanceof window.ResumableUpload.UploadError,
          }),
        )
      },
      { endpoint: tus.endpoint, size: SIZE },
    )
    expect(failed).toMatchObject({ code: 'network', isUploadError: true })
    expect(failed.message).toContain(TUS_FILE)
    expect(requested).toEqual([TUS_FILE])
    await page.unroute(`**/dist/${TUS_FILE}`)
    const url = await page.evaluate(async () => (await (window as unknown as { pending: { start(): Promise<{ url: string }> } }).pending.start()).url)
    const stored = await tus.stored(tus.idOf(url))
    expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: SIZE, sha256: failed.sha256 })
    // Requested again (the loader forgets a failed load); the default checksum also loads its reader.
    expect(requested.filter((name) => name === TUS_FILE)).toEqual([TUS_FILE, TUS_FILE])
  })

test('a bare package URL that a CDN redirects to the bundle: sibling files come from that package version’s dist/', async ({ page, servers }) => {
  const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string }
  const requested: string[] = []
  page.on('request', (request) => void requested.push(new URL(request.url()).pathname))
  // A CDN in the test: /cdn/resumable-upload redirects to the bundle, /cdn/resumable-upload@<version>/dist/ serves dist/.
  await page.route('**/cdn/resumable-upload', (route) => route.fulfill({ status: 302, headers: { location: '/dist/resumable-upload.min.js' } }))
  await page.route(`**/cdn/resumable-upload@${version}/dist/*`, (route) =>
    route.fulfill({ path: `dist/${new URL(route.request().url()).pathname.split('/').pop() ?? ''}` }),
  )
  await page.goto(`${servers.pages.url}/script-tag-bare-url.html`)
  const outcome: PageOutcome = await page.evaluate(
    async ({ endpoint, size }) => {
      const { blob, sha256 } = await window.makeRandomBlob(size)
      const { url } = await new window.ResumableUpload.Upload(blob, { endpoint, protocol: 'tus' }).start()
      return { url, sha256 }
    },
    { endpoint: tus.endpoint, size: SIZE },
  )
  const stored = await tus.stored(tus.idOf(outcome.url ?? ''))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: SIZE, sha256: outcome.sha256 })
  expect(requested).toContain(`/cdn/resumable-upload@${version}/dist/${TUS_FILE}`)
})

test('a classic worker (importScripts) loads the tus file from the bundle’s URL, not the worker’s', async ({ page, servers }) => {
  const requested = siblingRequests(page)
  await page.goto(`${servers.pages.url}/script-tag.html`)
  const outcome = await page.evaluate(
    ({ endpoint, size }) =>
      new Promise<PageOutcome>((resolve) => {
        const worker = new Worker('/script-tag-worker.js')
        worker.onmessage = ({ data }) => (worker.terminate(), resolve(data as PageOutcome))
        worker.onerror = (event) => resolve({ sha256: '', code: 'worker-error', message: event.message })
        worker.postMessage({ endpoint, protocol: 'tus', size })
      }),
    { endpoint: tus.endpoint, size: SIZE },
  )
  expect(outcome).toMatchObject({ type: 'done' })
  const stored = await tus.stored(tus.idOf(outcome.url ?? ''))
  expect({ length: stored?.length, sha256: stored?.sha256 }).toEqual({ length: SIZE, sha256: outcome.sha256 })
  expect(requested).toContain(TUS_FILE)
})
