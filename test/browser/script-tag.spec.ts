import { createHash } from 'node:crypto'
import { expect, test } from './fixtures'

test('the script-tag bundle defines window.ResumableUpload', async ({ page, servers }) => {
  await page.goto(`${servers.pages.url}/script-tag.html`)
  const exported = await page.evaluate(() => {
    const api = (window as unknown as { ResumableUpload?: Record<string, unknown> }).ResumableUpload
    return api ? Object.keys(api).sort() : null
  })
  expect(exported).toEqual(expect.arrayContaining(['Upload', 'UploadError', 'ietfProtocol', 'xhrTransport', 'fetchTransport']))
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
