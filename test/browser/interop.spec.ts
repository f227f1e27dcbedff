/**
 * The interop matrix in Chromium (XHR): interop versions 3, 5, 6, 7 and 8 through the
 * `interopVersion` option, against the reference server on another origin, which speaks 3–6 as
 * tusd does. Each run is cut by the server, once with 1 MiB chunks and once in one request
 * (`chunkSize: Infinity`). Stored bytes are compared by SHA-256, and every request the server got
 * is checked for the version header, the version's completion field, and no repeated Upload-Length.
 */
import { recordRequests } from '../support/requests'
import { interopViolations } from '../support/interop-requests'
import { expect, test } from './fixtures'

const MiB = 1024 * 1024
const VERSIONS = [3, 5, 6, 7, 8]

test.beforeEach(async ({ page, servers }) => {
  await page.goto(`${servers.pages.url}/upload.html`)
})

for (const version of VERSIONS) {
  for (const chunkSize of [MiB, Infinity]) {
    const shape = chunkSize === Infinity ? 'one PATCH' : '1 MiB chunks'
    test(`xhr, interop ${version}, ${shape}, 3 MiB: a cut inside a PATCH resumes; bytes and headers right`, async ({ page, uploads }) => {
      const cut = uploads.faults.add({ type: 'destroy', afterBytes: 1_300_000, match: { kind: 'append' } })
      const log = recordRequests(uploads)
      const outcome = await page.evaluate(
        async ({ endpoint, version, chunkSize, size }) => {
          const { blob, sha256 } = await window.makeRandomBlob(size)
          const upload = new window.ResumableUpload.Upload(blob, {
            endpoint,
            interopVersion: version,
            chunkSize: chunkSize ?? Infinity,
            retry: { retries: 6, minTimeout: 20, maxTimeout: 200 },
          })
          const events = window.recordEvents(upload)
          const { url } = await upload.start()
          return { url, sha256, events }
        },
        // Infinity does not survive the trip into the page: null stands for it.
        { endpoint: uploads.endpoint, version, chunkSize: chunkSize === Infinity ? null : chunkSize, size: 3 * MiB + 17 },
      )
      log.stop()
      expect(cut.hits).toBe(1)
      const stored = await uploads.upload(uploads.uploadIdFromUrl(outcome.url))
      expect(stored).toMatchObject({ offset: 3 * MiB + 17, complete: true, sha256: outcome.sha256, interopVersion: version })
      expect(interopViolations(log.requests, version)).toEqual([])
      // The cut PATCH was followed by more than the plan's PATCHes: the Upload resumed (after a HEAD,
      // or after the 409 that answers Chromium's own silent re-send on a reset connection).
      const planned = chunkSize === Infinity ? 1 : Math.ceil((3 * MiB + 17) / chunkSize)
      const resumed = log.requests.filter((request) => request.kind === 'append' || request.kind === 'head').length
      expect(resumed).toBeGreaterThan(planned)
      expect(outcome.events.filter((e) => e.name === 'url').map((e) => e.event.via)).toEqual(['created'])
    })
  }
}

test('xhr: a server that does not speak the version fails with version-unsupported naming the option', async ({ page, uploads }) => {
  // What tusd answers to a creation at interop 7 or 8 (it speaks 3–6).
  uploads.faults.add({
    type: 'status',
    status: 412,
    body: 'ERR_UNSUPPORTED_VERSION: missing, invalid or unsupported Tus-Resumable header\n',
    match: { kind: 'create' },
  })
  const error = await page.evaluate(
    async ({ endpoint }) => {
      const upload = new window.ResumableUpload.Upload(new Blob(['abc']), { endpoint, interopVersion: 8 })
      try {
        await upload.start()
        return undefined
      } catch (failure) {
        const { code, status, message, body } = failure as { code: string; status: number; message: string; body?: string }
        return { code, status, message, body }
      }
    },
    { endpoint: uploads.endpoint },
  )
  expect(error).toMatchObject({ code: 'version-unsupported', status: 412 })
  expect(error?.message).toContain('`interopVersion`')
  expect(error?.body).toContain('Tus-Resumable')
})
