// @vitest-environment happy-dom
/**
 * `useUpload` and `useUploads` with @testing-library/react in happy-dom, uploading to the
 * reference server on 127.0.0.1 through the node-http transport (happy-dom's own XHR and fetch
 * are not what browsers ship; Chromium runs the hook in test/browser/react.spec.ts). Every upload's
 * stored bytes are checked by length and SHA-256.
 *
 * React 18: `node test/package/react-compat.mjs 18.3.1` runs this file against React 18 (see there).
 */
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { act, renderHook, waitFor } from '@testing-library/react'
import { version as reactVersion } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { UploadError } from '../../src/errors'
import type * as BrowserEntry from '../../src/index'
import { useUpload, useUploads, type UseUploadOptions, type UseUploadResult, type UseUploadsResult } from '../../src/react/index'
import { nodeHttpTransport } from '../../src/transports/node-http'
import type { HttpMethod, HttpResponse, SendOptions, Transport, TransportRequest } from '../../src/types'
import { startReferenceServer, type ReferenceServer } from '../server'
import { sha256, testBytes } from '../server/test-client'

// Counts the Uploads the hooks make: StrictMode's extra effect run must not make a second one, not
// even one that is aborted before it sends anything (and so never shows on the server).
const made = vi.hoisted(() => ({ uploads: 0 }))
vi.mock('../../src/index', async (importOriginal) => {
  const entry = await importOriginal<typeof BrowserEntry>()
  class CountedUpload extends entry.Upload {
    constructor(...args: ConstructorParameters<typeof entry.Upload>) {
      super(...args)
      made.uploads++
    }
  }
  return { ...entry, Upload: CountedUpload }
})

const KiB = 1024
const CHUNK = 64 * KiB
const WAIT = { timeout: 20_000 }
// A string, not `new URL(…)`: under happy-dom `URL` is happy-dom's, which fileURLToPath refuses.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** A promise with its resolve function outside. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined
  const promise = new Promise<void>((done) => (resolve = done))
  return { promise, resolve }
}

/** A request held before it is sent, until released or aborted. */
interface Gate {
  /** Resolves when a matching request is being held. */
  reached: Promise<void>
  /** Resolves when the held request's signal aborted (the Upload let go of it). */
  aborted: Promise<void>
  /** Lets the held request go on to the server. */
  release(): void
}

interface HeldRequest {
  method: HttpMethod
  reached: () => void
  aborted: () => void
  released: Promise<void>
}

/**
 * The node-http transport, recording every request and able to hold the next request of a method
 * before it is sent: a deterministic "mid-upload" moment without timers.
 */
class TestTransport implements Transport {
  readonly name = 'node-http'
  readonly seesInterimResponses = true
  readonly reportsUploadProgress = true
  readonly sent: Array<{ method: HttpMethod; url: string }> = []
  private readonly inner = nodeHttpTransport()
  private readonly holds: HeldRequest[] = []
  private readonly completion = deferred()
  /** Resolves when a response said the upload is complete (`Upload-Complete: ?1`, 2xx). */
  readonly completed = this.completion.promise

  hold(method: HttpMethod): Gate {
    const reached = deferred()
    const aborted = deferred()
    const released = deferred()
    this.holds.push({ method, reached: reached.resolve, aborted: aborted.resolve, released: released.promise })
    return { reached: reached.promise, aborted: aborted.promise, release: released.resolve }
  }

  async send(request: TransportRequest, options: SendOptions): Promise<HttpResponse> {
    this.sent.push({ method: request.method, url: request.url })
    const index = this.holds.findIndex((held) => held.method === request.method)
    const held = index === -1 ? undefined : this.holds.splice(index, 1)[0]
    if (held) {
      held.reached()
      await new Promise<void>((resolve, reject) => {
        options.signal.addEventListener(
          'abort',
          () => {
            held.aborted()
            reject(new UploadError('aborted', 'the held request was aborted', { retryable: false }))
          },
          { once: true },
        )
        void held.released.then(resolve)
      })
    }
    const response = await this.inner.send(request, options)
    if (response.status < 300 && response.headers['upload-complete'] === '?1') this.completion.resolve()
    return response
  }

