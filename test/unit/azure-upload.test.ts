/**
 * `azureBlob()` as `new Upload` takes it (src/azure.ts): a parts protocol whose run the Upload
 * hands over, with its own endpoint for records; options checked before any request.
 */
import { describe, expect, it } from 'vitest'
import { azureBlob } from '../../src/azure'
import { Upload } from '../../src/index'

const SAS_URL = 'https://account.blob.core.windows.net/uploads/a.bin?sv=2021-12-02&se=2030-01-01T00%3A00%3A00Z&sig=abc'

describe('azureBlob() for new Upload', () => {
  it('is a parts protocol with run, terminate and its own endpoint (records name azure-blob:)', () => {
    const protocol = azureBlob({ url: SAS_URL })
    expect(protocol).toMatchObject({ name: 'azure-blob', version: '1', parts: true, endpoint: 'azure-blob:' })
    expect([typeof protocol.run, typeof protocol.terminate, typeof protocol.createRun]).toEqual(['function', 'function', 'function'])
  })

  it('needs no endpoint; a chunkSize Azure cannot take is refused by the constructor, before the url function is called', () => {
    let calls = 0
    const protocol = azureBlob({ url: () => (calls++, SAS_URL) })
    expect(() => new Upload(new Uint8Array(1), { protocol })).not.toThrow()
    expect(() => new Upload(new Uint8Array(1), { protocol, chunkSize: 0 })).toThrow(RangeError)
    expect(() => new Upload(new Uint8Array(1), { protocol, concurrency: 0 })).toThrow(RangeError)
    expect(() => new Upload(new Uint8Array(1), { protocol, chunkSize: 4000 * 1024 * 1024 + 1, store: false })).toThrow(/4,000 MiB/)
    expect(() => new Upload(new Uint8Array(1), { protocol, chunkSize: 1.5 })).toThrow(TypeError)
    expect(() => new Upload(new Uint8Array(1), { protocol, chunkSize: 4000 * 1024 * 1024 })).not.toThrow()
    expect(calls).toBe(0)
  })

  it('refuses options it cannot use before anything is sent', () => {
    expect(() => azureBlob({ url: 42 as unknown as string })).toThrow(TypeError)
    expect(() => azureBlob({ url: 'ftp://account/uploads/a.bin' })).toThrow(expect.objectContaining({ code: 'location-refused' }))
    expect(() => azureBlob({ url: 'https://account.blob.core.windows.net/only-container?sig=x' })).toThrow(
      expect.objectContaining({ code: 'location-refused' }),
    )
    expect(() => azureBlob({ url: () => SAS_URL, allowedOrigins: 'https://x' as unknown as string[] })).toThrow(TypeError)
  })
})
