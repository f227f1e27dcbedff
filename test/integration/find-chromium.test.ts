/**
 * The first step of `npm test` (test/support/chromium.ts): the order in which a Chromium is found,
 * the apt-get install it plans as root, and the one-line failure when there is nothing to use. The
 * script runs as a child process with a PATH and environment that hold no browser and no apt-get,
 * so this machine's /usr/bin/chromium stays where it is.
 */
import { spawn } from 'node:child_process'
import { access, chmod, mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { APT_INSTALL, NO_CHROMIUM, planChromium, type ChromiumPlan, type ChromiumProbe } from '../support/chromium'
import { tempDir } from '../support/files'

const ROOT = resolve(import.meta.dirname, '../..')

describe('planChromium: CHROMIUM_PATH, then the system path, then Playwright, then apt-get as root', () => {
  const all = ['/opt/chrome', '/usr/bin/chromium', '/pw/chrome', '/usr/bin/apt-get']
  function plan(env: Record<string, string>, executables: string[], isRoot = true): ChromiumPlan {
    const probe: ChromiumProbe = { env, isRoot, isExecutable: (path) => executables.includes(path), playwrightPath: () => '/pw/chrome' }
    return planChromium(probe)
  }
  const path = { PATH: '/usr/local/bin:/usr/bin' }

  it.each([
    ['CHROMIUM_PATH first', { ...path, CHROMIUM_PATH: '/opt/chrome' }, all, { kind: 'found', path: '/opt/chrome', source: 'CHROMIUM_PATH' }],
    ["Debian's chromium next", path, all, { kind: 'found', path: '/usr/bin/chromium', source: 'system' }],
    ['an empty CHROMIUM_PATH is unset', { ...path, CHROMIUM_PATH: '' }, all, { kind: 'found', path: '/usr/bin/chromium', source: 'system' }],
    ["Playwright's browser next", path, ['/pw/chrome', '/usr/bin/apt-get'], { kind: 'found', path: '/pw/chrome', source: 'playwright' }],
    ['then apt-get install as root', path, ['/usr/bin/apt-get'], { kind: 'install', path: '/usr/bin/chromium', commands: APT_INSTALL }],
    [
      'the system path can be overridden',
      { ...path, RESUMABLE_UPLOAD_SYSTEM_CHROMIUM: '/x/chromium' },
      ['/x/chromium', '/pw/chrome'],
      { kind: 'found', path: '/x/chromium', source: 'system' },
    ],
    ['no apt-get on the PATH: the one line', path, [], { kind: 'missing', message: NO_CHROMIUM }],
  ] as const)('%s', (_, env, executables, expected) => {
    expect(plan(env, [...executables])).toEqual(expected)
  })

  it('does not install when not root: the one line', () => {
    expect(plan(path, ['/usr/bin/apt-get'], false)).toEqual({ kind: 'missing', message: NO_CHROMIUM })
  })

  it('a CHROMIUM_PATH that is not there is an error, not a fallback to another browser', () => {
    expect(plan({ ...path, CHROMIUM_PATH: '/nope' }, all)).toEqual({
      kind: 'missing',
      message: 'CHROMIUM_PATH is set to /nope, which is not an executable file',
    })
  })
})

describe('the script (tsx test/support/chromium.ts)', () => {
  let work: { dir: string; remove: () => Promise<void> }
  beforeAll(async () => {
    work = await tempDir('find-chromium-')
  })
  afterAll(async () => {
    await work.remove()
  })

  /** An environment with no browser anywhere and only `bin` on the PATH. */
  function bare(bin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: bin,
      HOME: work.dir,
      RESUMABLE_UPLOAD_SYSTEM_CHROMIUM: join(work.dir, 'no-chromium'),
      PLAYWRIGHT_BROWSERS_PATH: join(work.dir, 'no-playwright'),
      ...extra,
    }
  }

  function run(env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/chromium.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.once('error', fail)
      child.once('close', (code) => done({ code, stdout, stderr }))
    })
  }

  /** A fake executable that leaves `marker` behind if it is ever run. */
  async function fakeExecutable(path: string, marker: string): Promise<void> {
    await writeFile(path, `#!/bin/sh\n: > ${marker}\n`)
    await chmod(path, 0o755)
  }

  it('no browser and no apt-get: exits 1 with the one-line instruction and nothing else', async () => {
    const { code, stdout, stderr } = await run(bare(join(work.dir, 'empty-bin')))
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `${NO_CHROMIUM}\n` })
  })

  it('prints the browser it uses: CHROMIUM_PATH before the system path', async () => {
    const chrome = join(work.dir, 'my-chrome')
    await fakeExecutable(chrome, join(work.dir, 'chrome-ran'))
    const system = join(work.dir, 'system-chrome')
    await fakeExecutable(system, join(work.dir, 'chrome-ran'))
    expect(await run(bare(join(work.dir, 'empty-bin'), { CHROMIUM_PATH: chrome, RESUMABLE_UPLOAD_SYSTEM_CHROMIUM: system }))).toEqual({
      code: 0,
      stdout: `chromium: ${chrome} (CHROMIUM_PATH)\n`,
      stderr: '',
    })
    expect(await run(bare(join(work.dir, 'empty-bin'), { RESUMABLE_UPLOAD_SYSTEM_CHROMIUM: system }))).toEqual({
      code: 0,
      stdout: `chromium: ${system} (system)\n`,
      stderr: '',
    })
    await expect(access(join(work.dir, 'chrome-ran'))).rejects.toThrow()
  })

  it('with apt-get on the PATH, --dry-run prints the install it would run (as root) and runs nothing', async () => {
    const bin = join(work.dir, 'apt-bin')
    await mkdir(bin)
    const marker = join(work.dir, 'apt-ran')
    await fakeExecutable(join(bin, 'apt-get'), marker)
    const env = bare(bin)
    const { code, stdout, stderr } = await run(env, ['--dry-run'])
    if (process.getuid?.() === 0) {
      expect({ code, stdout, stderr }).toEqual({
        code: 0,
        stdout: `chromium: would run apt-get update && apt-get install -y chromium, then use ${env.RESUMABLE_UPLOAD_SYSTEM_CHROMIUM}\n`,
        stderr: '',
      })
    } else {
      expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `${NO_CHROMIUM}\n` })
    }
    await expect(access(marker)).rejects.toThrow()
  })

  it.skipIf(process.getuid?.() !== 0)('as root, an install that leaves no browser behind fails with one line', async () => {
    const bin = join(work.dir, 'apt-bin-2')
    await mkdir(bin)
    const marker = join(work.dir, 'apt-ran-2')
    await fakeExecutable(join(bin, 'apt-get'), marker)
    const { code, stdout, stderr } = await run(bare(bin))
    await access(marker)
    expect({ code, stdout, lastLine: stderr.trimEnd().split('\n').at(-1) }).toEqual({
      code: 1,
      stdout: '',
      lastLine: `apt-get install chromium failed; ${NO_CHROMIUM}`,
    })
  })
})
