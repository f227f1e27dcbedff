// The IETF protocol's response reader (src/protocols/ietf-responses.ts) loads after the first
// request is built: interpret loads it, warm() starts the load, and before it a 104 is ignored.
// The Node entry installs it up front, so that node-http's 104s are read from the first request on.
import { describe, expect, it, vi } from 'vitest'
import type { HeaderMap, InterimResponse } from '../../src/types'

const ENDPOINT = 'https://example.com/files/'
const UPLOAD = 'https://example.com/upload/1'
const LOCATION_104: InterimResponse = { status: 104, headers: { 'upload-draft-interop-version': '8', location: UPLOAD } }
const input = { endpoint: ENDPOINT, size: 10, body: { start: 0, end: 10 }, complete: true, metadata: {} }
const created = (headers: HeaderMap) => ({ status: 201, headers: { location: UPLOAD, 'upload-complete': '?0', ...headers }, body: '' })

describe('the IETF response reader loads lazily', () => {
  it('before it is loaded a 104 is ignored; interpret loads it, and then 104s are read', async () => {
    vi.resetModules()
    const { ietfProtocol } = await import('../../src/protocols/ietf')
    const protocol = ietfProtocol({ clock: () => 0 })
    const request = protocol.createRequest(input)
    expect(protocol.interpretInterim(request, LOCATION_104)).toEqual({ kind: 'ignored' })
    expect(await protocol.interpret('create', request, created({ 'upload-offset': '4' }))).toEqual({ kind: 'created', url: UPLOAD, offset: 4, limits: {} })
    // Loaded once for every protocol object.
    expect(ietfProtocol().interpretInterim(request, LOCATION_104)).toEqual({ kind: 'location', url: UPLOAD, limits: {} })
  })

  it('warm() starts the load without waiting; concurrent interprets share one load', async () => {
    vi.resetModules()
    const { ietfProtocol } = await import('../../src/protocols/ietf')
    const protocol = ietfProtocol()
    const request = protocol.createRequest(input)
    expect(protocol.warm()).toBeUndefined()
    const results = await Promise.all([1, 2].map((offset) => protocol.interpret('create', request, created({ 'upload-offset': String(offset) }))))
    expect(results.map((result) => result.kind === 'created' && result.offset)).toEqual([1, 2])
    expect(protocol.interpretInterim(request, LOCATION_104).kind).toBe('location')
  })

  it('a failed load is a retryable network error, and the next interpret loads again', async () => {
    vi.resetModules()
    vi.doMock('../../src/protocols/ietf-responses', () => {
      throw new Error('offline')
    })
    const { ietfProtocol } = await import('../../src/protocols/ietf')
    const protocol = ietfProtocol()
    const request = protocol.createRequest(input)
    protocol.warm() // its failure is left to the interpret that waits for it
    await expect(protocol.interpret('create', request, created({}))).rejects.toMatchObject({ code: 'network', retryable: true })
    vi.doUnmock('../../src/protocols/ietf-responses')
    expect(await protocol.interpret('create', request, created({}))).toMatchObject({ kind: 'created', url: UPLOAD })
  })

  it('the Node entry installs it: a 104 is read before any response was interpreted', async () => {
    vi.resetModules()
    const { ietfProtocol } = await import('../../src/protocols/ietf')
    const protocol = ietfProtocol()
    const request = protocol.createRequest(input)
    expect(protocol.interpretInterim(request, LOCATION_104).kind).toBe('ignored')
    await import('../../src/node')
    expect(protocol.interpretInterim(request, LOCATION_104)).toEqual({ kind: 'location', url: UPLOAD, limits: {} })
  })
})
