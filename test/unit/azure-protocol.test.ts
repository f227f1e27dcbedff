/**
 * The Azure Block Blob protocol's pure rules (src/protocols/azure*.ts), as tables: block sizes
 * and limits, block ids, the SAS URL, the three requests, the block list reader, what each error
 * answer means, and the record.
 */
import { describe, expect, it } from 'vitest'
import { UploadError } from '../../src/errors'
import { AZURE_MAX_BLOCK_SIZE, AZURE_MAX_SIZE, azureBlobProtocol, azureBlockId, azureBlockNumber, parseAzureError, sasExpiry } from '../../src/protocols/azure'
import { azureBlockSize } from '../../src/protocols/azure-blocks'
import type { HttpResponse } from '../../src/types'

const MiB = 1024 * 1024
const BLOB = 'https://acct.blob.core.windows.net/c/dir/file.bin'
const SAS = 'sv=2021-12-02&se=2026-12-01T05%3A00%3A00Z&sr=b&sp=rcw&sig=abc%2B%2F%3D'
const EXPIRY = Date.parse('2026-12-01T05:00:00Z')
const protocol = azureBlobProtocol({ url: `${BLOB}?${SAS}` })
const refreshing = azureBlobProtocol({ url: () => `${BLOB}?${SAS}` })
const ref = protocol.readUrl(`${BLOB}?${SAS}`)

function answer(status: number, code?: string, message = 'text', headers: Record<string, string> = {}): HttpResponse {
  const body =
    code === undefined ? '' : `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:1\nTime:x</Message></Error>`
  return { status, headers, body }
}

function list(blocks: [string, number][], committed = ''): HttpResponse {
  const items = blocks.map(([name, size]) => `<Block><Name>${name}</Name><Size>${size}</Size></Block>`).join('')
  return {
    status: 200,
    headers: {},
    body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList><CommittedBlocks>${committed}</CommittedBlocks><UncommittedBlocks>${items}</UncommittedBlocks></BlockList>`,
  }
}

describe('block size and limits', () => {
  it.each([
    [0, undefined, 8 * MiB],
    [100 * MiB, undefined, 8 * MiB],
    [50_000 * 8 * MiB, undefined, 8 * MiB],
    [50_000 * 8 * MiB + 1, undefined, 9 * MiB],
    [AZURE_MAX_SIZE, undefined, AZURE_MAX_BLOCK_SIZE],
    [undefined, undefined, 8 * MiB],
    [10 * MiB, 3 * MiB, 3 * MiB],
    [10 * MiB, Infinity, 10 * MiB],
    [0, Infinity, 1],
    [5000 * MiB, Infinity, AZURE_MAX_BLOCK_SIZE],
  ])('size %s, chunkSize %s -> %s', (size, chunkSize, expected) => {
    expect(azureBlockSize(size, chunkSize)).toBe(expected)
  })

  it.each([
    ['a', TypeError],
    [1.5, TypeError],
    [NaN, TypeError],
    [0, RangeError],
    [-1, RangeError],
    [AZURE_MAX_BLOCK_SIZE + 1, RangeError],
  ])('chunkSize %s -> %s', (chunkSize, type) => {
    expect(() => protocol.checkChunkSize(chunkSize)).toThrow(type)
  })

  it('refuses a file beyond 50,000 blocks of 4,000 MiB (too-large) and block 50,001 of a stream', () => {
    expect(() => azureBlockSize(AZURE_MAX_SIZE + 1, undefined)).toThrow(expect.objectContaining({ code: 'too-large' }))
    expect(() => azureBlockSize(50_001, 1)).toThrow(/more than 50,000 blocks/)
    expect(protocol.blockNumberError(50_000)).toBeUndefined()
    expect(protocol.blockNumberError(50_001)).toMatchObject({ code: 'too-large' })
  })

  it('plans blocks: the last is shorter, an empty file is one empty block', () => {
    expect(protocol.blockCount(10, 4)).toBe(3)
    expect(protocol.block(3, 10, 4)).toEqual({ number: 3, id: azureBlockId(3), start: 8, end: 10 })
    expect(protocol.blockCount(0, 4)).toBe(1)
  })
})

describe('block ids', () => {
  it('are one fixed length, without padding, derived from the number, and read back', () => {
    const ids = [1, 2, 9, 10, 12_345, 50_000].map(azureBlockId)
    expect(new Set(ids.map((id) => id.length))).toEqual(new Set([20]))
    expect(ids.every((id) => !id.includes('='))).toBe(true)
    expect(atob(azureBlockId(7))).toBe('ru-block-000007')
    expect(ids.map(azureBlockNumber)).toEqual([1, 2, 9, 10, 12_345, 50_000])
  })

  it.each(['', 'YmxvY2stMDAwMDAx', btoa('ru-block-000000'), btoa('ru-block-050001'), btoa('xx-block-000001'), '!!!!!!!!!!!!!!!!!!!!'])(
    '%j is not ours',
    (id) => {
      expect(azureBlockNumber(id)).toBeUndefined()
    },
  )

  it('throws for numbers outside 1 to 50,000', () => {
    expect(() => azureBlockId(0)).toThrow(RangeError)
    expect(() => azureBlockId(50_001)).toThrow(RangeError)
  })
})

describe('the SAS URL', () => {
  it('splits into the blob URL without its SAS and the SAS', () => {
    expect(ref).toEqual({ blobUrl: BLOB, sas: SAS })
    expect(sasExpiry(ref.sas)).toBe(EXPIRY)
    expect(sasExpiry('sv=1')).toBeUndefined()
    expect(sasExpiry('se=garbage')).toBeUndefined()
  })

  it.each([
    ['not a url', undefined],
    ['ftp://acct/c/b', undefined],
    ['https://acct.blob.core.windows.net/only-container?sig=1', undefined],
    [42, undefined],
    ['https://acct.blob.core.windows.net/c/other.bin?sig=1', BLOB],
  ])('refuses %j (current %s) with location-refused', (value, current) => {
    expect(() => protocol.readUrl(value, current)).toThrow(expect.objectContaining({ code: 'location-refused' }))
  })

  it('refuses an origin allowedOrigins does not list', () => {
    const allowed = azureBlobProtocol({ url: () => '', allowedOrigins: ['https://acct.blob.core.windows.net'] })
    expect(allowed.readUrl(`${BLOB}?${SAS}`).blobUrl).toBe(BLOB)
    expect(() => allowed.readUrl(`https://evil.test/c/b?${SAS}`)).toThrow(expect.objectContaining({ code: 'location-refused' }))
  })

  it.each([{}, { url: 1 }, { url: BLOB, allowedOrigins: 'x' }, { url: BLOB, version: 'latest' }, null])('options %j -> TypeError', (options) => {
    expect(() => azureBlobProtocol(options as never)).toThrow(TypeError)
  })

  it('a string url that is not a blob URL fails at construction', () => {
    expect(() => azureBlobProtocol({ url: 'https://acct/c' })).toThrow(expect.objectContaining({ code: 'location-refused' }))
  })
})

