/**
 * `new Upload(file, { protocol: azureBlob({ url }), chunkSize, concurrency })` (issue 13) against a
 * real Azurite 3.35.0 (test/support/azurite.ts): the Upload's events, retries through connection
 * cuts, pause/resume, abort with terminate, the file store across a SIGKILL (Get Block List is
 * the truth, only missing blocks are sent), an expired SAS refreshed through the `url` function,
 * an expired fixed SAS, and bad input. Every upload that completes is downloaded and its SHA-256
 * compared.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { azureBlob, azureBlockId } from '../../src/azure'
import { Upload } from '../../src/node'
import type { UploadEvents } from '../../src/options'
import { nodeHttpTransport } from '../../src/transports/node-http'
import type { Transport } from '../../src/types'
import { AZURITE_CONTAINER, startAzurite, type Azurite } from '../support/azurite'
import { startCuttingProxy, type CuttingProxy, type ProxiedRequest } from '../support/cutting-proxy'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'

const MiB = 1024 * 1024
const CHILD = new URL('./fixtures/azure-upload-child.ts', import.meta.url).pathname
const FAST_RETRY = { retries: 3, minTimeout: 1, maxTimeout: 10, factor: 2, randomize: false }

let azurite: Azurite
let proxy: CuttingProxy

beforeAll(async () => {
  azurite = await startAzurite()
  proxy = await startCuttingProxy(new URL(azurite.accountUrl).origin)
}, 60_000)

afterAll(async () => {
  await proxy?.close()
  await azurite?.close()
})

/** A SAS URL for `name` through the proxy (a SAS signs the account, container and blob, not the host). */
function viaProxy(name: string, expiresOn?: Date): string {
  return azurite.sasUrl(name, expiresOn).replace(new URL(azurite.accountUrl).origin, proxy.url)
}

/** The Put Block requests the proxy forwarded for `name` since `from`, with their block numbers. */
function blockPuts(name: string, from = 0): Array<ProxiedRequest & { block: number }> {
  return proxy.requests
    .slice(from)
    .filter((request) => request.method === 'PUT' && request.url.includes(`/${AZURITE_CONTAINER}/${name}?`) && request.url.includes('comp=block&'))
    .map((request) => ({ ...request, block: blockNumber(request.url) }))
}

/** The block number of a Put Block URL (ids are base64 of `ru-block-000001`). */
function blockNumber(url: string): number {
  const id = decodeURIComponent(/[?&]blockid=([^&]+)/.exec(url)![1]!)
  return Number(/(\d{6})$/.exec(atob(id))![1])
}

/** The Get Block List requests the proxy forwarded for `name` since `from`. */
function blockLists(name: string, from = 0): ProxiedRequest[] {
  return proxy.requests.slice(from).filter((request) => request.method === 'GET' && request.url.includes(`/${name}?`) && request.url.includes('comp=blocklist'))
}

/** Node's transport, counting requests in flight and keeping each answer's URL and status. */
function countingTransport(): Transport & { max: number; answers: Array<{ url: string; status: number }> } {
  const base = nodeHttpTransport()
  let now = 0
  const counting = {
    name: base.name,
    seesInterimResponses: base.seesInterimResponses,
    reportsUploadProgress: base.reportsUploadProgress,
    max: 0,
    answers: [] as Array<{ url: string; status: number }>,
    send: async (...args: Parameters<Transport['send']>) => {
      counting.max = Math.max(counting.max, ++now)
      try {
        const response = await base.send(...args)
        counting.answers.push({ url: args[0].url, status: response.status })
        return response
      } finally {
        now--
      }
    },
  }
  return counting
}

/** Every event of `upload`, by name. */
function record(upload: Upload) {
  const events: { [Name in keyof UploadEvents]: UploadEvents[Name][] } = { url: [], progress: [], state: [], retry: [], chunk: [], error: [], warning: [] }
  for (const name of Object.keys(events) as Array<keyof UploadEvents>) upload.on(name, (event) => (events[name] as unknown[]).push(event))
  return events
}

