import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
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
    const match = /^Reference server listening on (http:\/\/127\.0\.0\.1:\d+) \(uploads in (.+)\)$/.exec(line)
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
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(await firstLine(proc))?.[1] ?? ''
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
})
