import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createUploadUrl, openRequest, rawRequest } from '../../server/test-client'

const CLI = fileURLToPath(new URL('../../server/cli.ts', import.meta.url))
let child: ChildProcess | undefined
let dir: string | undefined

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  child = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

function startCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    proc.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const end = text.indexOf('\n')
      if (end >= 0) resolve(text.slice(0, end))
    })
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before printing`)))
  })
}

function exitCode(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))))
}

describe('cli', () => {
  it('starts on 127.0.0.1 with the given options, prints where, and stops cleanly on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reference-cli-'))
    const uploads = join(dir, 'uploads')
    const proc = (child = startCli(['--port', '0', '--dir', uploads, '--max-size', '1000', '--max-age', '60']))
    const line = await firstLine(proc)
    const match = /^Reference server listening on (http:\/\/127\.0\.0\.1:\d+)\/uploads \(uploads in (.+)\)$/.exec(line)
    expect(match?.[2]).toBe(uploads)
    const url = match?.[1] ?? ''
    const options = await rawRequest({ method: 'OPTIONS', url: `${url}/uploads` })
    expect(options.headers['upload-limit']).toBe('max-size=1000, max-age=60')
    await createUploadUrl(`${url}/uploads`)
    proc.kill('SIGTERM')
    expect(await exitCode(proc)).toBe(0)
    expect((await readdir(uploads)).filter((name) => name.endsWith('.json'))).toHaveLength(1)
  })

  it('answers a POST with a 104 carrying Location before the body is sent', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reference-cli-'))
    const proc = (child = startCli(['--port', '0', '--dir', join(dir, 'uploads')]))
    const url = /(http:\/\/127\.0\.0\.1:\d+)\/uploads /.exec(await firstLine(proc))?.[1] ?? ''
    const body = Buffer.alloc(100_000, 7)
    const open = openRequest({
      method: 'POST',
      url: `${url}/uploads`,
      headers: { 'Upload-Complete': '?1', 'Upload-Draft-Interop-Version': '8', 'Content-Length': body.length },
    })
    // The headers are flushed and not one body byte is written until the 104 has arrived.
    const interim = await open.firstInterim
    expect(interim.status).toBe(104)
    expect(interim.headers.location).toMatch(new RegExp(`^${url}/uploads/[0-9a-f]{32}$`))
    open.req.end(body)
    const response = await open.response
    expect(response.status).toBe(201)
    expect(response.headers.location).toBe(interim.headers.location)
    expect(JSON.parse(response.body)).toMatchObject({ size: body.length, sha256: createHash('sha256').update(body).digest('hex') })
  })

  it('exits with 2 on bad arguments', async () => {
    const proc = (child = startCli(['--port', 'abc']))
    expect(await exitCode(proc)).toBe(2)
  })

  it('by default bounds uploads (max-size 16 GiB), sends no CORS headers, and serves no control routes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reference-cli-'))
    const proc = (child = startCli(['--port', '0', '--dir', join(dir, 'uploads')]))
    const endpoint = /listening on (\S+\/uploads) /.exec(await firstLine(proc))?.[1] ?? ''
    expect((await rawRequest({ method: 'OPTIONS', url: endpoint })).headers['upload-limit']).toBe(`max-size=${16 * 1024 ** 3}`)
    const huge = await rawRequest({
      method: 'POST',
      url: endpoint,
      headers: {
        'Upload-Complete': '?0',
        'Upload-Length': 888 * 1024 ** 4,
        'Upload-Draft-Interop-Version': '8',
        'Content-Length': 0,
        Origin: 'http://evil.example',
      },
    })
    expect(huge.status).toBe(413)
    expect(huge.headers['access-control-allow-origin']).toBeUndefined()
    const fault = await rawRequest({ method: 'POST', url: endpoint.replace(/\/uploads$/, '/__control/faults'), headers: { 'Content-Length': 2 }, body: '{}' })
    expect(fault.status).toBe(404)
  })

  it('with --cors-origin and --control lets that origin (only) use CORS and the control routes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'reference-cli-'))
    const proc = (child = startCli([
      '--dir',
      join(dir, 'uploads'),
      '--cors-origin',
      'http://demo.example,http://other.example',
      '--control',
      '--max-uploads',
      '1',
    ]))
    const endpoint = /listening on (\S+\/uploads) /.exec(await firstLine(proc))?.[1] ?? ''
    const created = await rawRequest({
      method: 'POST',
      url: endpoint,
      headers: { 'Upload-Complete': '?0', 'Content-Length': 0, Origin: 'http://demo.example' },
    })
    expect(created.status).toBe(201)
    expect(created.headers['access-control-allow-origin']).toBe('http://demo.example')
    expect(created.headers['access-control-allow-credentials']).toBeUndefined()
    expect((await rawRequest({ method: 'POST', url: endpoint, headers: { 'Upload-Complete': '?0', 'Content-Length': 0 } })).status).toBe(503)
    const control = `${endpoint.replace(/\/uploads$/, '')}/__control/stats`
    expect((await rawRequest({ method: 'GET', url: control, headers: { Origin: 'http://evil.example' } })).status).toBe(403)
    expect((await rawRequest({ method: 'GET', url: control, headers: { Origin: 'http://other.example' } })).status).toBe(200)
  })

  describe('bad input prints one line and the usage, never a stack trace', () => {
    async function expectFailure(args: string[], code: number, message: RegExp): Promise<void> {
      const proc = (child = startCli(args))
      let stderr = ''
      proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      expect(await exitCode(proc)).toBe(code)
      const lines = stderr.split('\n')
      expect(lines[0]).toMatch(message)
      expect(lines[1]).toMatch(/^usage: /)
      expect(stderr).not.toMatch(/\n\s+at /)
    }

    it.each([
      [['--port', '70000'], /--port must be an integer from 0 to 65535/],
      [['--port', '-1'], /^reference server: .*--port/],
      [['--max-size', '99999999999999999999'], /--max-size must be an integer/],
      [['--idle-timeout', '9999999999'], /--idle-timeout must be an integer from 0 to 2147483/],
      [['--frobnicate'], /Unknown option '--frobnicate'/],
      [['--cors-origin', 'http://app.example/path'], /--cors-origin: not an http\(s\) origin/],
      [['--cors-credentials'], /--cors-credentials needs --cors-origin/],
      [['uploads'], /Unexpected argument 'uploads'/],
    ])('%j exits with 2', async (args, message) => {
      await expectFailure(args, 2, message)
    })

    it('a port in use exits with 1', async () => {
      const busy = createServer()
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
      try {
        const { port } = busy.address() as AddressInfo
        await expectFailure(['--port', String(port)], 1, new RegExp(`^reference server: port ${port} on 127\\.0\\.0\\.1 is already in use$`))
      } finally {
        await new Promise((resolve) => busy.close(resolve))
      }
    })

    it('a --dir that is a file, or not writable, exits with 1', async () => {
      dir = await mkdtemp(join(tmpdir(), 'reference-cli-'))
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      await expectFailure(['--dir', file], 1, /^reference server: upload directory .*file is not a directory$/)
      // chmod does not stop root; /sys refuses new files even to root.
      const readOnly = process.getuid?.() === 0 ? '/sys' : join(dir, 'read-only')
      if (readOnly !== '/sys') await mkdir(readOnly, { mode: 0o500 })
      await expectFailure(['--dir', readOnly], 1, /^reference server: upload directory .* is not writable \(E[A-Z]+\)$/)
    })
  })
})