async function expectStored(name: string, data: TestData): Promise<void> {
  expect(await azurite.sha256Of(name)).toEqual({ sha256: data.sha256, length: data.bytes.length })
}

/** The uncommitted blocks Azurite holds for `name`, by number. */
async function held(name: string): Promise<number[]> {
  const list = await azurite.service.getContainerClient(AZURITE_CONTAINER).getBlockBlobClient(name).getBlockList('uncommitted')
  return (list.uncommittedBlocks ?? []).map((block) => Number(/(\d{6})$/.exec(atob(block.name))![1])).sort((a, b) => a - b)
}

/** Watches the global fetch (which sends Get Block List) and reads the block numbers each answer names. */
function listedBlocks(): { held: number[][]; restore: () => void } {
  const original = globalThis.fetch
  const held: number[][] = []
  globalThis.fetch = async (input, init) => {
    const response = await original(input, init)
    if (String(input).includes('comp=blocklist') && init?.method === 'GET') {
      const body = await response.clone().text()
      held.push([...body.matchAll(/<Name>([^<]+)<\/Name>/g)].map((match) => Number(/(\d{6})$/.exec(atob(match[1]!))![1])).sort((a, b) => a - b))
    }
    return response
  }
  return { held, restore: () => void (globalThis.fetch = original) }
}