  count(method: HttpMethod): number {
    return this.sent.filter((request) => request.method === method).length
  }

  close(): void {
    this.inner.close()
  }
}

let server: ReferenceServer
let transport: TestTransport

beforeEach(async () => {
  made.uploads = 0
  server = await startReferenceServer()
  transport = new TestTransport()
})
afterEach(async () => {
  transport.close()
  await server.close()
})

function options(extra: Partial<UseUploadOptions> = {}): UseUploadOptions {
  return { endpoint: server.endpoint, transport, chunkSize: CHUNK, retry: { retries: 2, minTimeout: 10, maxTimeout: 50 }, ...extra }
}

/** Checks what the server stored for `url` against `data`. */
async function expectStored(url: string | undefined, data: Uint8Array): Promise<void> {
  expect(url).toBeDefined()
  const info = await server.upload(server.uploadIdFromUrl(url ?? ''))
  expect(info).toMatchObject({ complete: true, length: data.length, offset: data.length, sha256: sha256(data) })
}

/** Resolves after timers already queued (the hook's deferred cleanup is one) have run. */
function afterQueuedTimers(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * Renders `useUpload`, remembering every state and progress value a render saw. `strict` puts the
 * root in StrictMode (RTL's `reactStrictMode`: a `<StrictMode>` wrapper component below the root
 * did not double the effects in React 19.3).
 */
function renderUpload(file: Uint8Array | null, hookOptions: UseUploadOptions, strict = false) {
  const seen: Array<Pick<UseUploadResult, 'state' | 'progress'>> = []
  const rendered = renderHook(
    ({ file: current, hookOptions: currentOptions }: { file: Uint8Array | null; hookOptions: UseUploadOptions }) => {
      const result = useUpload(current, currentOptions)
      seen.push({ state: result.state, progress: result.progress })
      return result
    },
    { initialProps: { file, hookOptions }, reactStrictMode: strict },
  )
  return { ...rendered, seen }
}

it('runs against the React version asked for', () => {
  expect(reactVersion.split('.')[0]).toBe(process.env.EXPECT_REACT_MAJOR ?? '19')
})

describe('useUpload', () => {
  it('starts idle, then start() runs the upload to complete with progress and url', async () => {
    const data = testBytes(4 * CHUNK + 123, 1)
    const hook = renderUpload(data, options())
    expect(hook.result.current).toMatchObject({ state: 'idle', progress: { bytesSent: 0, bytesAcked: 0 }, url: undefined, error: undefined, result: undefined })

    let started: Promise<unknown> = Promise.resolve()
    act(() => {
      started = hook.result.current.start()
    })
    await waitFor(() => expect(hook.result.current.result).toBeDefined(), WAIT)
    const done = hook.result.current
    expect(await started).toEqual(done.result)
    expect(done).toMatchObject({ state: 'complete', error: undefined, progress: { bytesSent: data.length, bytesAcked: data.length, bytesTotal: data.length } })
    expect(done.url).toBe(done.result?.url)
    await expectStored(done.url, data)

    const states = hook.seen.map((entry) => entry.state).filter((state, i, all) => state !== all[i - 1])
    expect(states[0]).toBe('idle')
    expect(states.at(-1)).toBe('complete')
    expect(states).toContain('uploading')
    const acked = hook.seen.map((entry) => entry.progress.bytesAcked)
    expect(acked).toEqual([...acked].sort((a, b) => a - b))
    expect(acked.some((bytes) => bytes > 0 && bytes < data.length)).toBe(true)
    expect(transport.count('POST')).toBe(1)
  })

  it('pause() stops at a chunk boundary, resume() asks the server and finishes', async () => {
    const data = testBytes(4 * CHUNK, 2)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(data, options())
    act(() => void hook.result.current.start())
    await gate.reached
    act(() => hook.result.current.pause())
    await gate.aborted
    await waitFor(() => expect(hook.result.current.state).toBe('paused'), WAIT)
    const url = hook.result.current.url
    expect(url).toBeDefined()
    expect(await server.upload(server.uploadIdFromUrl(url ?? ''))).toMatchObject({ offset: CHUNK, complete: false })

    act(() => hook.result.current.resume())
    await waitFor(() => expect(hook.result.current.state).toBe('complete'), WAIT)
    expect(hook.result.current.url).toBe(url)
    await expectStored(url, data)
    expect(transport.count('HEAD')).toBe(1)
    expect(transport.count('POST')).toBe(1)
  })

  it('abort({ terminate: true }) ends in aborted, not failed, and deletes the upload on the server', async () => {
    const data = testBytes(4 * CHUNK, 3)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(data, options())
    let started: Promise<unknown> = Promise.resolve()
    act(() => {
      started = hook.result.current.start()
    })
    await gate.reached
    await act(() => hook.result.current.abort({ terminate: true }))
    await gate.aborted
    expect(await started).toBeUndefined()
    expect(hook.result.current).toMatchObject({ state: 'aborted', error: undefined, result: undefined })
    const info = await server.upload(server.uploadIdFromUrl(hook.result.current.url ?? ''))
    expect(info).toMatchObject({ deleted: true, complete: false })
    expect(transport.count('DELETE')).toBe(1)
  })

  it('a failure sets error and failed; start() again continues the same upload at its URL', async () => {
    const data = testBytes(3 * CHUNK + 7, 4)
    server.faults.add({ type: 'status', status: 403, match: { kind: 'append' } })
    const hook = renderUpload(data, options({ retry: { retries: 0 } }))
    let started: Promise<unknown> = Promise.resolve()
    act(() => {
      started = hook.result.current.start()
    })
    expect(await started).toBeUndefined()
    await waitFor(() => expect(hook.result.current.state).toBe('failed'), WAIT)
    const failed = hook.result.current
    expect(failed.error).toBeInstanceOf(UploadError)
    expect(failed.error).toMatchObject({ code: 'http-status', status: 403 })
    expect(failed.url).toBeDefined()

    act(() => void hook.result.current.start())
    await waitFor(() => expect(hook.result.current.state).toBe('complete'), WAIT)
    expect(hook.result.current.error).toBeUndefined()
    expect(hook.result.current.url).toBe(failed.url)
    await expectStored(hook.result.current.url, data)
    expect(transport.count('POST')).toBe(1)
    expect((await server.uploads()).length).toBe(1)
    expect(made.uploads).toBe(2)
  })

  it('StrictMode: start() after the double effects makes one upload', async () => {
    const data = testBytes(2 * CHUNK + 1, 5)
    const hook = renderUpload(data, options(), true)
    act(() => void hook.result.current.start())
    await waitFor(() => expect(hook.result.current.state).toBe('complete'), WAIT)
    await expectStored(hook.result.current.url, data)
    expect(transport.count('POST')).toBe(1)
    expect(server.stats.requests.create).toBe(1)
    expect(made.uploads).toBe(1)
  })

  it('StrictMode + autoStart: the double effects start one upload, and the remount does not abort it', async () => {
    const data = testBytes(3 * CHUNK, 6)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(data, options({ autoStart: true }), true)
    await gate.reached
    // The simulated unmount's deferred cleanup has run by now; the upload must still be live.
    await afterQueuedTimers()
    gate.release()
    await waitFor(() => expect(hook.result.current.state).toBe('complete'), WAIT)
    await expectStored(hook.result.current.url, data)
    expect(transport.count('POST')).toBe(1)
    expect(server.stats.requests.create).toBe(1)
    expect((await server.uploads()).length).toBe(1)
    expect(made.uploads).toBe(1)
  })

  it('unmount aborts the upload in flight', async () => {
    const data = testBytes(3 * CHUNK, 7)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(data, options({ autoStart: true }), true)
    await gate.reached
    const url = hook.result.current.url
    hook.unmount()
    await gate.aborted
    expect(await server.upload(server.uploadIdFromUrl(url ?? ''))).toMatchObject({ offset: CHUNK, complete: false })
    expect(transport.count('PATCH')).toBe(1)
  })

  it('keepAlive: unmount leaves the upload running to completion', async () => {
    const data = testBytes(3 * CHUNK, 8)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(data, options({ autoStart: true, keepAlive: true }), true)
    await gate.reached
    const url = hook.result.current.url
    hook.unmount()
    await afterQueuedTimers()
    gate.release()
    await transport.completed
    await expectStored(url, data)
    expect(transport.count('PATCH')).toBe(2)
  })

  it('a new file starts from idle at once; the old upload is aborted and its late events do not leak', async () => {
    const first = testBytes(3 * CHUNK, 9)
    const second = testBytes(2 * CHUNK + 5, 10)
    const gate = transport.hold('PATCH')
    const hook = renderUpload(first, options())
    act(() => void hook.result.current.start())
    await gate.reached
    await waitFor(() => expect(hook.result.current.progress.bytesAcked).toBe(CHUNK), WAIT)
    const firstUrl = hook.result.current.url

    hook.rerender({ file: second, hookOptions: options() })
    expect(hook.result.current).toMatchObject({ state: 'idle', progress: { bytesSent: 0, bytesAcked: 0 }, url: undefined, error: undefined })
    await gate.aborted
    await act(afterQueuedTimers)
    expect(hook.result.current.state).toBe('idle')

    act(() => void hook.result.current.start())
    await waitFor(() => expect(hook.result.current.state).toBe('complete'), WAIT)
    expect(hook.result.current.url).not.toBe(firstUrl)
    await expectStored(hook.result.current.url, second)
    expect(await server.upload(server.uploadIdFromUrl(firstUrl ?? ''))).toMatchObject({ offset: CHUNK, complete: false })
  })

  it('null file: idle, and the controls do nothing', async () => {
    const hook = renderUpload(null, options({ autoStart: true }))
    expect(await act(() => hook.result.current.start())).toBeUndefined()
    act(() => {
      hook.result.current.pause()
      hook.result.current.resume()
    })
    await act(() => hook.result.current.abort())
    expect(hook.result.current.state).toBe('idle')
    expect(transport.sent).toEqual([])
  })
})

describe('useUploads', () => {
  function renderUploads(files: Uint8Array[], hookOptions: UseUploadOptions) {
    return renderHook(({ files: current }: { files: Uint8Array[] }) => useUploads(current, hookOptions), {
      initialProps: { files },
      reactStrictMode: true,
    })
  }

  function totals(result: UseUploadsResult): number[] {
    return [result.progress.bytesSent, result.progress.bytesAcked, result.progress.bytesTotal ?? -1]
  }

  it('StrictMode + autoStart: one upload per file, all complete, progress summed', async () => {
    const files = [testBytes(2 * CHUNK, 11), testBytes(CHUNK + 3, 12), testBytes(100, 13)]
    const size = files.reduce((sum, file) => sum + file.length, 0)
    // A new array with the same files each render must not restart anything.
    const hook = renderUploads([...files], options({ autoStart: true }))
    hook.rerender({ files: [...files] })
    await waitFor(() => expect(hook.result.current.items.map((item) => item.state)).toEqual(['complete', 'complete', 'complete']), WAIT)
    expect(totals(hook.result.current)).toEqual([size, size, size])
    for (const [index, item] of hook.result.current.items.entries()) {
      expect(item.file).toBe(files[index])
      await expectStored(item.url, files[index] ?? new Uint8Array())
    }
    expect(transport.count('POST')).toBe(3)
    expect(server.stats.requests.create).toBe(3)
    expect(made.uploads).toBe(3)
  })

  it('startAll, then a file that leaves the list is aborted while the others complete', async () => {
    const files = [testBytes(3 * CHUNK, 14), testBytes(2 * CHUNK, 15)]
    const gate = transport.hold('PATCH')
    const hook = renderUploads(files, options())
    expect(hook.result.current.items.map((item) => item.state)).toEqual(['idle', 'idle'])
    let all: Promise<unknown> = Promise.resolve()
    act(() => {
      all = hook.result.current.startAll()
    })
    await gate.reached
    // The one held PATCH belongs to whichever upload got there first.
    const held = await waitFor(() => {
      const item = hook.result.current.items.find((entry) => entry.progress.bytesAcked === CHUNK && entry.state === 'uploading' && entry.url !== undefined)
      expect(item).toBeDefined()
      return item
    }, WAIT)
    const kept = files.find((file) => file !== held?.file) ?? new Uint8Array()
    hook.rerender({ files: [kept] })
    await gate.aborted
    await waitFor(() => expect(hook.result.current.items.map((item) => item.state)).toEqual(['complete']), WAIT)
    expect(await all).toHaveLength(2)
    await expectStored(hook.result.current.items[0]?.url, kept)
    expect(await server.upload(server.uploadIdFromUrl(held?.url ?? ''))).toMatchObject({ complete: false })
  })

  it('pauseAll and resumeAll', async () => {
    const files = [testBytes(3 * CHUNK, 16), testBytes(3 * CHUNK, 17)]
    const first = transport.hold('PATCH')
    const second = transport.hold('PATCH')
    const hook = renderUploads(files, options({ autoStart: true }))
    await Promise.all([first.reached, second.reached])
    act(() => hook.result.current.pauseAll())
    await Promise.all([first.aborted, second.aborted])
    await waitFor(() => expect(hook.result.current.items.map((item) => item.state)).toEqual(['paused', 'paused']), WAIT)
    act(() => hook.result.current.resumeAll())
    await waitFor(() => expect(hook.result.current.items.map((item) => item.state)).toEqual(['complete', 'complete']), WAIT)
    for (const [index, item] of hook.result.current.items.entries()) await expectStored(item.url, files[index] ?? new Uint8Array())
  })
})

describe('server rendering', () => {
  it('importing the module reads no browser global, and renderToString renders idle', async () => {
    // A fresh Node process (no happy-dom): getters record every read of a browser global.
    const script = `
      import { register } from 'node:module'
      const compat = process.env.REACT_COMPAT_DIR
      if (compat) {
        const parent = new URL('file://' + compat + '/package.json').href
        register('data:text/javascript,' + encodeURIComponent(
          'export async function resolve(s, c, next) { return /^react(-dom)?(\\\\/|$)/.test(s) ? next(s, { ...c, parentURL: ' + JSON.stringify(parent) + ' }) : next(s, c) }'))
      }
      const React = await import('react')
      const { renderToString } = await import('react-dom/server')
      const read = []
      for (const name of ['window', 'document', 'indexedDB', 'localStorage', 'sessionStorage', 'XMLHttpRequest', 'navigator', 'location']) {
        Object.defineProperty(globalThis, name, { configurable: true, get() { read.push(name); return undefined } })
      }
      const { useUpload, useUploads } = await import(${JSON.stringify(`${repoRoot}/src/react/index.ts`)})
      const afterImport = [...read]
      function App() {
        const one = useUpload(new Uint8Array(8), { endpoint: 'http://127.0.0.1:9/uploads', autoStart: true })
        const many = useUploads([new Uint8Array(1), new Uint8Array(2)], { endpoint: '/uploads', autoStart: true })
        return React.createElement('p', null, one.state + ':' + many.items.map((item) => item.state).join(','))
      }
      const html = renderToString(React.createElement(App))
      console.log(JSON.stringify({ afterImport, read, html, version: React.version }))
    `
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: repoRoot,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('error', reject)
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`))))
    })
    const report = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { afterImport: string[]; read: string[]; html: string; version: string }
    expect(report.afterImport).toEqual([])
    expect(report.read).toEqual([])
    expect(report.html).toBe('<p>idle:idle,idle</p>')
    expect(report.version).toBe(reactVersion)
  })
})
