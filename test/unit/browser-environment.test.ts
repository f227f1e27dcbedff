/**
 * The browser environment's lazily loaded fetch transport: it loads on the first request, and a
 * failed load is a retryable `network` UploadError that the next request tries again.
 */
import { afterEach, expect, it, vi } from 'vitest'
import type { TransportRequest } from '../../src/types'

const request: TransportRequest = { method: 'HEAD', url: 'https://example.test/upload/1', headers: {}, body: null, bodyLength: 0 }

afterEach(() => {
  vi.doUnmock('../../src/transports/fetch')
  vi.unstubAllGlobals()
  vi.resetModules()
})

it('fetch (asked for, or without XMLHttpRequest) is loaded at the first request and sends it', async () => {
  const calls: string[] = []
  vi.stubGlobal('fetch', async (url: string) => {
    calls.push(url)
    return new Response(null, { status: 204, headers: { 'upload-offset': '5' } })
  })
  const { browserEnvironment } = await import('../../src/browser-environment')
  expect(typeof XMLHttpRequest).toBe('undefined')
  const transport = browserEnvironment.transport(undefined)
  expect({ name: transport.name, interim: transport.seesInterimResponses, progress: transport.reportsUploadProgress }).toEqual({
    name: 'fetch',
    interim: false,
    progress: false,
  })
  const response = await transport.send(request, { signal: new AbortController().signal })
  expect(response).toMatchObject({ status: 204, headers: { 'upload-offset': '5' } })
  expect(calls).toEqual([request.url])
})

it('a failed load is a retryable network error, and the next request loads again', async () => {
  let loads = 0
  vi.doMock('../../src/transports/fetch', () => {
    loads++
    throw new TypeError('Failed to fetch dynamically imported module')
  })
  const { browserEnvironment } = await import('../../src/browser-environment')
  const transport = browserEnvironment.transport('fetch')
  for (let attempt = 1; attempt <= 2; attempt++) {
    const error = await transport.send(request, { signal: new AbortController().signal }).catch((e: unknown) => e)
    // A fresh module graph (resetModules): its UploadError class is not the one imported above.
    expect(error).toMatchObject({ name: 'UploadError', code: 'network', retryable: true })
  }
  expect(loads).toBe(2)
})
