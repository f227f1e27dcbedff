// The GCS emulator (test/support/gcs-emulator.ts) honours the documented behaviours of the JSON
// API resumable upload, checked with plain fetch: session initiation, 308 without Range at 0,
// partial persistence in whole 256 KiB units, status queries, 400 on a wrong start, the final
// 200/201 with the object JSON, expiry (404/410), cancel (499), CORS.
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { randomData, sha256 } from '../support/files'
import { GCS_UNIT as U, startGcsEmulator, type GcsEmulator, type GcsEmulatorOptions } from '../support/gcs-emulator'

let emulator: GcsEmulator
const start = async (options: GcsEmulatorOptions = {}): Promise<void> => {
  await emulator.close()
  emulator = await startGcsEmulator(options)
}
beforeEach(async () => {
  emulator = await startGcsEmulator()
})
afterEach(async () => {
  await emulator.close()
})

const put = (url: string, range: string | undefined, body?: Buffer): Promise<Response> =>
  fetch(url, {
    method: 'PUT',
    headers: range === undefined ? {} : { 'content-range': range },
    body: body === undefined ? new Uint8Array(0) : new Uint8Array(body),
    redirect: 'manual',
  })

describe('GCS emulator', () => {
  it('opens a session (200 + Location with upload_id); the status query of a fresh session is a 308 without Range', async () => {
    const session = await emulator.openSession('a.bin', { size: 5 * U })
    expect(session).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/storage\/v1\/b\/uploads\/o\?uploadType=resumable&name=a\.bin&upload_id=[0-9a-f]{32}$/)
    const answer = await put(session, `bytes */${5 * U}`)
    expect(answer.status).toBe(308)
    expect(answer.headers.get('range')).toBeNull()
  })

  it('keeps whole 256 KiB units of a non-final chunk, and the next chunk must start there (400 otherwise)', async () => {
    const data = randomData(5 * U)
    const session = await emulator.openSession('b.bin')
    const first = await put(session, `bytes 0-${3 * U + 99}/${5 * U}`, data.bytes.subarray(0, 3 * U + 100))
    expect([first.status, first.headers.get('range')]).toEqual([308, `bytes=0-${3 * U - 1}`])
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'PUT', bodyBytes: 3 * U + 100, status: 308, range: `bytes=0-${3 * U - 1}` })
    expect((await put(session, `bytes ${3 * U + 100}-${5 * U - 1}/${5 * U}`, data.bytes.subarray(3 * U + 100))).status).toBe(400)
    expect((await put(session, `bytes 0-${U - 1}/${5 * U}`, data.bytes.subarray(0, U))).status).toBe(400)
    const last = await put(session, `bytes ${3 * U}-${5 * U - 1}/${5 * U}`, data.bytes.subarray(3 * U))
    expect(last.status).toBe(200)
    const object = (await last.json()) as Record<string, unknown>
    expect(object).toMatchObject({ bucket: 'uploads', name: 'b.bin', size: String(5 * U), md5Hash: createHash('md5').update(data.bytes).digest('base64') })
    expect(emulator.sha256Of('b.bin')).toBe(data.sha256)
    // A finished session answers a PUT with the object again.
    expect(((await (await put(session, `bytes */${5 * U}`)).json()) as Record<string, unknown>).size).toBe(String(5 * U))
  })

  it('keepUnits can keep fewer units than arrived (GCS may persist less than it received)', async () => {
    await start({ keepUnits: ({ units }) => units - 2, finalStatus: 201 })
    const data = randomData(6 * U + 7)
    const session = await emulator.openSession('c.bin')
    const answer = await put(session, `bytes 0-${4 * U - 1}/*`, data.bytes.subarray(0, 4 * U))
    expect(answer.headers.get('range')).toBe(`bytes=0-${2 * U - 1}`)
    const last = await put(session, `bytes ${2 * U}-${6 * U + 6}/${6 * U + 7}`, data.bytes.subarray(2 * U))
    expect(last.status).toBe(201)
    expect(emulator.sha256Of('c.bin')).toBe(data.sha256)
  })

  it('a cut chunk keeps whole units of what arrived; the status query tells', async () => {
    const data = randomData(4 * U)
    const session = await emulator.openSession('d.bin')
    emulator.cutNext(2 * U + 5)
    await expect(put(session, `bytes 0-${4 * U - 1}/${4 * U}`, data.bytes)).rejects.toThrow()
    const status = await put(session, `bytes */${4 * U}`)
    expect([status.status, status.headers.get('range')]).toEqual([308, `bytes=0-${2 * U - 1}`])
    expect((await put(session, `bytes ${2 * U}-${4 * U - 1}/${4 * U}`, data.bytes.subarray(2 * U))).status).toBe(200)
    expect(emulator.sha256Of('d.bin')).toBe(data.sha256)
  })

  it('a stream: chunks with /*, then a status query with the total finalizes once every byte is held', async () => {
    const data = randomData(2 * U)
    const session = await emulator.openSession('e.bin')
    expect((await put(session, `bytes 0-${2 * U - 1}/*`, data.bytes)).headers.get('range')).toBe(`bytes=0-${2 * U - 1}`)
    expect((await put(session, 'bytes */*')).status).toBe(308)
    expect((await put(session, `bytes */${2 * U}`)).status).toBe(200)
    expect(emulator.sha256Of('e.bin')).toBe(data.sha256)
  })

  it('an empty object is finalized by bytes */0', async () => {
    const session = await emulator.openSession('empty.bin')
    const answer = await put(session, 'bytes */0')
    expect(answer.status).toBe(200)
    expect(emulator.sha256Of('empty.bin')).toBe(sha256(new Uint8Array(0)))
  })

  it('400 for malformed or contradicting ranges', async () => {
    const session = await emulator.openSession('f.bin', { size: 2 * U })
    for (const range of ['bytes 0-9', 'bytes=0-9/10', `bytes */${3 * U}`, 'bytes 5-4/10']) expect((await put(session, range)).status).toBe(400)
  })

  it('expired sessions answer 404 or 410; DELETE cancels with 499, then 410', async () => {
    const [one, two, three] = [await emulator.openSession('g'), await emulator.openSession('h'), await emulator.openSession('i')]
    emulator.expire(one)
    emulator.expire(two, 410)
    expect([(await put(one, 'bytes */*')).status, (await put(two, 'bytes */*')).status]).toEqual([404, 410])
    expect((await fetch(three, { method: 'DELETE' })).status).toBe(499)
    expect((await put(three, 'bytes */*')).status).toBe(410)
    expect((await put(`${emulator.url}/upload/storage/v1/b/uploads/o?uploadType=resumable&upload_id=nope`, 'bytes */*')).status).toBe(404)
  })

  it('CORS: preflights pass, answers expose Range and Location', async () => {
    const session = await emulator.openSession('j')
    const preflight = await fetch(session, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-range' },
    })
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT')
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-range')
    const answer = await fetch(session, { method: 'PUT', headers: { origin: 'http://app.test', 'content-range': 'bytes */*' }, redirect: 'manual' })
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://app.test')
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/Range.*Location/)
  })
})