describe('Upload with azureBlob()', () => {
  it('a 64 MiB file path in 4 MiB blocks, concurrency 4, through three connection cuts: whole blob, blocks in parallel, Upload events', async () => {
    const { dir, remove } = await tempDir()
    try {
      const name = 'upload-64.bin'
      const data = randomData(64 * MiB)
      const path = await writeTestFile(dir, 'big.bin', data)
      const from = proxy.requests.length
      const cuts = [proxy.cut(1 * MiB, 'PUT'), proxy.cut(3 * MiB, 'PUT'), proxy.cut(2 * MiB, 'PUT')]
      const transport = countingTransport()
      const protocol = azureBlob({ url: viaProxy(name) })
      const upload = new Upload(path, { protocol, chunkSize: 4 * MiB, concurrency: 4, storeDirectory: dir, retry: FAST_RETRY, transport })
      const events = record(upload)
      const result = await upload.start()

      await expectStored(name, data)
      expect(cuts.map((cut) => cut.hits)).toEqual([1, 1, 1])
      const puts = blockPuts(name, from)
      expect(puts).toHaveLength(16 + 3)
      expect(new Set(puts.filter((put) => put.status === 201).map((put) => put.block)).size).toBe(16)
      expect(transport.max).toBe(4)
      expect(events.chunk).toHaveLength(16)
      expect(events.retry.map((event) => event.error.code)).toEqual(['network', 'network', 'network'])
      expect(events.state.map((event) => event.state)).toEqual(['creating', 'uploading', 'complete'])
      // The blob's URL, never its SAS.
      expect(result.url).toBe(`${proxy.url}/${new URL(azurite.blobUrl(name)).pathname.slice(1)}`)
      expect(events.url).toEqual([{ url: result.url, via: 'created' }])
      expect(events.error).toEqual([])
      expect(upload.progress).toEqual({ bytesSent: data.bytes.length, bytesAcked: data.bytes.length, bytesTotal: data.bytes.length })
      expect(await Upload.findPrevious(path, { protocol, storeDirectory: dir })).toEqual([])
    } finally {
      await remove()
    }
  })

  it('pause and resume: the blocks in flight stop, resume reads Get Block List once and sends each missing block once', async () => {
    const { dir, remove } = await tempDir()
    try {
      const name = 'upload-pause.bin'
      const data = randomData(32 * MiB) // 8 blocks
      const path = await writeTestFile(dir, 'pause.bin', data)
      const upload = new Upload(path, { protocol: azureBlob({ url: viaProxy(name) }), chunkSize: 4 * MiB, concurrency: 2, storeDirectory: dir })
      const events = record(upload)
      const stored = new Promise<void>((resolve) => upload.on('chunk', () => events.chunk.length === 2 && resolve()))
      const running = upload.start()
      await stored
      upload.pause()
      expect(upload.state).toBe('paused')
      const from = proxy.requests.length
      const lists = listedBlocks()
      upload.resume()
      try {
        await running
      } finally {
        lists.restore()
      }

      await expectStored(name, data)
      expect(lists.held).toHaveLength(1)
      const before = lists.held[0]!
      expect(before.length).toBeGreaterThanOrEqual(2)
      expect(blockLists(name, from)).toHaveLength(1)
      // From the resume's Get Block List on, the answered Put Blocks (a block the pause aborted may
      // still reach the proxy late, unanswered: it is not a send).
      const listed = proxy.requests.indexOf(blockLists(name, from)[0]!)
      const after = blockPuts(name, listed)
        .filter((put) => put.status !== undefined)
        .map((put) => put.block)
      expect(after.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].filter((number) => !before.includes(number)))
      expect(events.state.map((event) => event.state)).toEqual(['creating', 'uploading', 'paused', 'creating', 'uploading', 'complete'])
    } finally {
      await remove()
    }
  })

  it('pause, then abort({ terminate: true }): the record is forgotten; the uncommitted blocks stay (no call deletes them), nothing is committed', async () => {
    const { dir, remove } = await tempDir()
    try {
      const name = 'upload-terminate.bin'
      const data = randomData(16 * MiB)
      const path = await writeTestFile(dir, 'terminate.bin', data)
      const protocol = azureBlob({ url: viaProxy(name) })
      const upload = new Upload(path, { protocol, chunkSize: 4 * MiB, concurrency: 1, storeDirectory: dir })
      const stored = new Promise<void>((resolve) => upload.on('chunk', () => resolve()))
      const running = upload.start()
      await stored
      upload.pause()
      expect(await Upload.findPrevious(path, { protocol, storeDirectory: dir })).toHaveLength(1)
      const settled = expect(running).rejects.toMatchObject({ code: 'aborted' })
      await upload.abort({ terminate: true })
      await settled
      expect(upload.state).toBe('aborted')
      expect(await Upload.findPrevious(path, { protocol, storeDirectory: dir })).toEqual([])
      expect((await held(name)).length).toBeGreaterThanOrEqual(1)
      await expect(azurite.service.getContainerClient(AZURITE_CONTAINER).getBlockBlobClient(name).getProperties()).rejects.toMatchObject({ statusCode: 404 })
    } finally {
      await remove()
    }
  })

  it('a process killed with SIGKILL at half: a new process resumes from the file store, Get Block List once, only the missing blocks sent', async () => {
    const { dir, remove } = await tempDir()
    try {
      const name = 'upload-crash.bin'
      const data = randomData(40 * MiB) // 10 blocks of 4 MiB
      const path = await writeTestFile(dir, 'crash.bin', data)
      const storeDirectory = `${dir}/store`
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, viaProxy(name), path, storeDirectory, '5'], { stdio: ['ignore', 'pipe', 'inherit'] })
      let output = ''
      child.stdout.on('data', (piece: Buffer) => (output += piece.toString()))
      const killed = await new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)))
      expect(killed).toBe('SIGKILL')
      expect([...output.matchAll(/^chunk /gm)]).toHaveLength(5)

      // A new process's Upload, with a url function (a fresh SAS for the same blob).
      let urlCalls = 0
      const protocol = azureBlob({ url: () => (urlCalls++, viaProxy(name)) })
      const previous = await Upload.findPrevious(path, { protocol, storeDirectory })
      expect(previous).toHaveLength(1)
      expect(previous[0]).toMatchObject({ protocol: 'azure-blob', endpoint: 'azure-blob:', size: data.bytes.length })
      // The record's url is the blob's URL without its SAS (before its first write after a stored block,
      // parts-upload's placeholder naming it); its offset counts whole blocks; no SAS anywhere in it.
      const blob = viaProxy(name).split('?')[0]!
      expect([blob, `https://multipart.invalid/${encodeURIComponent(blob)}`]).toContain(previous[0]!.url)
      expect(previous[0]!.offset % (4 * MiB)).toBe(0)
      expect(JSON.stringify(previous[0])).not.toMatch(/sig=|sig%3D|se=/)
      const from = proxy.requests.length
      const upload = new Upload(path, { protocol, storeDirectory, chunkSize: 4 * MiB })
      const events = record(upload)
      // The blocks Azurite held when the run asked (a block the child had on the wire may land after the kill).
      const lists = listedBlocks()
      try {
        await upload.start()
      } finally {
        lists.restore()
      }
      const before = lists.held[0]!
      expect(lists.held).toHaveLength(1)
      expect(before.length).toBeGreaterThanOrEqual(5)
      expect(before.length).toBeLessThan(10)

      await expectStored(name, data)
      expect(urlCalls).toBe(1)
      expect(blockLists(name, from)).toHaveLength(1)
      const sent = blockPuts(name, from).map((put) => put.block)
      expect(sent.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].filter((number) => !before.includes(number)))
      expect(events.progress[0]?.bytesAcked).toBe(before.length * 4 * MiB)
      expect(await Upload.findPrevious(path, { protocol, storeDirectory })).toEqual([])
    } finally {
      await remove()
    }
  })

  it('an expired SAS is refreshed through the url function: every first block 403, one new SAS for all, whole blob', async () => {
    const name = 'upload-refresh.bin'
    const data = randomData(12 * MiB)
    // Straight to Azurite: it answers the expired SAS before reading the body, which the cutting proxy does not pass on at once.
    const urls = [azurite.sasUrl(name, new Date(Date.now() - 60_000))]
    let urlCalls = 0
    const transport = countingTransport()
    const upload = new Upload(new Uint8Array(data.bytes), {
      protocol: azureBlob({ url: () => urls[urlCalls++] ?? azurite.sasUrl(name) }),
      chunkSize: 4 * MiB,
      concurrency: 3,
      store: false,
      transport,
    })
    const events = record(upload)
    await upload.start()
    await expectStored(name, data)
    expect(urlCalls).toBe(2)
    const answered = (status: number) =>
      transport.answers
        .filter((answer) => answer.status === status)
        .map((answer) => blockNumber(answer.url))
        .sort()
    expect(answered(403)).toEqual([1, 2, 3])
    expect(answered(201)).toEqual([1, 2, 3])
    // A refresh is no retry.
    expect(events.retry).toEqual([])
  })

  it('a fixed SAS URL that expired fails with a typed error saying the token expired; nothing is committed', async () => {
    const name = 'upload-expired.bin'
    const upload = new Upload(new Uint8Array(MiB), { protocol: azureBlob({ url: viaProxy(name, new Date(Date.now() - 60_000)) }), store: false })
    const events = record(upload)
    await expect(upload.start()).rejects.toMatchObject({
      code: 'http-status',
      status: 403,
      retryable: false,
      message: expect.stringContaining('SAS token expired'),
    })
    expect(events.retry).toEqual([])
    expect(upload.state).toBe('failed')
  })

  it('bad input: a url function that throws (its cause kept, after retries), a URL on an origin not allowed (location-refused, no request)', async () => {
    const cause = new Error('backend down')
    const failing = new Upload(new Uint8Array(MiB), { protocol: azureBlob({ url: () => Promise.reject(cause) }), store: false, retry: FAST_RETRY })
    const events = record(failing)
    await expect(failing.start()).rejects.toMatchObject({ code: 'network', cause })
    expect(events.retry).toHaveLength(3)

    const from = proxy.requests.length
    const elsewhere = new Upload(new Uint8Array(MiB), {
      protocol: azureBlob({ url: () => 'https://evil.example/devstoreaccount1/uploads/x.bin?sig=x', allowedOrigins: [proxy.url] }),
      store: false,
      retry: FAST_RETRY,
    })
    await expect(elsewhere.start()).rejects.toMatchObject({ code: 'location-refused' })
    expect(proxy.requests.length).toBe(from)

    // A refreshed URL must name the blob in use.
    const urls = [viaProxy('a.bin', new Date(Date.now() - 60_000)), viaProxy('other.bin')]
    let calls = 0
    const switching = new Upload(new Uint8Array(MiB), { protocol: azureBlob({ url: () => urls[calls++]! }), store: false, retry: FAST_RETRY })
    await expect(switching.start()).rejects.toMatchObject({ code: 'location-refused' })
  })

  it('an empty file: one empty block (Azurite takes a 0-byte Put Block), an empty blob committed', async () => {
    const name = 'upload-empty.bin'
    const from = proxy.requests.length
    await new Upload(new Uint8Array(0), { protocol: azureBlob({ url: viaProxy(name) }), store: false }).start()
    expect(blockPuts(name, from).map((put) => [put.block, put.bodyBytes])).toEqual([[1, 0]])
    await expectStored(name, randomData(0))
  })

  it('metadata goes on the blob as x-ms-meta-* with Put Block List; an entry Azure cannot take fails metadata-invalid before any request', async () => {
    const name = 'upload-meta.bin'
    const data = randomData(MiB + 5)
    await new Upload(data.bytes, { protocol: azureBlob({ url: viaProxy(name) }), store: false, metadata: { project: 'apollo', Owner_2: 'a b' } }).start()
    await expectStored(name, data)
    const client = azurite.service.getContainerClient(AZURITE_CONTAINER).getBlockBlobClient(name)
    expect((await client.getProperties()).metadata).toEqual({ project: 'apollo', owner_2: 'a b' })

    for (const [metadata, words] of [
      [{ 'file-name': 'x' }, 'C# identifiers'],
      [{ note: 'caf\u00e9' }, 'printable ASCII'],
      [{ Tag: 'a', tag: 'b' }, 'regardless of case'],
    ] as const) {
      const from = proxy.requests.length
      const failed = new Upload(data.bytes, { protocol: azureBlob({ url: viaProxy('upload-meta-bad.bin') }), store: false, metadata }).start()
      await expect(failed).rejects.toMatchObject({ code: 'metadata-invalid', retryable: false, message: expect.stringContaining(words) as unknown })
      expect(proxy.requests.length).toBe(from)
    }
  })

  it('bad input: a block list naming a block that does not fit the file (another size) fails offset-invalid, forgets the record, commits nothing', async () => {
    const { dir, remove } = await tempDir()
    try {
      const name = 'upload-misfit.bin'
      const data = randomData(16 * MiB)
      const path = await writeTestFile(dir, 'misfit.bin', data)
      const protocol = azureBlob({ url: () => viaProxy(name) })
      const first = new Upload(path, { protocol, chunkSize: 4 * MiB, concurrency: 1, storeDirectory: dir })
      const stored = new Promise<void>((resolve) => first.on('chunk', () => resolve()))
      const running = first.start()
      await stored
      await first.abort()
      await expect(running).rejects.toMatchObject({ code: 'aborted' })
      // Another writer stores "block 3" with 10 bytes: the list no longer fits this file's plan.
      const client = azurite.service.getContainerClient(AZURITE_CONTAINER).getBlockBlobClient(name)
      await client.stageBlock(azureBlockId(3), new Uint8Array(10), 10)

      const from = proxy.requests.length
      const second = new Upload(path, { protocol, chunkSize: 4 * MiB, concurrency: 1, storeDirectory: dir })
      await expect(second.start()).rejects.toMatchObject({ code: 'offset-invalid', message: expect.stringContaining('block 3 has 10 bytes') })
      expect(blockPuts(name, from)).toEqual([])
      expect(proxy.requests.slice(from).filter((request) => request.url.includes('comp=blocklist') && request.method === 'PUT')).toEqual([])
      expect(await Upload.findPrevious(path, { protocol, storeDirectory: dir })).toEqual([])
      await expect(client.getProperties()).rejects.toMatchObject({ statusCode: 404 })
    } finally {
      await remove()
    }
  })
})