describe('requests', () => {
  it('Put Block: PUT with the SAS, comp=block and the URL-encoded id, x-ms-version, the block bytes', () => {
    const block = protocol.block(2, 10 * MiB, 4 * MiB)
    expect(protocol.putBlock(ref, block)).toEqual({
      method: 'PUT',
      url: `${BLOB}?${SAS}&comp=block&blockid=${encodeURIComponent(block.id)}`,
      headers: { 'x-ms-version': '2021-12-02' },
      body: { start: 4 * MiB, end: 8 * MiB },
    })
  })

  it('Get Block List: uncommitted blocks, no body', () => {
    expect(protocol.getBlockList(ref)).toEqual({
      method: 'GET',
      url: `${BLOB}?${SAS}&comp=blocklist&blocklisttype=uncommitted`,
      headers: { 'x-ms-version': '2021-12-02' },
      body: null,
    })
  })

  it('Put Block List: every id in order as <Latest>, the content type from the file', () => {
    const request = protocol.putBlockList(ref, 3, { name: 'a', type: 'image/png', size: 3, metadata: {} })
    expect(request.url).toBe(`${BLOB}?${SAS}&comp=blocklist`)
    expect(request.headers).toEqual({ 'x-ms-version': '2021-12-02', 'content-type': 'application/xml', 'x-ms-blob-content-type': 'image/png' })
    expect(request.body).toBe(
      `<?xml version="1.0" encoding="utf-8"?><BlockList>${[1, 2, 3].map((n) => `<Latest>${azureBlockId(n)}</Latest>`).join('')}</BlockList>`,
    )
    const untyped = protocol.putBlockList(ref, 1, { name: 'a', type: undefined, size: 3, metadata: {} })
    expect(untyped.headers['x-ms-blob-content-type']).toBeUndefined()
  })

  it('Put Block List carries the metadata as x-ms-meta-<name> (names lower-cased); file() refuses what Azure cannot store', () => {
    const file = protocol.file({ name: 'a', type: undefined, size: 3 }, { Project: 'apollo', owner_2: 'a b' })
    expect(protocol.putBlockList(ref, 1, file).headers).toMatchObject({ 'x-ms-meta-project': 'apollo', 'x-ms-meta-owner_2': 'a b' })
    for (const [metadata, words] of [
      [{ '2nd': 'x' }, 'C# identifiers'],
      [{ 'a-b': 'x' }, 'C# identifiers'],
      [{ note: 'line\nbreak' }, 'printable ASCII'],
      [{ note: '\u00e9' }, 'printable ASCII'],
      [{ Tag: 'a', tag: 'b' }, 'regardless of case'],
    ] as const) {
      let error: unknown
      try {
        protocol.file({ size: 3 }, metadata)
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(UploadError)
      expect(error).toMatchObject({ code: 'metadata-invalid', retryable: false, message: expect.stringContaining(words) as unknown })
    }
  })

  it('sends the chosen x-ms-version', () => {
    expect(azureBlobProtocol({ url: `${BLOB}?${SAS}`, version: '2025-11-05' }).getBlockList(ref).headers).toEqual({ 'x-ms-version': '2025-11-05' })
  })
})

describe('Get Block List', () => {
  const plan = { size: 10, blockSize: 4 }
  it('reads the uncommitted blocks of the plan, ascending', () => {
    expect(
      protocol.readBlockList(
        list([
          [azureBlockId(3), 2],
          [azureBlockId(1), 4],
        ]),
        plan,
      ),
    ).toEqual([1, 3])
    expect(protocol.readBlockList(list([]), plan)).toEqual([])
    expect(protocol.readBlockList({ status: 200, headers: {}, body: '<BlockList><UncommittedBlocks/></BlockList>' }, plan)).toEqual([])
    expect(protocol.readBlockList(answer(404, 'BlobNotFound'), plan)).toEqual([])
  })

  it.each([
    ["another writer's id", list([['YmxvY2stMDAwMDAx', 4]]), 'offset-invalid'],
    ['a block beyond the plan', list([[azureBlockId(4), 4]]), 'offset-invalid'],
    [
      'a block twice',
      list([
        [azureBlockId(1), 4],
        [azureBlockId(1), 4],
      ]),
      'offset-invalid',
    ],
    ['a block of another size', list([[azureBlockId(3), 4]]), 'offset-invalid'],
    [
      'a block without a size',
      { status: 200, headers: {}, body: `<BlockList><UncommittedBlocks><Block><Name>${azureBlockId(1)}</Name></Block></UncommittedBlocks></BlockList>` },
      'malformed-response',
    ],
    ['not a block list', { status: 200, headers: {}, body: '<Blocks/>' }, 'malformed-response'],
    ['an HTML page', { status: 200, headers: {}, body: '<html><BlockList></BlockList></html>' }, 'malformed-response'],
    ['a 500', answer(500, 'InternalError'), 'http-status'],
  ] as [string, HttpResponse, string][])('%s -> %s', (_name, response, code) => {
    expect(() => protocol.readBlockList(response, plan)).toThrow(expect.objectContaining({ code }))
  })
})

describe('what an answer means', () => {
  const before = EXPIRY - 1000
  it.each([
    ['201', answer(201), before, 'stored', 'stored'],
    ['403 AuthenticationFailed after se', answer(403, 'AuthenticationFailed', 'Server failed to authenticate the request.'), EXPIRY, 'refresh', 'error'],
    ['403 AuthorizationFailure after se (Azurite)', answer(403, 'AuthorizationFailure'), EXPIRY + 1, 'refresh', 'error'],
    [
      '403 AuthenticationFailed whose detail names the time frame',
      {
        status: 403,
        headers: {},
        body: '<Error><Code>AuthenticationFailed</Code><Message>m</Message><AuthenticationErrorDetail>Signature not valid in the specified time frame</AuthenticationErrorDetail></Error>',
      },
      before,
      'refresh',
      'error',
    ],
    ['403 AuthenticationFailed before se (a bad signature)', answer(403, 'AuthenticationFailed'), before, 'error', 'error'],
    ['403 AuthorizationPermissionMismatch after se', answer(403, 'AuthorizationPermissionMismatch'), EXPIRY, 'error', 'error'],
    ['400 InvalidBlockList', answer(400, 'InvalidBlockList'), before, 'gone', 'gone'],
    ['404 ContainerNotFound', answer(404, 'ContainerNotFound'), before, 'error', 'error'],
  ] as [string, HttpResponse, number, string, string][])('%s -> %s (function url), %s (fixed url)', (_name, response, now, withFunction, fixed) => {
    expect(refreshing.readResponse('block 1', response, ref, now).kind).toBe(withFunction)
    expect(protocol.readResponse('block 1', response, ref, now).kind).toBe(fixed)
  })

  it.each([
    [409, 'BlobArchived', false],
    [412, 'ConditionNotMet', false],
    [500, 'InternalError', true],
    [500, 'OperationTimedOut', true],
    [503, 'ServerBusy', true],
    [409, 'ServerBusy', true],
    [400, 'InvalidHeaderValue', false],
    [404, 'ContainerNotFound', false],
    [429, undefined, true],
  ])('%s %s -> retryable %s', (status, code, retryable) => {
    const result = protocol.readResponse('block 1', answer(status, code), ref, EXPIRY - 1000)
    expect(result).toMatchObject({ kind: 'error', error: { code: 'http-status', status, retryable } })
  })

  it('a fixed url whose SAS expired fails with a typed error that says so', () => {
    const result = protocol.readResponse('block 1', answer(403, 'AuthenticationFailed'), ref, EXPIRY)
    expect(result.kind === 'error' && result.error).toMatchObject({ retryable: false, message: expect.stringContaining('the SAS token expired') })
  })

  it('keeps Retry-After and the body, and reads the code from x-ms-error-code first', () => {
    const result = protocol.readResponse('block 1', answer(503, 'Other', 'busy', { 'retry-after': '7', 'x-ms-error-code': 'ServerBusy' }), ref, 0)
    expect(result.kind === 'error' && result.error).toMatchObject({ retryAfter: 7, message: 'block 1 answered 503 ServerBusy: busy' })
    expect(parseAzureError({ headers: {}, body: '<Error><Code>A&amp;B</Code><Message>x &lt; y</Message></Error>' })).toEqual({
      code: 'A&B',
      message: 'x < y',
      detail: undefined,
    })
    expect(parseAzureError({ headers: {}, body: 'not xml' })).toEqual({ code: undefined, message: undefined, detail: undefined })
  })

  it('stored answers carry the blob ETag after Put Block List', () => {
    expect(protocol.readResponse('Put Block List', answer(201, undefined, '', { etag: '"0x1"' }), ref, 0)).toEqual({ kind: 'stored', etag: '"0x1"' })
  })
})

describe('the record and url errors', () => {
  it('keeps the blob URL without SAS, the block size and the blocks', () => {
    expect(protocol.recordState(BLOB, 4 * MiB, [3, 1, 3])).toEqual({ blobUrl: BLOB, blockSize: 4 * MiB, blocks: [1, 3] })
    expect(protocol.readRecordState(JSON.parse(JSON.stringify(protocol.recordState(BLOB, 4, [2]))))).toEqual({ blobUrl: BLOB, blockSize: 4, blocks: [2] })
  })

  it.each([
    undefined,
    null,
    'x',
    { blobUrl: `${BLOB}?${SAS}`, blockSize: 4, blocks: [] },
    { blobUrl: BLOB, blockSize: 0, blocks: [] },
    { blobUrl: BLOB, blockSize: 4, blocks: [0] },
    { blobUrl: BLOB, blockSize: 4 },
  ])('%j is no record', (value) => {
    expect(protocol.readRecordState(value)).toBeUndefined()
  })

  it('a url function that threw is retryable with its cause; an UploadError stays; aborted once the signal fired', () => {
    const cause = new Error('down')
    expect(protocol.urlError(cause)).toMatchObject({ code: 'network', retryable: true, cause })
    const typed = new UploadError('location-refused', 'x', { retryable: false })
    expect(protocol.urlError(typed)).toBe(typed)
    const controller = new AbortController()
    controller.abort()
    expect(protocol.urlError(cause, controller.signal)).toMatchObject({ code: 'aborted' })
  })
})
