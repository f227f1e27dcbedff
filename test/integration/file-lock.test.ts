/**
 * The file store's lock across processes: two processes uploading the same file never both send
 * it. With `lock: 'wait'` the second waits and then finds the finished upload; with `'fail'` it
 * fails at once with `locked`; a lock left by a killed process is taken over.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Upload, fileStore } from '../../src/node'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData, tempDir, writeTestFile, type TestData } from '../support/files'

const MiB = 1024 * 1024
const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.ts', import.meta.url))
const CRASH_CHILD = fileURLToPath(new URL('./fixtures/upload-child.ts', import.meta.url))
let server: ReferenceServer
let work: { dir: string; remove: () => Promise<void> }

beforeAll(async () => {
  server = await startReferenceServer()
  work = await tempDir()
})
afterAll(async () => {
  await server.close()
  await work.remove()
})

/** A child process and the lines it printed. */
class Child {
  readonly lines: string[] = []
  readonly exited: Promise<number | null>
  private readonly process: ChildProcessByStdio<Writable, Readable, null>
  private readonly waiters: Array<() => void> = []

  constructor(script: string, args: string[]) {
    this.process = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    let rest = ''
    this.process.stdout.on('data', (piece: Buffer) => {
      const text = rest + piece.toString()
      const parts = text.split('\n')
      rest = parts.pop() ?? ''
      this.lines.push(...parts)
      for (const wake of this.waiters.splice(0)) wake()
    })
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)))
  }

  /** Resolves with the first line matching `pattern`, waiting for it when needed. */
  async line(pattern: RegExp): Promise<string> {
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line))
      if (found !== undefined) return found
      const more = new Promise<void>((resolve) => this.waiters.push(resolve))
      const exited = this.exited.then(() => 'exited' as const)
      if ((await Promise.race([more, exited])) === 'exited' && !this.lines.some((line) => pattern.test(line))) {
        throw new Error(`the child exited without printing ${pattern}: ${this.lines.join(' | ')}`)
      }
    }
  }

  send(line: string): void {
    this.process.stdin.write(`${line}\n`)
  }
}

async function expectStored(url: string, data: TestData): Promise<void> {
  expect(await server.upload(server.uploadIdFromUrl(url))).toMatchObject({ length: data.bytes.length, complete: true, sha256: data.sha256 })
}

const creations = (): number => server.stats.requests.create

describe('file store lock across processes', () => {
  it('wait: the second process waits while the first uploads, then finds the finished upload; one creation, bytes sent once', async () => {
    const data = randomData(4 * MiB)
    const path = await writeTestFile(work.dir, 'wait.bin', data)
    const state = join(work.dir, 'state-wait')
    const before = creations()
    const first = new Child(LOCK_CHILD, [server.endpoint, path, state, 'wait', 'gate'])
    await first.line(/^chunk /)
    const second = new Child(LOCK_CHILD, [server.endpoint, path, state, 'wait', 'nogate'])
    // The second process is waiting once its marker file is there.
    await vi.waitFor(async () => expect((await readdir(state)).some((name) => name.includes('.wait-'))).toBe(true), { timeout: 30_000, interval: 50 })
    first.send('go')
    await Promise.all([first.exited, second.exited])
    const url = (await first.line(/^done /)).slice('done '.length)
    expect(await second.line(/^(done|error) /)).toBe(`done ${url}`)
    expect(second.lines.filter((line) => line.startsWith('url '))).toEqual(['url stored'])
    expect(second.lines.filter((line) => line.startsWith('chunk '))).toEqual([])
    expect(creations() - before).toBe(1)
    await expectStored(url, data)
    expect(server.stats.perUpload.get(server.uploadIdFromUrl(url))?.bodyBytesReceived).toBe(data.bytes.length)
    // The waiter removed the finished record; no lock or marker file is left.
    expect(await readdir(state)).toEqual([])
  })

  it('fail: the second process fails at once with locked; the first completes', async () => {
    const data = randomData(2 * MiB)
    const path = await writeTestFile(work.dir, 'fail.bin', data)
    const state = join(work.dir, 'state-fail')
    const before = creations()
    const first = new Child(LOCK_CHILD, [server.endpoint, path, state, 'fail', 'gate'])
    await first.line(/^chunk /)
    const second = new Child(LOCK_CHILD, [server.endpoint, path, state, 'fail', 'nogate'])
    expect(await second.line(/^(done|error) /)).toBe('error locked')
    first.send('go')
    const url = (await first.line(/^(done|error) /)).slice('done '.length)
    await Promise.all([first.exited, second.exited])
    expect(creations() - before).toBe(1)
    await expectStored(url, data)
    expect(await readdir(state)).toEqual([])
  })

  it('a lock left by a killed process is taken over, and its upload resumed', async () => {
    const data = randomData(6 * MiB)
    const path = await writeTestFile(work.dir, 'stale.bin', data)
    const state = join(work.dir, 'state-stale')
    // Killed (SIGKILL) once 3 MiB are acknowledged: by then the record is on disk.
    const crashed = new Child(CRASH_CHILD, [server.endpoint, path, state, String(3 * MiB)])
    await crashed.exited
    expect((await readdir(state)).filter((name) => name.endsWith('.lock'))).toHaveLength(1)
    const upload = new Upload(path, { endpoint: server.endpoint, storeDirectory: state, chunkSize: MiB, lock: 'fail' })
    const vias: string[] = []
    upload.on('url', ({ via }) => vias.push(via))
    const { url } = await upload.start()
    expect(vias).toEqual(['stored'])
    await expectStored(url, data)
    expect(await fileStore(state).list()).toEqual([])
    expect(await readdir(state)).toEqual([])
  })
})
